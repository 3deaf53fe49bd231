"""``rmbench export``: prepared pairs in the layouts other tools read.

Formats (each proved by its consumer in tests/prepared/test_export.py):

- ``trl``: TRL's explicit-prompt preference rows, ``prompt/chosen/rejected`` strings.
  TRL's RewardTrainer joins ``prompt + chosen`` with no separator, so the prompt ends in a
  blank line.
- ``trl-chat``: TRL's conversational rows: ``prompt`` a user message, ``chosen`` and
  ``rejected`` one assistant message each; TRL renders them with the tokenizer's chat template.
- ``rewardbench``: the row layout of RewardBench's hub sets (``id`` an integer, ``subset``,
  ``chosen_model``, ``rejected_model``) with ``chosen``/``rejected`` as the full conversation,
  which is what its custom-data loader (``rewardbench.utils.load_and_process_dataset``)
  expects when ``prompt`` is a string.
- ``hf-disk``: ``OUT/<task>/`` is a ``datasets.DatasetDict`` written by ``save_to_disk``,
  every prepared column with its pinned type; ``load_from_disk`` reads it back, an empty
  split as an empty dataset with the same features.

Written in a temporary directory and renamed into place; ``EXPORT.json`` beside the files
records what was exported, from which manifest, and (with ``--max-length``) how many pairs
each split holds that TRL would drop, and marks the directory as an export (the only kind
``--overwrite`` replaces).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from rmbench.atomic import atomic_dir, write_json
from rmbench.errors import ConfigError, DataError
from rmbench.jsonl import read_jsonl, write_jsonl
from rmbench.prepare.splits import ALL_SPLITS
from rmbench.prepared.manifest import Prepared
from rmbench.jsonlimits import read_json_file

EXPORT_MARK = "EXPORT.json"
FORMATS = ("trl", "trl-chat", "rewardbench", "hf-disk")
# RewardBench's ``chosen_model``/``rejected_model`` name what wrote a completion.
HUMAN = "human (r/{subreddit})"


def is_export_dir(path: Path) -> bool:
    try:
        return read_json_file(path / EXPORT_MARK).get("kind") == "rmbench.export"
    except (OSError, ValueError, AttributeError):
        return False


def int_id(pair_id: str) -> int:
    """RewardBench wants integer ids: 53 bits of sha256(pair_id), stable across exports and
    exact in every JSON reader (JavaScript included). ``export`` refuses a collision."""
    return int(hashlib.sha256(pair_id.encode()).hexdigest()[:14], 16) >> 3


def _user(text: str) -> dict:
    return {"role": "user", "content": text}


def _assistant(text: str) -> dict:
    return {"role": "assistant", "content": text}


def trl_row(r: dict, task: str, split: str) -> dict:
    return {"prompt": r["prompt"] + "\n\n", "chosen": r["chosen"], "rejected": r["rejected"],
            "pair_id": r["pair_id"]}


def trl_chat_row(r: dict, task: str, split: str) -> dict:
    return {"prompt": [_user(r["prompt"])], "chosen": [_assistant(r["chosen"])],
            "rejected": [_assistant(r["rejected"])], "pair_id": r["pair_id"]}


def rewardbench_row(r: dict, task: str, split: str) -> dict:
    model = HUMAN.format(subreddit=r.get("subreddit") or task)
    return {"id": int_id(r["pair_id"]), "subset": f"{task}/{split}", "prompt": r["prompt"],
            "chosen": [_user(r["prompt"]), _assistant(r["chosen"])],
            "rejected": [_user(r["prompt"]), _assistant(r["rejected"])],
            "chosen_model": model, "rejected_model": model}


ROWS: dict[str, Callable[[dict, str, str], dict]] = {
    "trl": trl_row, "trl-chat": trl_chat_row, "rewardbench": rewardbench_row}


def _check(fmt: str, wanted: list[str], length_check) -> None:
    from rmbench.errors import did_you_mean

    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}.{did_you_mean(fmt, FORMATS)}")
    for sp in wanted:
        if sp not in ALL_SPLITS:
            raise DataError(f"unknown split {sp!r}; known: {', '.join(ALL_SPLITS)}.{did_you_mean(sp, ALL_SPLITS)}")
    if length_check is not None and fmt not in ("trl", "trl-chat"):
        raise ConfigError("--max-length counts the pairs TRL's RewardTrainer would drop: "
                          "use it with --format trl or trl-chat")


def export(data_dir: str | Path, out_dir: str | Path, fmt: str = "trl", tasks: list[str] | None = None,
           splits: list[str] | None = None, overwrite: bool = False, length_check=None) -> dict:
    """Write the export; returns ``{"pairs": {task: {split: n}}, "over_max_length": {...} | None}``.

    ``length_check``: a ``rmbench.prepared.trl_compat.LengthCheck`` (a tokenizer and a token
    limit); with it, every row is measured the way TRL's RewardTrainer measures it.
    """
    data = Prepared.open(data_dir)
    names = [data.key(t) for t in tasks] if tasks else data.tasks
    wanted = list(splits) if splits else list(ALL_SPLITS)
    _check(fmt, wanted, length_check)
    counts: dict[str, dict[str, int]] = {}
    over: dict[str, dict[str, int]] | None = {} if length_check is not None else None
    seen_ids: dict[int, str] = {}
    with atomic_dir(out_dir, overwrite=overwrite, owned=is_export_dir, what="export directory", command="export",
                    inputs=[data_dir]) as tmp:
        for name in names:
            counts[name] = {}
            if fmt == "hf-disk":
                counts[name] = _save_to_disk(data, name, wanted, tmp / name)
                continue
            (tmp / name).mkdir()
            if over is not None:
                over[name] = {}
            for sp in wanted:
                source = read_jsonl(data.split_path(name, sp))
                if fmt == "rewardbench":
                    source = _no_id_collision(source, seen_ids)
                rows = (ROWS[fmt](r, name, sp) for r in source)
                if over is not None:
                    rows = length_check.measure(rows, over[name], sp)
                counts[name][sp] = write_jsonl(tmp / name / f"{sp}.jsonl", rows)
        mark = {"kind": "rmbench.export", "format": fmt, "from": str(data.path),
                "manifest_fingerprint": data.fingerprint, "pairs": counts}
        if over is not None:
            mark.update(max_length=length_check.max_length, tokenizer=length_check.name, over_max_length=over)
        write_json(tmp / EXPORT_MARK, mark)
    return {"pairs": counts, "over_max_length": over}


def _no_id_collision(rows: Iterator[dict], seen: dict[int, str]) -> Iterator[dict]:
    """The same pair may sit in two splits (test_hard pairs are also in all_hard); two
    different pairs may not share an integer id."""
    for row in rows:
        num = int_id(row["pair_id"])
        if seen.setdefault(num, row["pair_id"]) != row["pair_id"]:
            raise DataError(f"pairs {seen[num]} and {row['pair_id']} share the integer id {num}; "
                            "export them separately (--tasks)")
        yield row


def _save_to_disk(data: Prepared, name: str, wanted: list[str], dest: Path) -> dict[str, int]:
    from datasets import DatasetDict

    from rmbench.prepared.load import load_prepared

    full = load_prepared(data.path, name)
    dd = DatasetDict({sp: full[sp] for sp in wanted})
    # datasets picks min(rows, ...) shards, so an empty split gets none and load_from_disk
    # then fails with an IndexError; one (empty) shard keeps it loadable, with its features.
    dd.save_to_disk(str(dest), num_shards={sp: 1 for sp in wanted if not dd[sp].num_rows})
    return {sp: dd[sp].num_rows for sp in wanted}


def export_jsonl(data_dir: str | Path, out_dir: str | Path, tasks: list[str] | None = None,
                 splits: list[str] | None = None, overwrite: bool = False) -> dict[str, dict[str, int]]:
    """``export(..., fmt="trl")``'s pair counts (the first export's name, kept for callers)."""
    return export(data_dir, out_dir, "trl", tasks=tasks, splits=splits, overwrite=overwrite)["pairs"]
