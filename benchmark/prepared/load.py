"""Reading prepared pairs: a task's splits as a ``datasets.DatasetDict``, or as row dicts.

Every split file has the columns of docs/formats.md; the ``Features`` below pin their
types so an empty split loads as an empty dataset with the same columns, and a split
whose delays are all null still has integer delay columns.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

from rmbench.jsonl import read_jsonl
from rmbench.prepare.splits import ALL_SPLITS, EVAL_SPLITS
from rmbench.prepare.write import COLUMNS, MANIFEST
from rmbench.prepared.manifest import Prepared


# Columns added after the first release: null when a split file predates them.
ADDED_COLUMNS = ("chosen_score_age_s", "rejected_score_age_s")


def features():
    from datasets import Features, Value

    return Features({name: Value(dtype) for name, dtype in COLUMNS.items()})


def load_prepared(data_dir: str | Path, task: str):
    """``DatasetDict`` with ``train``, ``validation``, ``test`` and ``test_hard`` for ``task``.

    Raises ``NotPreparedError`` for a directory without a manifest and ``UnknownTaskError``
    (with "did you mean") for a task the directory does not hold.
    """
    from datasets import Dataset, DatasetDict

    data = Prepared.open(data_dir)
    feats = features()
    out = {}
    for split in ALL_SPLITS:
        path = data.split_path(task, split)
        rows = []
        for row in read_jsonl(path):  # a bad line is a DataError naming the file and line
            for key in ADDED_COLUMNS:  # files written before these columns existed
                row.setdefault(key, None)
            rows.append(row)
        # from_list with explicit features: no cache files written, and empty splits keep
        # their columns. The prepared splits are capped per post, so they fit in memory.
        out[split] = Dataset.from_list(rows, features=feats) if rows else Dataset.from_dict(
            {k: [] for k in feats}, features=feats)
    return DatasetDict(out)


@functools.lru_cache(maxsize=16)
def _task_rows(data_dir: str, task: str, mtime_ns: int) -> dict[str, tuple[dict, ...]]:
    # mtime of the manifest is in the key: a rebuilt directory is read again.
    return {split: tuple(ds.to_list()) for split, ds in load_prepared(data_dir, task).items()}


def load_split(data_dir: Path, task: str, split: str, limit: int = 0, seed: int = 0) -> list[dict]:
    """Rows of one split as dicts; ``limit`` draws a seeded sample (sorted back by pair id).

    ``split`` may be an evaluation split made of split files (``heldout_all``: train +
    validation + test, every post once; ``heldout_all_hard``: ``all_hard``)."""
    manifest = Path(data_dir).resolve() / MANIFEST
    cached = _task_rows(str(manifest.parent), task, manifest.stat().st_mtime_ns)
    parts = EVAL_SPLITS.get(split, (split,))
    rows = sorted((r for s in parts for r in cached[s]), key=lambda r: r["pair_id"]) if len(parts) > 1 \
        else list(cached[parts[0]])
    if limit and len(rows) > limit:
        rows = random.Random(f"{seed}:{task}:{split}").sample(rows, limit)
        rows.sort(key=lambda r: r["pair_id"])
    return rows


def sample_across(data_dir: Path, tasks: list[str], split: str, limit: int, seed: int) -> list[dict]:
    """Up to ``limit`` pairs over ``tasks``, an even share each (a small task's unused share goes to the rest)."""
    per_task = {t: load_split(data_dir, t, split) for t in tasks}
    if not limit:
        return [r for t in tasks for r in per_task[t]]
    quota, left, out = {}, limit, []
    for i, t in enumerate(sorted(tasks, key=lambda t: len(per_task[t]))):
        share = left // (len(tasks) - i)
        quota[t] = min(share, len(per_task[t]))
        left -= quota[t]
    for t in tasks:
        rows = per_task[t]
        if quota[t] < len(rows):
            rows = sorted(random.Random(f"{seed}:{t}:{split}").sample(rows, quota[t]), key=lambda r: r["pair_id"])
        out.extend(rows)
    return out
