"""Checkpoint completion markers: resume picks the newest complete checkpoint, says which,
and removes the incomplete ones a kill left behind."""

from __future__ import annotations

import json

from rmbench.model.checkpoints import COMPLETE, resumable_checkpoint


def _ckpt(root, step, *, marker=False, state=None):
    d = root / f"checkpoint-{step}"
    d.mkdir(parents=True)
    (d / "model.safetensors").write_bytes(b"w")
    if state is not None:
        (d / "trainer_state.json").write_text(state)
    if marker:
        (d / COMPLETE).write_text("{}")
    return d


def test_the_newest_complete_checkpoint_wins_and_partial_ones_go(tmp_path):
    root = tmp_path / "checkpoints"
    _ckpt(root, 2, marker=True, state='{"global_step": 2}')
    _ckpt(root, 10, state='{"global_step": 10}')  # written before markers existed: its state parses
    _ckpt(root, 12)  # killed before trainer_state.json
    _ckpt(root, 14, state='{"global_st')  # killed while writing it
    lines = []
    assert resumable_checkpoint(root, lines.append) == str(root / "checkpoint-10")
    assert sorted(p.name for p in root.iterdir()) == ["checkpoint-10", "checkpoint-2"]
    assert lines == ["removed checkpoint-12: incomplete (the run stopped while writing it)",
                     "removed checkpoint-14: incomplete (the run stopped while writing it)",
                     "resuming from checkpoint-10 (step 10)"]


def test_nothing_complete_means_step_zero(tmp_path):
    root = tmp_path / "checkpoints"
    _ckpt(root, 4)
    lines = []
    assert resumable_checkpoint(root, lines.append) is None and not any(root.iterdir())
    assert lines[-1].startswith("no complete checkpoint") and resumable_checkpoint(tmp_path / "none") is None
    assert json.loads(json.dumps(lines))  # plain text lines
