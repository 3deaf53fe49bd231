"""The one "dataclass field with a help line" helper, shared by configs and task rules.

``rmbench run --help-config`` and ``rmbench tasks show`` print these help lines, so a
setting and its meaning are written once, next to each other.
"""

from __future__ import annotations

from dataclasses import field


def opt(default, help: str):
    """A dataclass field with its help line (lists get a fresh copy per instance)."""
    if isinstance(default, list):
        return field(default_factory=lambda d=default: list(d), metadata={"help": help})
    return field(default=default, metadata={"help": help})
