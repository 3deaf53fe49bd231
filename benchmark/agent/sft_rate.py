"""The learning rate of generator SFT when none is given: one for every weight, one for LoRA.

Why two: LoRA adapters start at zero and update a small share of the weights, so at the rate
that fine-tunes every weight they barely move. Measured on smollm2 (BENCHMARKS.md, "Generator
SFT: the learning rate LoRA needs"), held-out loss per story token:
- 240 demo stories: 3.21 before SFT; full fine-tuning at 5e-5 0.87; LoRA at 5e-5 2.99, at 1e-4
  2.79, at 1e-3 0.59;
- 190 real r/AskAcademia replies: 4.10 before; full at 5e-5 3.84; LoRA at 1e-4 3.98, at 1e-3
  3.82, at 3e-3 3.81 (a tie: the lower rate is the default).

Kept apart from ``sft.py`` so that ``--help`` and the task's rules can name these without
importing torch.
"""

from __future__ import annotations

FULL = 5e-5  # `rmbench agent sft --mode full`
LORA = 1e-3  # `rmbench agent sft --mode lora`, and the pipeline's sft 'lora'
PIPELINE_FULL = 1e-4  # the pipeline's sft 'full': fewer stories (max_stories), so fewer updates


def sft_learning_rate(mode: str, given: float | None = None, full: float = FULL) -> float:
    """``given`` when set, else the default for ``mode`` ('full' or 'lora')."""
    if given is not None:
        return float(given)
    return LORA if mode == "lora" else full
