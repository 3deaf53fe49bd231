"""What an evaluated model was trained on: ``evaluate --seen DIR`` (``data.seen``).

Why: a model rmbench did not train may have read the very posts it is scored on. SteamSHP
was trained on SHP's train split, which holds r/AskAcademia threads that a dump of
r/AskAcademia holds too; any reward model trained on Reddit votes may have seen part of a
held-out community. rmbench's own contamination check compares held-out pairs with the
reference tasks of the same data. ``data.seen`` adds prepared folders holding what the model
saw: every pair of their ``data.seen_splits`` (default train and validation: what training
and its model selection read) goes into the same index, by the same text keys (a post's
prompt, a response of 40+ characters: ``rmbench.prepare.dedup``), so a held-out pair sharing
a post or a response with them is dropped, or kept and counted with ``--keep-contaminated``,
as a pair found in a reference task is. Matching by text, not by id, works across sources:
an SHP row and a dump record of the same comment share their text, not their layout.

A seen entry that is a source rather than a prepared folder (``hf:stanfordnlp/SHP``, a dump
folder) is prepared into the cache like ``--data``, with the run's ``--split-by``. For SteamSHP:
``evaluate --model steamshp --data hf:stanfordnlp/SHP --split-by source --seen hf:stanfordnlp/SHP``
scores SHP's test posts only; ``--data DUMPS --split-by source --seen hf:stanfordnlp/SHP`` leaves
out the dump posts SHP trained it on.
"""

from __future__ import annotations

from pathlib import Path

from rmbench.errors import ConfigError, DataError, RmbenchError
from rmbench.jsonl import read_jsonl
from rmbench.prepare.splits import EVAL_SPLITS
from rmbench.prepared.manifest import MANIFEST, Prepared
from rmbench.prepared.resolve import resolve_data

SEEN_SPLITS = ("train", "validation", "test", "heldout_all")


def index_seen(cfg, index) -> list[dict]:
    """Add the seen folders' pairs to ``index``; results.json's ``contamination.<task>.seen``."""
    splits = list(cfg.data.seen_splits)
    bad = [s for s in splits if s not in SEEN_SPLITS]
    if bad or not splits:
        raise ConfigError(f"data.seen_splits {bad or splits}: each one of {', '.join(SEEN_SPLITS)}")
    out = []
    for folder in cfg.data.seen:
        path = Path(folder).expanduser()
        try:
            if not (path / MANIFEST).is_file() and (folder.startswith("hf:") or path.is_dir()):
                # a source (hf:stanfordnlp/SHP, a dump folder): prepared into the cache with the run's
                # split rule, so that --split-by source gives SHP's own train and validation
                path = resolve_data(folder, cfg.data.cache_dir, progress=False, split_by=cfg.data.split_by)
            data = Prepared.open(path)
        except RmbenchError as err:
            raise DataError(f"--seen {folder}: {err}. It takes a prepared folder of what the model was trained on "
                            "(rmbench prepare --source ... --out DIR), or a source to prepare") from None
        pairs = 0
        for task in data.tasks:
            for split in splits:
                for part in EVAL_SPLITS.get(split, (split,)):
                    if n := data.pairs(task, part):  # the manifest's count; an empty file holds nothing
                        # streamed, not load_split: its per-task cache would hold all of SHP's text
                        index.add_rows(read_jsonl(data.split_path(task, part)))
                        pairs += n
        out.append({"data": str(folder), "fingerprint": data.fingerprint, "splits": splits,
                    "tasks": sorted(data.tasks), "pairs": pairs})
    return out
