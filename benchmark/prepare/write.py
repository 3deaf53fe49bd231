"""THE writer of prepared data (docs/formats.md): split files, fingerprints, manifest.json
and its dataset card (README.md).

Every producer of prepared data goes through here -- ``rmbench prepare``, ``rmbench
feedback export`` and the test suite's fixtures -- so there is one file layout, one line
format, one fingerprint formula and one manifest shape. The read side is
``rmbench.prepared``.

    splits = write_splits(out / task, rows_by_split)         # per split: pairs, posts, fingerprint
    entry = task_entry(task, splits, stats=stats, ...)        # the manifest's block for the task
    write_manifest(out, manifest_document(source=..., bad_input=..., tasks={name: entry}))
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from rmbench import __version__
from rmbench.atomic import write_json
from rmbench.prepare.card import write_card
from rmbench.prepare.pair import YOUNG_SCORE_S, TaskStats, row_json, task_warnings
from rmbench.prepare.splits import ALL_SPLITS, FingerprintBuilder

MANIFEST = "manifest.json"
KIND = "rmbench.prepared"
SCHEMA_VERSION = 1
# What prepare writes for the same inputs and task versions; a cached build of another revision
# is prepared again (``rmbench.prepared.resolve``). Bump it when the rows change without a task
# version changing. 2: score ages read from dumps (before, every one was null).
PREPARE_REVISION = 2

_FALSE = '"cross_task_dup": false'
_TRUE = '"cross_task_dup": true'

Row = tuple[str, str, bool]  # (pair_id, split-file line without newline, cross_task_dup)

# The split-file columns in line order and their types (docs/formats.md), as `datasets`
# dtypes: the read side's Features and the dataset card's `dataset_info` are built from it.
COLUMNS = {
    "pair_id": "string", "task": "string", "split": "string", "subreddit": "string", "post_id": "string",
    "prompt": "string", "chosen": "string", "rejected": "string", "chosen_id": "string", "rejected_id": "string",
    "chosen_score": "int64", "rejected_score": "int64", "chosen_created_utc": "int64",
    "rejected_created_utc": "int64", "chosen_delay_s": "int64", "rejected_delay_s": "int64",
    "chosen_score_age_s": "int64", "rejected_score_age_s": "int64", "time_gap_s": "int64",
    "score_ratio": "float64", "length_ratio": "float64", "cross_task_dup": "bool", "synthetic": "bool",
}


def dict_rows(rows: Iterable[dict]) -> list[Row]:
    """Row dicts (docs/formats.md columns, in order) as sorted writer rows."""
    return sorted(((r["pair_id"], row_json(r), False) for r in rows), key=lambda x: x[0])


def write_split(path: Path, rows: Iterable[Row]) -> dict:
    """One split file from rows sorted by pair id; returns {pairs, posts, fingerprint, cross_task_dups}.

    A row whose duplicate flag is set gets ``"cross_task_dup": true`` in its line (pairs are
    staged before the cross-task comparison, with the flag false).
    """
    fp = FingerprintBuilder()
    n = dups = posts = 0
    prev_post = None
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for pair_id, line, dup in rows:
            if dup:
                head, _, tail = line.rpartition(_FALSE)
                line = head + _TRUE + tail
                dups += 1
            f.write(line)
            f.write("\n")
            fp.add(pair_id)
            n += 1
            # Sorted ids keep each post's pairs adjacent ("p:" is a prefix of all of them).
            post_id = pair_id.split(":", 1)[0]
            if post_id != prev_post:
                posts += 1
                prev_post = post_id
    return {"pairs": n, "posts": posts, "fingerprint": fp.hexdigest(), "cross_task_dups": dups}


def write_splits(task_dir: Path, rows_by_split: Mapping[str, Iterable[Row]]) -> dict[str, dict]:
    """Every split file of one task (a missing split is written empty)."""
    task_dir.mkdir(parents=True, exist_ok=True)
    return {split: write_split(task_dir / f"{split}.jsonl", rows_by_split.get(split, ())) for split in ALL_SPLITS}


def task_entry(task, splits: dict[str, dict], *, stats: TaskStats | None = None, cross_task_dups: int = 0,
               extra: dict | None = None) -> dict:
    """The manifest's block for one task. ``stats`` (a Reddit task's counts) adds the posts,
    comments and pairs blocks and the data-quality warnings; ``extra`` adds producer-specific keys."""
    hard = splits["test_hard"]["pairs"]
    min_pairs = getattr(task, "hard_min_pairs", 100)
    entry = {
        "version": task.version,
        "module": type(task).__module__,
        "kind": task.kind,
        "subreddits": list(getattr(task, "subreddits", ())),
        "rules": json.loads(json.dumps(task.rules(), default=list)),
    }
    if stats is not None:
        s = stats
        entry.update({
            "posts": {"seen": s.posts_seen, "kept": s.posts_kept, "dropped": dict(sorted(s.posts_dropped.items()))},
            "comments": {"seen": s.comments_seen, "kept": s.comments_kept,
                         "dropped": dict(sorted(s.comments_dropped.items())), "orphans": s.orphans,
                         "deleted_or_removed": s.wiped_bodies},
            "pairs": {"candidates": s.candidates, "dropped": dict(sorted(s.pairs_dropped.items())),
                      "capped": s.capped, "kept": s.pairs_kept},
            # all_hard before and after max_hard_pairs_per_post: how much the big threads lost
            "hard_cap": {"max_per_post": getattr(task, "max_hard_pairs_per_post", 0),
                         "candidates": s.hard_candidates, "capped": s.hard_capped,
                         "posts_capped": s.hard_posts_capped},
            # kept pairs (train/validation/test) with both score ages known, and of those, pairs
            # with a score read within young_s of its comment (rmbench.prepare.pair.YOUNG_SCORE_S)
            "score_age": {"pairs_known": s.score_age_pairs, "pairs_young": s.young_score_pairs,
                          "young_s": YOUNG_SCORE_S},
        })
    entry["splits"] = {sp: splits[sp] for sp in ALL_SPLITS}
    entry["test_hard"] = {"pairs": hard, "small": hard < min_pairs, "min_pairs": min_pairs,
                          "bounds": {"max_length_ratio": getattr(task, "hard_max_length_ratio", None),
                                     "max_time_gap_s": getattr(task, "hard_max_time_gap_s", None)}}
    entry["cross_task_dups"] = cross_task_dups
    entry["warnings"] = task_warnings(task, stats) if stats is not None else []
    entry.update(extra or {})
    return entry


def manifest_document(*, source: dict, bad_input: dict, tasks: dict[str, dict]) -> dict:
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "rmbench_version": __version__,
        "prepare_revision": PREPARE_REVISION,
        "source": source,
        "bad_input": bad_input,
        "tasks": tasks,
        "fingerprint": manifest_fingerprint(tasks),
    }


def manifest_fingerprint(tasks: dict) -> str:
    """sha256 over every task's version and split fingerprints: one id for the whole build."""
    core = {name: {"version": t["version"], "splits": {sp: t["splits"][sp]["fingerprint"] for sp in ALL_SPLITS}}
            for name, t in tasks.items()}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()


def write_manifest(out_dir: Path, doc: dict) -> None:
    """The dataset card (``rmbench.prepare.card``: README.md, what makes the directory a
    Hugging Face dataset), then the manifest, written last: a directory with a manifest is
    a finished build."""
    write_card(out_dir, doc)
    write_json(Path(out_dir) / MANIFEST, doc)


__all__ = ["COLUMNS", "KIND", "MANIFEST", "PREPARE_REVISION", "SCHEMA_VERSION", "dict_rows", "manifest_document",
           "manifest_fingerprint", "task_entry", "write_manifest", "write_split", "write_splits"]
