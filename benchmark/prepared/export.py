"""``rmbench export``: prepared pairs as plain ``prompt/chosen/rejected`` JSONL.

Written in a temporary directory and renamed into place; ``EXPORT.json`` beside the files
records what was exported and marks the directory as an export (the only kind
``--overwrite`` replaces).
"""

from __future__ import annotations

import json
from pathlib import Path

from rmbench.atomic import atomic_dir, write_json
from rmbench.errors import DataError
from rmbench.prepare.splits import ALL_SPLITS
from rmbench.prepared.manifest import Prepared

EXPORT_MARK = "EXPORT.json"


def is_export_dir(path: Path) -> bool:
    try:
        return json.loads((path / EXPORT_MARK).read_text()).get("kind") == "rmbench.export"
    except (OSError, ValueError, AttributeError):
        return False


def export_jsonl(data_dir: str | Path, out_dir: str | Path, tasks: list[str] | None = None,
                 splits: list[str] | None = None, overwrite: bool = False) -> dict[str, dict[str, int]]:
    """Write ``OUT/<task>/<split>.jsonl`` with ``prompt``, ``chosen``, ``rejected`` (plus ``id``
    and ``subset``, which RewardBench reads and TRL ignores); returns rows per task and split.

    TRL's RewardTrainer concatenates ``prompt + chosen`` with no separator, so the
    exported prompt ends with a blank line. Written in a temporary directory and renamed.
    """
    data = Prepared.open(data_dir)
    names = [data.key(t) for t in tasks] if tasks else data.tasks
    wanted = list(splits) if splits else list(ALL_SPLITS)
    for sp in wanted:
        if sp not in ALL_SPLITS:
            raise DataError(f"unknown split {sp!r}; known: {', '.join(ALL_SPLITS)}")
    counts: dict[str, dict[str, int]] = {}
    with atomic_dir(out_dir, overwrite=overwrite, owned=is_export_dir, what="export directory", command="export",
                    inputs=[data_dir]) as tmp:
        for name in names:
            (tmp / name).mkdir()
            counts[name] = {}
            for sp in wanted:
                n = 0
                with open(data.split_path(name, sp), encoding="utf-8") as src, \
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
        write_json(tmp / EXPORT_MARK, {"kind": "rmbench.export", "from": str(data.path),
                                       "manifest_fingerprint": data.fingerprint})
    return counts
