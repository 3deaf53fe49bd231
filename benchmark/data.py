"""Reading prepared data: a task's splits as a ``datasets.DatasetDict``, the manifest, and
``export_jsonl`` for tools that want plain ``prompt/chosen/rejected`` files.

Every split file has the columns of docs/formats.md; the ``Features`` below pin their
types so an empty split loads as an empty dataset with the same columns, and a split
whose delays are all null still has integer delay columns.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from rmbench.registry import UnknownTaskError
from rmbench.splits import ALL_SPLITS

MANIFEST = "manifest.json"


def features():
    from datasets import Features, Value

    s, i, f, b = Value("string"), Value("int64"), Value("float64"), Value("bool")
    return Features({
        "pair_id": s, "task": s, "split": s, "subreddit": s, "post_id": s, "prompt": s,
        "chosen": s, "rejected": s, "chosen_id": s, "rejected_id": s,
        "chosen_score": i, "rejected_score": i, "chosen_created_utc": i, "rejected_created_utc": i,
        "chosen_delay_s": i, "rejected_delay_s": i, "time_gap_s": i,
        "score_ratio": f, "length_ratio": f, "cross_task_dup": b, "synthetic": b,
    })


class NotPreparedError(FileNotFoundError):
    """The directory is not a finished ``rmbench prepare`` output."""


def read_manifest(data_dir: str | Path) -> dict:
    path = Path(data_dir) / MANIFEST
    if not path.is_file():
        raise NotPreparedError(f"{data_dir}: no {MANIFEST}; not a finished `rmbench prepare --out` directory "
                               "(a build that failed or is still running leaves none)")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("kind") != "rmbench.prepared":
        raise NotPreparedError(f"{path}: not an rmbench prepared-data manifest (kind={manifest.get('kind')!r})")
    return manifest


def prepared_tasks(data_dir: str | Path) -> list[str]:
    return sorted(read_manifest(data_dir)["tasks"])


def _task_key(data_dir: str | Path, task: str) -> str:
    known = prepared_tasks(data_dir)
    if task.lower() not in known:
        raise UnknownTaskError(task, known)
    return task.lower()


def load_prepared(data_dir: str | Path, task: str):
    """``DatasetDict`` with ``train``, ``validation``, ``test`` and ``test_hard`` for ``task``.

    Raises ``NotPreparedError`` for a directory without a manifest and ``UnknownTaskError``
    (with "did you mean") for a task the directory does not hold.
    """
    from datasets import Dataset, DatasetDict

    key = _task_key(data_dir, task)
    feats = features()
    out = {}
    for split in ALL_SPLITS:
        path = Path(data_dir) / key / f"{split}.jsonl"
        if not path.is_file():
            raise NotPreparedError(f"{path}: missing although the manifest lists task {key!r}")
        rows = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rows.append(json.loads(line))
        # from_list with explicit features: no cache files written, and empty splits keep
        # their columns. The prepared splits are capped per post, so they fit in memory.
        out[split] = Dataset.from_list(rows, features=feats) if rows else Dataset.from_dict(
            {k: [] for k in feats}, features=feats)
    return DatasetDict(out)


def export_jsonl(data_dir: str | Path, out_dir: str | Path, tasks: list[str] | None = None,
                 splits: list[str] | None = None, overwrite: bool = False) -> dict[str, dict[str, int]]:
    """Write ``OUT/<task>/<split>.jsonl`` with ``prompt``, ``chosen``, ``rejected`` (plus ``id``
    and ``subset``, which RewardBench reads and TRL ignores); returns rows per task and split.

    TRL's RewardTrainer concatenates ``prompt + chosen`` with no separator, so the
    exported prompt ends with a blank line. Written in a temporary directory and renamed.
    """
    manifest = read_manifest(data_dir)
    names = [_task_key(data_dir, t) for t in tasks] if tasks else sorted(manifest["tasks"])
    wanted = list(splits) if splits else list(ALL_SPLITS)
    for sp in wanted:
        if sp not in ALL_SPLITS:
            raise ValueError(f"unknown split {sp!r}; known: {', '.join(ALL_SPLITS)}")
    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} already exists; pass overwrite=True (--overwrite) to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
    counts: dict[str, dict[str, int]] = {}
    try:
        for name in names:
            (tmp / name).mkdir()
            counts[name] = {}
            for sp in wanted:
                n = 0
                with open(Path(data_dir) / name / f"{sp}.jsonl", encoding="utf-8") as src, \
                        open(tmp / name / f"{sp}.jsonl", "w", encoding="utf-8", newline="\n") as dst:
                    for line in src:
                        if not line.strip():
                            continue
                        r = json.loads(line)
                        dst.write(json.dumps({"prompt": r["prompt"] + "\n\n", "chosen": r["chosen"],
                                              "rejected": r["rejected"], "id": r["pair_id"],
                                              "subset": f"{name}/{sp}"}, ensure_ascii=False) + "\n")
                        n += 1
                counts[name][sp] = n
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts
