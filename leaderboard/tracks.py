"""Tracks: the frozen test sets a submission must have been scored on.

``tracks.json`` is written only by :func:`freeze` from a prepared data directory
(``rmbench leaderboard freeze``). Per held-out task: its version and, per split scored --
``heldout_all`` and ``heldout_all_hard`` (every post of the held-out task: the headline),
``test`` and ``test_hard`` -- the pair and post counts, the fingerprints of the split files
it is made of, the frozen pairs themselves (pair id, post id, score ratio and each
baseline's per-pair outcome ``b_NAME``, baseline:confounds' pair logit ``c_confounds``, and
the two responses' lengths and scores the controls read, compressed:
``rmbench.leaderboard.frozen``) and the
baselines' own numbers. The rows are exactly those a default ``rmbench run --holdout`` or
``rmbench evaluate --tasks`` scores (``heldout_rows``: the harness's functions; every other
task is the reference that ``baseline:confounds`` is fitted on and that contaminated pairs
are dropped against), with default eval settings and seed ``FREEZE_SEED``. ``validate``
recomputes every submitted number, the paired differences to every baseline included,
from the submission's per-pair predictions and these frozen outcomes
(``rmbench.eval.scorecard.outcome_card``); the board's baselines are these, never a
submission's. Re-freezing the same data is a no-op, so the seed script can run it every time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from rmbench.errors import LeaderboardError
from rmbench.leaderboard.store import read_json
from rmbench.atomic import write_json

TRACKS_FILE = "tracks.json"
# every post of a held-out task (the headline), then the 5% test posts for comparison with
# in-domain numbers (rmbench.run.plan.HELDOUT_SPLITS)
TEST_SPLITS = ("heldout_all", "heldout_all_hard", "test", "test_hard")
SCHEMA_VERSION = 3  # 2: frozen pairs and baselines per split; 3: every held-out post, clustered paired intervals
# the per-pair key of baseline:confounds' pair logit (chosen - rejected): the stacked predictor's input
CONFOUNDS_LOGIT = "c_confounds"
FREEZE_SEED = 0  # the seed of the frozen baselines (the random coin and the bootstrap): the run default


@dataclass(frozen=True)
class Track:
    name: str
    label: str
    synthetic: bool
    benchmark_version: str
    source: str
    heldout_tasks: tuple[str, ...]
    splits: tuple[str, ...]
    tasks: dict  # task -> {"version": str, "splits": {split: {"pairs": int, "fingerprints": {file split: str}}}}
    frozen_from: dict
    reference_tasks: tuple[str, ...] = ()  # what the frozen confounds baseline was fitted on
    confounds: dict | None = None  # its coefficients (rmbench.eval.confounds.ConfoundsModel.to_dict)

    @classmethod
    def from_dict(cls, name: str, d: dict) -> "Track":
        return cls(name=name, label=d["label"], synthetic=d["synthetic"],
                   benchmark_version=d["benchmark_version"], source=d["source"],
                   heldout_tasks=tuple(d["heldout_tasks"]), splits=tuple(d["splits"]),
                   tasks=d["tasks"], frozen_from=d["frozen_from"],
                   reference_tasks=tuple(d.get("reference_tasks") or ()), confounds=d.get("confounds"))

    def as_dict(self) -> dict:
        return {"label": self.label, "synthetic": self.synthetic, "benchmark_version": self.benchmark_version,
                "source": self.source, "heldout_tasks": list(self.heldout_tasks), "splits": list(self.splits),
                "tasks": self.tasks, "reference_tasks": list(self.reference_tasks), "confounds": self.confounds,
                "frozen_from": self.frozen_from}

    def pairs(self, task: str, split: str) -> int:
        return self.tasks[task]["splits"][split]["pairs"]

    def frozen_rows(self, task: str, split: str) -> list[dict]:
        """The frozen pairs of one split, sorted by pair id: what the scorecard reads besides rewards."""
        from rmbench.leaderboard.frozen import CONTROL_KEYS, PAIR_KEYS, unpack

        base = self.baselines(task, split)
        keys = PAIR_KEYS + tuple(f"b_{k}" for k in base.get("scored", ()))
        keys += (CONFOUNDS_LOGIT,) if base.get("confounds_logit") else ()  # tracks frozen before it lack it
        keys += CONTROL_KEYS if base.get("controls") else ()  # and these
        return unpack(self.tasks[task]["splits"][split]["pair_rows"], f"track {self.name} {task}/{split}", keys)

    def baselines(self, task: str, split: str) -> dict:
        """{"seed", "eval", "table", "best", "scored", "not_applicable", "preferred_later"}: the
        frozen baselines of one split (their per-pair outcomes are the b_NAME keys of its rows)."""
        return self.tasks[task]["splits"][split]["baselines"]


def benchmark_version(rmbench_version: str) -> str:
    """Major.minor: a patch release never changes scores; one that does bumps the minor."""
    parts = rmbench_version.split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].split("+")[0].split("-")[0].isdigit():
        raise ValueError(f"not a version: {rmbench_version!r}")
    return f"{parts[0]}.{parts[1].split('+')[0].split('-')[0]}"


def load_tracks(board: Path) -> dict[str, Track]:
    path = board / TRACKS_FILE
    if not path.is_file():
        return {}
    raw = read_json(path)
    problems = _schema_problems(raw)
    if problems:
        raise LeaderboardError(f"{path} is malformed (re-create it with `rmbench leaderboard freeze`):\n  "
                               + "\n  ".join(problems))
    return {name: Track.from_dict(name, d) for name, d in raw["tracks"].items()}


def _schema_problems(raw: object) -> list[str]:
    from rmbench.leaderboard.schemas import validator

    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator("tracks").iter_errors(raw)]


def heldout_rows(data, heldout: list[str], splits: tuple[str, ...]):
    """The rows a default ``rmbench run --holdout``/``evaluate --tasks`` scores on each held-out
    split, by the harness's own functions: every other task of the data is the reference
    (baseline:confounds is fitted on its training pairs; held-out pairs that also occur in it
    are dropped as contaminated). Returns (plan, {(task, split): rows})."""
    from rmbench.run.config import RunConfig
    from rmbench.run.evaluation import prepare_reference, split_rows
    from rmbench.run.plan import plan

    cfg = RunConfig()
    cfg.seed = FREEZE_SEED
    p = plan(cfg, data.path, list(heldout), None, need_train=False)
    p.reference = [t for t in data.tasks if t not in p.holdout]
    prepare_reference(cfg, p)
    return p, {(t, s): split_rows(cfg, p, t, s) for t in p.holdout for s in splits}


def _split_entry(data, p, task: str, split: str, rows: list[dict]) -> dict:
    """Count, fingerprints, frozen pairs (with each baseline's per-pair outcome) and the frozen
    baselines' table of one held-out split."""
    from rmbench.eval.config import EvalConfig
    from rmbench.eval.metrics import using_interval

    cfg = EvalConfig()
    with using_interval(cfg.interval):  # recorded in the entry's eval block below
        return _split_entry_under_rule(data, p, task, split, rows, cfg)


def _split_entry_under_rule(data, p, task: str, split: str, rows: list[dict], cfg) -> dict:
    import dataclasses as dc

    from rmbench.eval.metrics import ClusterBootstrap, post_ids_of
    from rmbench.eval.scorecard import baseline_outcomes, best_baseline, outcome_card
    from rmbench.eval.controls import lengths_of
    from rmbench.leaderboard.frozen import PAIR_KEYS, pack
    from rmbench.prepare.splits import EVAL_SPLITS
    from rmbench.run.evaluation import cue_conflict_ratio

    # an unfitted confounds baseline is frozen as not applicable, with why (its fit set is too small)
    others = baseline_outcomes(rows, FREEZE_SEED, p.confounds or p.confounds_missing) if rows else {}
    scored = [k for k, v in others.items() if not isinstance(v, str)]
    lc, lr = lengths_of(rows)
    # each pair's lengths and scores, so validate recomputes the card's controls (length-controlled
    # accuracy, cue-conflict cell, noise ceiling) without the texts
    packed = [{**{k: r[k] for k in PAIR_KEYS}, **{f"b_{k}": float(others[k][i]) for k in scored},
               "len_chosen": int(lc[i]), "len_rejected": int(lr[i]),
               "score_chosen": r.get("chosen_score"), "score_rejected": r.get("rejected_score")}
              for i, r in enumerate(rows)]
    if rows and p.confounds is not None:  # per pair, so validate recomputes the stacked predictor (rmbench.eval.stacked)
        from rmbench.run.incremental import confounds_logits

        for row, c in zip(packed, confounds_logits(p.confounds, rows)):
            row[CONFOUNDS_LOGIT] = round(float(c), 9)
    table: dict = {}
    if rows:
        posts = post_ids_of([r["pair_id"] for r in rows])
        boot = ClusterBootstrap(posts, cfg.bootstrap_samples, FREEZE_SEED)
        # outcome_card with a coin-flat model gives the baselines' own accuracies and intervals
        card = outcome_card(posts, [0.5] * len(rows), others, cfg=cfg,
                            preferred_later=data.preferred_later(task), seed=FREEZE_SEED, boot=boot,
                            learned="confounds" in others)
        # the baselines' own numbers; their differences to a model are computed per submission
        table = {k: {x: v[x] for x in v if x not in ("diff", "diff_ci95")} for k, v in card["baselines"].items()}
    fps = data.fingerprints(task)
    return {"pairs": len(rows), "posts": len({r["post_id"] for r in rows}),
            "fingerprints": {part: fps[part] for part in EVAL_SPLITS.get(split, (split,))},
            "pair_rows": pack(packed),
            # the settings the baselines' numbers depend on; the scoring batch is not one of them
            "baselines": {"seed": FREEZE_SEED, "eval": {k: v for k, v in dc.asdict(cfg).items() if k != "batch_size"},
                          "table": table,
                          "scored": scored, "not_applicable": {k: v for k, v in others.items() if isinstance(v, str)},
                          "preferred_later": data.preferred_later(task),
                          "confounds_logit": bool(rows) and p.confounds is not None,
                          "controls": {"hard_ratio": cue_conflict_ratio(data, task)},
                          "best": best_baseline(table) if table else None}}


def track_from_data(data, name: str, heldout: list[str], label: str,
                    splits: tuple[str, ...] = TEST_SPLITS) -> Track:
    """The held-out tasks' test splits of a prepared directory (``rmbench.prepared.Prepared``)."""
    manifest = data.doc
    if manifest.get("kind") != "rmbench.prepared":
        raise LeaderboardError("not a prepared-data manifest (kind != 'rmbench.prepared')")
    tasks = manifest.get("tasks") or {}
    missing = [t for t in heldout if t not in tasks]
    if missing:
        raise LeaderboardError(f"held-out task(s) {missing} are not in the prepared data "
                               f"(it has: {', '.join(sorted(tasks)) or 'none'})")
    from rmbench.prepare.splits import EVAL_SPLITS

    for t in heldout:
        for s in splits:
            for part in EVAL_SPLITS.get(s, (s,)):
                if (tasks[t].get("splits") or {}).get(part) is None:
                    raise LeaderboardError(f"task {t!r} has no {part!r} split in the manifest")
        if "test" in splits and data.pairs(t, "test") == 0:
            raise LeaderboardError(f"task {t!r} has an empty test split: nothing to rank on")
    p, rows = heldout_rows(data, heldout, splits)
    frozen = {}
    for t in heldout:
        per_split = {s: _split_entry(data, p, t, s, rows[(t, s)]) for s in splits}
        if per_split.get("test", {}).get("pairs", 1) == 0:
            raise LeaderboardError(f"task {t!r} has an empty test split: nothing to rank on")
        frozen[t] = {"version": str(tasks[t]["version"]), "splits": per_split}
    source = manifest.get("source") or {}
    return Track(name=name, label=label, synthetic=bool(source.get("synthetic")),
                 benchmark_version=benchmark_version(manifest["rmbench_version"]),
                 source=str(source.get("spec", "")), heldout_tasks=tuple(heldout), splits=tuple(splits),
                 tasks=frozen, reference_tasks=tuple(sorted(p.reference_tasks)),
                 confounds=(p.confounds.to_dict() if p.confounds is not None else None),
                 frozen_from={"manifest_fingerprint": manifest.get("fingerprint"),
                              "rmbench_version": manifest["rmbench_version"],
                              "frozen_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})


def same_test_sets(a: Track, b: Track) -> bool:
    """Everything but the freeze time, label and interval rule: would a submission valid on one be
    valid on the other? (The baselines' intervals are shown, never checked against a submission,
    so a track frozen before ``eval.interval`` is the same track frozen today.)"""
    keep = ("synthetic", "benchmark_version", "heldout_tasks", "splits", "tasks", "reference_tasks", "confounds")
    return all(json.dumps(_without_intervals(a.as_dict()[k]), sort_keys=True)
               == json.dumps(_without_intervals(b.as_dict()[k]), sort_keys=True) for k in keep)


def _without_intervals(value):
    """``value`` without the figures the interval rule decides: the rule, and every ``ci95``."""
    if isinstance(value, dict):
        return {k: _without_intervals(v) for k, v in value.items() if k not in ("ci95", "interval")}
    if isinstance(value, list):
        return [_without_intervals(v) for v in value]
    return value


def freeze(board: Path, data_dir: Path, name: str, heldout: list[str], label: str,
           replace: bool = False, splits: tuple[str, ...] = TEST_SPLITS) -> tuple[Track, str]:
    """Add or refresh track ``name`` from ``data_dir/manifest.json``.

    Returns the track and what happened: "added", "unchanged" or "replaced". Changing an
    existing track's test sets invalidates its submissions, so it needs ``replace``.
    """
    from rmbench.leaderboard.names import name_problems

    problems = name_problems(name, "track name")
    if problems:
        raise LeaderboardError("; ".join(problems))
    from rmbench.errors import NotPreparedError
    from rmbench.prepared.manifest import Prepared

    try:
        data = Prepared.open(data_dir)
    except NotPreparedError as e:
        raise LeaderboardError(f"{e} (is it a finished `rmbench prepare` output?)") from None
    unknown = [x for x in splits if x not in TEST_SPLITS]
    if unknown or not splits:
        raise LeaderboardError(f"splits {unknown or '(none)'}: a track is frozen on some of {', '.join(TEST_SPLITS)}")
    new = track_from_data(data, name, heldout, label, tuple(splits))
    path = board / TRACKS_FILE
    raw = read_json(path) if path.is_file() else {"kind": "rmbench.tracks", "schema_version": SCHEMA_VERSION, "tracks": {}}
    upgraded = []
    if isinstance(raw, dict) and raw.get("schema_version") != SCHEMA_VERSION:
        others = sorted(set(raw.get("tracks") or {}) - {name})
        if not replace:
            raise LeaderboardError(f"{path} is schema version {raw.get('schema_version')!r}, an older schema; "
                                   f"re-freeze with --replace (then also: {', '.join(others) or 'no other track'})")
        raw, upgraded = {"kind": "rmbench.tracks", "schema_version": SCHEMA_VERSION, "tracks": {}}, others
    old = None if upgraded or not raw["tracks"] else load_tracks(board).get(name)
    if old is not None and same_test_sets(old, new) and old.label == label:
        return old, "unchanged"
    if old is not None and not same_test_sets(old, new) and not replace:
        raise LeaderboardError(f"track {name!r} already exists with different test sets; re-freezing it "
                               "makes its current submissions invalid. Pass --replace to do it anyway.")
    if old is not None and same_test_sets(old, new):
        new = dataclasses.replace(new, frozen_from=old.frozen_from)  # only the label changed
    raw["tracks"][name] = new.as_dict()
    raw["tracks"] = dict(sorted(raw["tracks"].items()))
    write_json(path, raw)
    if upgraded:
        return new, f"replaced (tracks.json upgraded to schema {SCHEMA_VERSION}; freeze again: {', '.join(upgraded)})"
    return new, "added" if old is None else "replaced"
