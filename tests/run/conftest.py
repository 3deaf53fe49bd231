"""Fixtures of the run tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def stop_after_first_checkpoint(monkeypatch):
    """Call it to make every trainer (classifier or DPO) stop with KeyboardInterrupt once it has
    saved its first checkpoint, as a run killed mid-training; call ``.undo()`` to train normally."""
    from transformers import TrainerCallback

    import rmbench.model.train as train

    class Stop(TrainerCallback):
        def on_save(self, args, state, control, **kw):
            raise KeyboardInterrupt("stopped after the first checkpoint")

    real = train.PairwiseRewardTrainer.__init__

    def with_stop(self, *a, **kw):
        real(self, *a, **kw)
        self.add_callback(Stop())

    class Switch:
        def __call__(self):
            monkeypatch.setattr(train.PairwiseRewardTrainer, "__init__", with_stop)

        def undo(self):
            monkeypatch.setattr(train.PairwiseRewardTrainer, "__init__", real)

    return Switch()
