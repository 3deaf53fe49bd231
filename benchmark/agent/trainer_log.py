"""The agent's trainers (TRL's SFTTrainer and RLOOTrainer) report through rmbench's progress.

A stock ``transformers.Trainer`` prints every log dict (``{'loss': ..., 'kl': ...}``) to
stdout, through tqdm's ``write`` or, with tqdm off, through ``PrinterCallback``: raw dicts in
the middle of a run's output, and on stdout where results belong. The harness's own bar
(``rmbench.model.train.RichProgress``: a bar on a terminal, a plain line every tenth of the
way elsewhere, nothing under ``--quiet``) replaces both; the dicts stay in
``trainer.state.log_history``, which the agent's model card keeps.
"""

from __future__ import annotations


def quiet_trainer(trainer, desc: str = "") -> None:
    """Swap the trainer's printing callbacks for the harness's progress bar (call before ``train``)."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    from rmbench.model.train import RichProgress

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(RichProgress())
    if desc:
        _note(f"{desc}: training")


def precision_args(setting: str = "auto") -> dict:
    """``bf16``/``fp16`` for a TRL config, chosen as the harness chooses (``resolve_precision``).

    TRL's configs default ``bf16=True``; on a CPU without AVX512-BF16/AMX that autocast is
    emulated, and one RLOO step of smollm2 took minutes instead of seconds. So the agent asks
    the harness, and says which it got. ``setting`` is the run's ``model.mixed_precision``
    (``--mixed-precision``): 'auto' lets the machine decide, 'no' forces fp32 even where bf16
    is fast, which is how the fp32 path's cost is measured on a bf16 CPU."""
    from rmbench.model.train import precision_note, resolve_precision

    got = resolve_precision(setting)
    _note(precision_note(setting))
    return {"bf16": got == "bf16", "fp16": got == "fp16"}


def used_precision(args) -> str:
    """What a TRL config trained in, for the model card: 'bf16', 'fp16' or 'fp32'."""
    return "bf16" if args.bf16 else "fp16" if args.fp16 else "fp32"


def _note(line: str) -> None:
    import sys

    from rmbench.console import quiet

    if not quiet():  # progress and notes go to stderr; stdout is for results
        print(line, file=sys.stderr)
