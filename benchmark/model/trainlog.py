"""Training logs: where ``Trainer`` also reports (``train.report_to``) and the log history
every run keeps (``RUN/train_log.jsonl``, drawn as ``plots/training.png`` by
``rmbench.eval.plots_run.training_curve``).

The history is ``TrainerState.log_history`` as it stands after training, one entry a line:
``{"loss", "grad_norm", "learning_rate", "epoch", "step"}`` every logging step,
``{"eval_loss", "eval_accuracy", ..., "step"}`` at every validation, and the closing
``{"train_runtime", "train_loss", ..., "step"}``. A run resumed from a checkpoint keeps the
entries logged before the interruption (the checkpoint's state holds them).
"""

from __future__ import annotations

import json
from pathlib import Path

from rmbench.atomic import clean_json, write_text
from rmbench.errors import ConfigError, did_you_mean

LOG_FILE = "train_log.jsonl"
TENSORBOARD_DIR = "tensorboard"  # beside the run's other outputs: checkpoints/ is removed after training


def report_integrations(setting: str) -> list[str]:
    """``train.report_to`` ("none", or integration names separated by commas) checked against the
    integrations this transformers knows and the ones installed here; [] for none."""
    names = list(dict.fromkeys(n.strip().lower() for n in str(setting).split(",") if n.strip()))
    if names in ([], ["none"]):
        return []
    from transformers.integrations.integration_utils import (INTEGRATION_TO_CALLBACK,
                                                             get_available_reporting_integrations)

    known = sorted(INTEGRATION_TO_CALLBACK)
    for name in names:
        if name not in known:
            raise ConfigError(f"train.report_to: {name!r} is not a transformers integration "
                              f"(none, or any of: {', '.join(known)}).{did_you_mean(name, known + ['none'])}")
    missing = [n for n in names if n not in get_available_reporting_integrations()]
    if missing:
        raise ConfigError(f"train.report_to: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not "
                          f"installed here (pip install {' '.join(missing)}), or use train.report_to=none")
    return names


def place_tensorboard(trainer, run_dir: Path) -> None:
    """Point TensorBoard's event files at ``run_dir/tensorboard`` unless $TENSORBOARD_LOGGING_DIR
    says otherwise (transformers' default is under output_dir, our checkpoints/, which a
    finished run deletes)."""
    from transformers.integrations import TensorBoardCallback

    for cb in trainer.callback_handler.callbacks:
        if isinstance(cb, TensorBoardCallback) and cb.logging_dir is None:
            cb.logging_dir = str(Path(run_dir) / TENSORBOARD_DIR)


def write_log(path: str | Path, history: list[dict]) -> None:
    """The log history, one JSON object a line (NaN/inf as null), written atomically."""
    write_text(path, "".join(json.dumps(clean_json(e), sort_keys=True) + "\n" for e in history))


def read_log(path: str | Path) -> list[dict]:
    """The entries of a train_log.jsonl; a bad line is a DataError naming the file and line."""
    from rmbench.jsonl import read_jsonl

    return list(read_jsonl(path))


__all__ = ["LOG_FILE", "TENSORBOARD_DIR", "place_tensorboard", "read_log", "report_integrations", "write_log"]


def whole_run_loss(history: list[dict]) -> float | None:
    """The mean training loss over every logged step of the run, each logged value weighted by
    the steps it covers: after a resume, Trainer's own ``training_loss`` covers only the steps
    run since, while the history (restored from the checkpoint) covers them all."""
    logged = sorted((e["step"], e["loss"]) for e in history if "loss" in e and "step" in e)
    total = steps = prev = 0
    for step, loss in logged:
        total += loss * (step - prev)
        steps += step - prev
        prev = step
    return total / steps if steps else None

