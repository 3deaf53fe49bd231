"""THE results.json builder (docs/formats.md, schema_version 1), predictions.jsonl, provenance.

Every results.json -- ``rmbench run``, ``rmbench evaluate``, ``rmbench agent eval`` -- is
built by ``results_document`` and written by ``write_results``, which validates it against
``results.schema.json`` (beside this module; the leaderboard checks submissions with the
same file) before anything reaches the disk::

    doc = results_document(cfg=cfg.to_dict(), data=Prepared.open(data_dir), data_source="demo",
                           model_info=info, holdout=["writingprompts"], train_tasks=[...],
                           results=per_task, wall_time_s=12.3)
    write_results(run_dir / "results.json", doc)

``per_task`` maps task -> {"role": "heldout"|"in_domain"|"agent", "splits": {split: scorecard}}
with scorecards from ``rmbench.eval.scorecard.split_scorecard``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import os
import platform
import subprocess
from pathlib import Path

from rmbench import __version__
from rmbench.atomic import clean_json, write_json, write_text
from rmbench.errors import RmbenchError

SCHEMA_VERSION = 1
KIND = "rmbench.results"
SCHEMA_PATH = Path(__file__).resolve().parent / "results.schema.json"


class ResultsSchemaError(RmbenchError):
    """A results document that does not match results.schema.json (a bug: nothing is written)."""


@functools.cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_problems(doc: dict) -> list[str]:
    """Every place ``doc`` breaks results.schema.json (empty: valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(clean_json(doc)), key=lambda e: list(map(str, e.absolute_path)))]


def write_results(path: str | Path, doc: dict) -> None:
    """Validate against the schema, then write atomically; an invalid document is never written."""
    problems = schema_problems(doc)
    if problems:
        raise ResultsSchemaError(f"results document for {path} does not match results.schema.json: "
                                 + "; ".join(problems[:5]))
    write_json(path, doc)


def write_predictions(path: str | Path, pairs_by_split: dict, rewards_by_split: dict, model_id: str | None = None,
                      cuts_by_split: dict | None = None) -> None:
    """One line per evaluated pair: task, split, pair_id and both rewards; with ``model_id``
    the model, with ``cuts_by_split`` ((task, split) -> {"prompt"|"chosen"|"rejected": [bool]})
    whether the post and each response were truncated."""
    lines = []
    for (task, split), pairs in pairs_by_split.items():
        rc, rr = rewards_by_split[(task, split)]
        cuts = (cuts_by_split or {}).get((task, split))
        for i, (p, c, r) in enumerate(zip(pairs, rc, rr)):
            row = {"task": task, "split": split, "pair_id": p["pair_id"], "reward_chosen": c, "reward_rejected": r}
            if model_id is not None:
                row["model"] = model_id
            if cuts:
                row["truncated"] = {side: bool(cuts[side][i]) for side in ("prompt", "chosen", "rejected")}
            lines.append(json.dumps(row))
    write_text(path, "\n".join(lines) + ("\n" if lines else ""))


def git_commit() -> str | None:
    """The checkout's commit when rmbench runs from a git checkout, else None."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


def hardware() -> dict:
    """Where the run ran. ``cpu``, ``cpu_bf16`` and ``torch_threads`` with ``torch`` and the
    precision in the config are what a bit-for-bit rerun needs the same of (docs/harness.md)."""
    import torch

    from rmbench.machine import cpu_has_bf16, cpu_model

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"device": "cuda" if gpu else "cpu", "torch": torch.__version__, "cpu_count": os.cpu_count(),
            "gpu": gpu, "gpu_count": torch.cuda.device_count() if gpu else 0,
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu": cpu_model(), "cpu_bf16": cpu_has_bf16(), "torch_threads": torch.get_num_threads()}


def flat_items(value, prefix: str = "") -> list[tuple[str, object]]:
    """A nested block's leaves as ("section.key", value) pairs, in order: how a results.json's
    config or hardware is listed (the leaderboard's detail pages) or set beside another's (compare)."""
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in flat_items(v, f"{prefix}.{k}" if prefix else str(k))]
    return [(prefix, value)]


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def data_block(source: str, data, tasks: list[str]) -> dict:
    """Provenance of the pairs: the source, the manifest fingerprint, each task's version and
    split fingerprints. ``data`` is a ``rmbench.prepared.Prepared``."""
    entries = {t: {"version": data.version(t), "fingerprints": data.fingerprints(t)} for t in tasks}
    return {"source": source, "manifest_fingerprint": data.fingerprint, "split_by": data.split_by, "tasks": entries}


HEADLINE_SPLITS = ("heldout_all", "heldout_all_hard")  # every post of a held-out task: the numbers to quote


def _mean(xs):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return round(sum(xs) / len(xs), 6) if xs else None


def split_summary(results: dict, split: str, role: str = "heldout") -> dict:
    """Means over ``role`` tasks of one split's accuracy and best eligible baseline, and
    whether every counted split clears it; too-small splits are listed and never counted."""
    cards = {t: r["splits"][split] for t, r in sorted(results.items()) if r["role"] == role and split in r["splits"]}
    counted = {t: c for t, c in cards.items() if not c.get("too_small")}
    best = [c["baselines"][c["best_baseline"]]["accuracy"] for c in counted.values() if c.get("best_baseline")]
    acc = _mean([c["accuracy"] for c in counted.values()])
    flags = [c.get("clears_best_baseline") for c in counted.values()]
    # every counted split's stacked verdict (rmbench.eval.stacked); null where none was given
    adds = [(c.get("stacked") or {}).get("adds_information") for c in counted.values()]
    return {"mean_accuracy": acc, "best_baseline_mean": _mean(best),
            "margin": round(acc - _mean(best), 6) if acc is not None and _mean(best) is not None else None,
            "clears_best_baseline": all(f is True for f in flags) if flags else None,
            "adds_information": all(a is True for a in adds) if adds and None not in adds else None,
            "tasks": sorted(counted), "too_small": sorted(set(cards) - set(counted))}


def summary(results: dict) -> dict:
    """Held-out means (test, test_hard and the headline splits), the best eligible baseline,
    the in-domain - held-out gap; a too-small split is left out of every one of them."""
    test, hard = split_summary(results, "test"), split_summary(results, "test_hard")
    in_domain = split_summary(results, "test", role="in_domain")["mean_accuracy"]
    held = test["mean_accuracy"]
    out = {"heldout_mean_accuracy": held, "heldout_mean_accuracy_hard": hard["mean_accuracy"],
           "best_baseline_mean": test["best_baseline_mean"], "margin_over_best_baseline": test["margin"],
           "clears_best_baseline": {"test": test["clears_best_baseline"], "test_hard": hard["clears_best_baseline"]},
           "headline": {}, "in_domain_mean_accuracy": in_domain,
           "in_domain_minus_heldout": round(in_domain - held, 6) if in_domain is not None and held is not None else None}
    for split in HEADLINE_SPLITS:
        if any(split in r["splits"] for r in results.values() if r["role"] == "heldout"):
            out["headline"][split] = s = split_summary(results, split)
            out["clears_best_baseline"][split] = s["clears_best_baseline"]
    out["excluded_too_small"] = sorted(f"{t}/{sp}" for t, r in results.items() for sp, c in r["splits"].items()
                                       if c.get("too_small"))
    out["at_chance"] = sorted(f"{t}/{sp}" for t, r in results.items() for sp, c in r["splits"].items()
                              if r["role"] == "heldout" and c.get("at_chance") and not c.get("too_small"))
    return out


def results_document(*, cfg: dict, data, data_source: str, model_info: dict, holdout: list[str],
                     train_tasks: list[str], results: dict, wall_time_s: float | None,
                     flags: list[str] | None = None, summary_block: dict | None = None,
                     data_tasks: list[str] | None = None, extra: dict | None = None) -> dict:
    """The results.json document. ``data`` is the ``Prepared`` the pairs came from and
    ``data_tasks`` the tasks of it whose provenance is recorded (default: those in
    ``results``); ``summary_block`` replaces the held-out means for documents that define
    their own (the agent)."""
    from rmbench.eval.metrics import interval_rule

    tasks = sorted(data_tasks if data_tasks is not None else results)
    return {
        "kind": KIND, "schema_version": SCHEMA_VERSION,
        "rmbench_version": __version__, "git_commit": git_commit(), "created_utc": utc_now(),
        "synthetic_data": data.synthetic,
        "data": data_block(data_source, data, tasks),
        "model": model_info,
        # the interval rule every figure here was computed under (a run's eval.interval; the
        # agent's and best-of-N's win rates use the rule in force): the leaderboard recomputes by it
        "config": {**cfg, "eval": {**(cfg.get("eval") or {}), "interval": interval_rule()}},
        "holdout": holdout, "train_tasks": train_tasks,
        "results": results,
        "summary": summary_block if summary_block is not None else summary(results),
        "flags": flags or [],
        "wall_time_s": round(wall_time_s, 2) if wall_time_s is not None else None,
        "hardware": hardware(),
        **(extra or {}),
    }
