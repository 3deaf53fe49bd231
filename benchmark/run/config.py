"""Run configuration: the sections composed, merged defaults < file < flags.

Each section lives beside the stage that reads it (``rmbench.model.config`` for model and
train, ``rmbench.eval.config`` for eval); this module adds the data section, composes
them into ``RunConfig`` and owns the merge.

A ``run.yaml`` has the same sections as ``RunConfig``::

    data:  {source: demo, holdout: writingprompts, max_train_pairs: 2000}
    model: {name: minilm, max_length: 256}
    train: {epochs: 2, learning_rate: 5.0e-5}
    eval:  {bootstrap_samples: 1000}
    seed: 0

``$RMBENCH_CONFIG`` names a file of the same shape read first (under ``--config``): site-wide
defaults, or the tiny settings the examples test runs every ``--help`` example with.
Unknown keys are errors with a did-you-mean (also across sections: ``train.max_length``
points at ``model.max_length``). The resolved config is saved in every results.json.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path

from rmbench.errors import ConfigError, did_you_mean
from rmbench.eval.config import EvalConfig
from rmbench.fields import opt
from rmbench.model.config import ModelConfig, TrainConfig


@dataclass
class DataConfig:
    source: str = opt("demo", "prepared data DIR, 'demo' (the embedded synthetic corpus), a folder of Reddit dumps, local "
                              "files in a hub layout or hf:ID; several sources joined by ' + ' (--data A --data B)")
    cache_dir: str = opt("", "where sources are prepared once and reused (default: $RMBENCH_CACHE, else $XDG_CACHE_HOME/rmbench, else ~/.cache/rmbench)")
    holdout: str = opt("", "the held-out task: never trained on, evaluated on every post (heldout_all, heldout_all_hard) and on test and test_hard")
    train_tasks: list = opt([], "held-in tasks to train on (default: every task with data except the held-out one); "
                               "evaluate: the tasks the model was trained on, scored in-domain")
    reference_tasks: list = opt([], "evaluate: the reference tasks, what baseline:confounds (and the stacked predictor) is fitted "
                                   "on and held-out pairs are checked against for contamination (default: every task not "
                                   "evaluated as held out); run's reference is its training tasks")
    # 256 pairs (16 updates of 16, at lr 3e-4) keep the no-flag demo run within 3 minutes on 2
    # idle CPU cores and reach what 384 pairs at lr 1e-4 reached (BENCHMARKS.md (d)).
    max_train_pairs: int = opt(256, "at most this many training pairs over all held-in tasks, drawn evenly per task (0: all)")
    max_validation_pairs: int = opt(96, "at most this many validation pairs over all held-in tasks for model selection (0: all)")
    limit: int = opt(0, "quick runs: at most this many pairs per evaluated split, heldout_all included, and the stacked fit at most max(limit, eval.min_report_pairs) (0: all)")
    with_delay: bool = opt(False, "add 'posted N minutes after the prompt' to each response (leaks the label under later-but-higher pairing)")
    allow_delay_leak: bool = opt(False, "allow --with-delay even when the pairing rule fixes the time order (results are flagged)")
    keep_contaminated: bool = opt(False, "keep held-out pairs whose post or a response also occurs in a held-in task's data (they are counted either way)")
    split_by: str = opt("", "how a source rmbench prepares itself (--data DUMPS, hf:ID) is split: hash, source (SHP's "
                            "own train/validation/test) or time:YYYY-MM-DD ('': hash); a prepared DIR keeps its own split, "
                            "and naming another one for it is an error")
    seen: list = opt([], "prepared DIRs of what the evaluated model was trained on (e.g. SHP prepared with --split-by "
                         "source, for SteamSHP): held-out pairs sharing a post or a response with their seen_splits "
                         "are contaminated, as with a reference task (rmbench.run.seen)")
    seen_splits: list = opt(["train", "validation"], "the splits of data.seen the model read: train, validation, test "
                                                     "or heldout_all (all three)")
    adapt_unseen: int = opt(0, "the adaptation curve's largest k (sweep --adapt sets it): the held-out task is also scored on "
                               "heldout_unseen and heldout_unseen_hard, every post but those of that k's adaptation draw, the "
                               "same pairs in every cell of the curve (0: not scored)")
    adapt_draws: list = opt([], "the adaptation curve's draw seeds (sweep --adapt --seeds sets them): heldout_unseen leaves out "
                                "the posts of each one's largest draw ([]: the run's seed)")


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    seed: int = opt(0, "seeds data sampling, the new reward head, training order, bootstrap and the random baseline")
    out: str = opt("", "output directory (default: runs/<timestamp>-holdout-<task>)")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig, "eval": EvalConfig}


def _field_types(cls) -> dict[str, type]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _coerce(value, kind, where: str):
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if kind is list:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, (list, tuple)):
            return list(value)
        raise ConfigError(f"{where}: expected a list, got {value!r}")
    try:
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}") from None


def _all_keys() -> dict[str, str]:
    keys = {f"{s}.{f.name}": s for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)}
    keys.update({"seed": "", "out": ""})
    return keys


# Keys renamed so that a flag and its key say the same thing in every command (issue 19).
# An old key is an error naming the new one, never silently read: a config that meant
# data.tasks as "the tasks evaluated" must not train on them.
RENAMED_KEYS = {"data.tasks": "data.train_tasks", "data.max_eval_pairs": "data.limit"}


def _unknown(key: str) -> ConfigError:
    if key in RENAMED_KEYS:
        return ConfigError(f"config key {key!r} was renamed to {RENAMED_KEYS[key]!r}. Did you mean {RENAMED_KEYS[key]}?")
    keys = list(_all_keys()) + list(SECTIONS)
    leaf = key.rsplit(".", 1)[-1]
    # A right leaf in the wrong section (train.max_length) finds its section (model.max_length).
    near_leaves = difflib.get_close_matches(leaf, [k.rsplit(".", 1)[-1] for k in keys], n=3, cutoff=0.75)
    same_leaf = [k for k in keys if k.rsplit(".", 1)[-1] in near_leaves]
    # An abbreviation or a word of a key in the same section first: train.lr, train.rate -> train.learning_rate.
    section = key.rsplit(".", 1)[0] + "." if "." in key else ""
    short = [k for k in keys if section and k.startswith(section) and _abbreviates(leaf, k[len(section):])]
    return ConfigError(f"unknown config key {key!r}.{did_you_mean(key, keys, cutoff=0.6, also=same_leaf, first=short)}")


def _abbreviates(leaf: str, name: str) -> bool:
    """``leaf`` is ``name``'s initials (lr: learning_rate), one of its words, or (3+ letters) in it."""
    words = [w for w in name.split("_") if w]
    return len(words) > 1 and leaf == "".join(w[0] for w in words) or leaf in words or len(leaf) >= 3 and leaf in name


def apply(cfg: RunConfig, values: dict, origin: str) -> RunConfig:
    """Set ``values`` (nested like run.yaml, or dotted keys) on ``cfg``; unknown keys raise."""
    for key, value in values.items():
        if key in SECTIONS and isinstance(value, dict):
            types = _field_types(SECTIONS[key])
            section = getattr(cfg, key)
            for sub, v in value.items():
                if sub not in types:
                    raise _unknown(f"{key}.{sub}")
                setattr(section, sub, _coerce(v, types[sub], f"{origin}: {key}.{sub}"))
        elif "." in key:
            sec, sub = key.split(".", 1)
            apply(cfg, {sec: {sub: value}} if sec in SECTIONS else {key: value}, origin)
        elif key in ("seed", "out"):
            setattr(cfg, key, _coerce(value, int if key == "seed" else str, f"{origin}: {key}"))
        else:
            raise _unknown(key)
    return cfg


def _keys(values: dict) -> set[str]:
    """The dotted keys a mapping sets (nested like run.yaml, or dotted)."""
    return {f"{k}.{sub}" for k, v in values.items() if k in SECTIONS and isinstance(v, dict) for sub in v} | \
        {k for k in values if not (k in SECTIONS and isinstance(values[k], dict))}


def load_file(path: str | Path) -> dict:
    import yaml

    try:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read config {path}: {err}") from err
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: a config file is a mapping of sections (data, model, train, eval)")
    return loaded


ENV_CONFIG = "RMBENCH_CONFIG"  # a run.yaml of site-wide defaults, read under --config


def resolve(config_file: str | None = None, flags: dict | None = None) -> RunConfig:
    """Defaults, then ``$RMBENCH_CONFIG`` (a cluster's or a test's defaults), then the config
    file, then the flags that were given (None means not given)."""
    import os

    cfg, given = RunConfig(), set()
    site = os.environ.get(ENV_CONFIG)
    if site:
        try:  # a file nobody named on this command line: say where the bad key came from
            apply(cfg, loaded := load_file(site), f"${ENV_CONFIG} ({site})")
        except ConfigError as err:
            raise ConfigError(f"${ENV_CONFIG} ({site}): {err}") from None
        given |= _keys(loaded)
    if config_file:
        apply(cfg, loaded := load_file(config_file), str(config_file))
        given |= _keys(loaded)
    named = {k: v for k, v in (flags or {}).items() if v is not None}
    apply(cfg, named, "command line")
    given |= _keys(named)
    if "train.learning_rate" not in given:  # the saved config.json records the rate used
        from rmbench.model.config import default_learning_rate

        cfg.train.learning_rate = default_learning_rate(cfg.model, cfg.train.learning_rate)
    # Not a field (config.json records values, not their origin): a DPO policy rmbench trained
    # is scored with the beta it recorded unless one was given (rmbench.model.kinds.resolve_spec).
    cfg.given = frozenset(given)
    from rmbench.model.debias import check_mode

    check_mode(cfg.train.debias)  # a typo fails before anything loads
    if cfg.data.adapt_unseen < 0:
        raise ConfigError(f"data.adapt_unseen is {cfg.data.adapt_unseen}: the adaptation curve's largest k, 0 or more")
    if not all(str(d).strip().isdigit() for d in cfg.data.adapt_draws):
        raise ConfigError(f"data.adapt_draws: expected whole numbers (seeds), got {cfg.data.adapt_draws!r}")
    from rmbench.eval.metrics import INTERVAL_RULES

    if cfg.eval.interval not in INTERVAL_RULES:
        raise ConfigError(f"eval.interval: unknown rule {cfg.eval.interval!r}: one of {', '.join(INTERVAL_RULES)}"
                          + did_you_mean(cfg.eval.interval, INTERVAL_RULES))
    return cfg


def help_table() -> list[tuple[str, str, object]]:
    """(dotted key, help, default) for every field, for docs and `--help` epilogues."""
    rows = []
    for s, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            rows.append((f"{s}.{f.name}", f.metadata.get("help", ""), default))
    for f in dataclasses.fields(RunConfig):
        if f.name not in SECTIONS:
            rows.append((f.name, f.metadata.get("help", ""), f.default))
    return rows
