"""Warnings that TRL and peft raise through transformers, which the user cannot act on.

transformers 5 renamed ``gradient_checkpointing_enable/disable`` and ``is_gradient_checkpointing``
to ``*activation_checkpointing*`` and warns (FutureWarning) on every call of the old names.
rmbench's own calls use the new names; TRL 1.16's RLOOTrainer (around every generation) and
peft 0.21's ``get_peft_model`` still call the old ones, which put the warning in the middle of a
run's log. Only those messages are silenced, and only inside the block.
"""

from __future__ import annotations

import contextlib
import warnings


@contextlib.contextmanager
def without_renamed_checkpointing_warnings():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning,
                                message=r"`(is_)?gradient_checkpointing\w*` is deprecated")
        yield
