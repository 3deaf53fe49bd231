"""Checkpoints that survive a kill at any moment.

``transformers.Trainer`` writes ``checkpoint-N/`` file by file (weights, optimizer, scheduler,
RNG state, ``trainer_state.json`` last). A run killed in between leaves a folder that looks
like a checkpoint and cannot be resumed from. ``MarkComplete`` drops a marker into each
checkpoint once the Trainer has finished writing it (``on_save`` runs after the whole save),
the same completion-marker idea datatrove uses for its shards; ``resumable_checkpoint``
resumes from the newest *complete* one, says which, and removes incomplete ones with a line
saying so.

A checkpoint from before markers existed counts as complete when its ``trainer_state.json``
(written last) parses.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from transformers import TrainerCallback
from rmbench.jsonlimits import read_json_file

COMPLETE = ".rmbench-complete"
_NAME = re.compile(r"^checkpoint-(\d+)$")


class MarkComplete(TrainerCallback):
    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            from rmbench.atomic import write_json

            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir():
                write_json(folder / COMPLETE, {"global_step": state.global_step})
        return control


def is_complete(folder: Path) -> bool:
    if (folder / COMPLETE).is_file():
        return True
    try:
        return "global_step" in read_json_file(folder / "trainer_state.json")
    except (OSError, ValueError, TypeError):
        return False


def complete_steps(root: str | Path) -> list[int]:
    """The steps of the complete ``checkpoint-N`` folders under ``root``, ascending; removes nothing."""
    root = Path(root)
    found = (_NAME.match(p.name) for p in root.iterdir()) if root.is_dir() else ()
    return sorted(int(m.group(1)) for m in found if m and is_complete(root / m.group(0)))


def resumable_checkpoint(root: str | Path, notify: Callable[[str], None] = print) -> str | None:
    """The newest complete ``checkpoint-N`` under ``root`` (None if there is none); every
    incomplete one is removed first, each with a line through ``notify``."""
    root = Path(root)
    if not root.is_dir():
        return None
    found = sorted((int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := _NAME.match(p.name)))
    complete = []
    for step, folder in found:
        if is_complete(folder):
            complete.append((step, folder))
        else:
            shutil.rmtree(folder, ignore_errors=True)
            notify(f"removed {folder.name}: incomplete (the run stopped while writing it)")
    if not complete:
        notify(f"no complete checkpoint in {root}: training starts from step 0")
        return None
    step, folder = complete[-1]
    notify(f"resuming from {folder.name} (step {step})")
    return str(folder)
