"""How deep a dump line nests, decided by the line alone.

Why: the json scanner stops at Python's recursion limit counted from the *caller's* stack
depth, so a line nested ~900 deep parsed or failed depending on how deep the reader was
called (the API and the CLI counted 30 and 38 ``malformed_json`` lines on one dirty dump).
Both of the reader's decoders now leave such lines to this rule: deeper than ``MAX_DEPTH``
is ``malformed_json`` wherever the line is read, and anything shallower leaves the scanner
half of the default recursion limit (1000) for the caller's stack.
"""

from __future__ import annotations

import re

MAX_DEPTH = 500
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)  # JSON strings (skipped whole), brackets


def may_nest_deep(raw: bytes) -> bool:
    """Cheap, and never wrong the unsafe way: False only for a line that cannot nest deeper
    than ``MAX_DEPTH`` (a line of n bytes nests at most n/2 deep, and at most as deep as it
    has opening brackets)."""
    return len(raw) > 2 * MAX_DEPTH and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH


def nesting_depth(raw: bytes) -> int:
    """How deep ``raw``'s arrays and objects nest, brackets inside JSON strings not counted.
    On malformed text it may count too deep; such a line is malformed anyway."""
    depth = deepest = 0
    for m in _TOKENS.finditer(raw):
        tok = m.group()
        if tok == b"[" or tok == b"{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif tok == b"]" or tok == b"}":
            depth -= 1
    return deepest


def too_deep(raw: bytes) -> bool:
    """Whether ``raw`` nests deeper than ``MAX_DEPTH``."""
    return may_nest_deep(raw) and nesting_depth(raw) > MAX_DEPTH
