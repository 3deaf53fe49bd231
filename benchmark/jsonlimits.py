"""Parsing JSON someone else wrote (a pull request, an HTTP body): bounded, finite, never a crash.

``json.loads`` recurses once per nesting level, so 2 KB of ``[[[[...`` raises
``RecursionError`` deep inside the caller; it also accepts ``NaN`` and ``Infinity``, which
are not JSON, and numbers like ``1e400`` that overflow to infinity. ``loads_bounded`` checks
the size first, the nesting depth second (strings stripped, brackets counted, no
recursion), and refuses every non-finite number, each as one ``JSONLimitError`` that says
which limit was hit. The leaderboard reads submissions and the feedback server reads click
bodies through it.
"""

from __future__ import annotations

import json
import math
import re

from rmbench.errors import RmbenchError

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)  # a JSON string literal, escapes included


class JSONLimitError(RmbenchError, ValueError):
    """JSON that is too big, too deep, not finite, or not JSON at all."""


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays/objects in ``text`` (strings do not count)."""
    depth = deepest = 0
    for ch in _STRING.sub('""', text):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _finite(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):
        raise JSONLimitError(f"the number {text[:30]} is not finite")
    return x


def _no_constant(name: str):
    raise JSONLimitError(f"{name} is not a JSON number")


def loads_bounded(data: bytes | str, *, max_bytes: int, max_depth: int) -> object:
    """``json.loads`` with a size and depth limit and finite numbers only."""
    size = len(data)
    if size > max_bytes:
        raise JSONLimitError(f"{size} bytes, over the {max_bytes}-byte limit")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise JSONLimitError(f"not UTF-8 ({e})") from None
    depth = nesting_depth(data)
    if depth > max_depth:
        raise JSONLimitError(f"nested {depth} levels deep, over the limit of {max_depth}")
    try:
        return json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except JSONLimitError:
        raise
    except ValueError as e:  # JSONDecodeError, or an integer of more than 4300 digits
        raise JSONLimitError(f"not valid JSON ({e})") from None
    except RecursionError:  # pragma: no cover - the depth check runs first
        raise JSONLimitError("nested too deep") from None


# Files rmbench reads back (a manifest, a run's config, scores and training info): a prepared
# folder or run directory may come from anyone, and its biggest file (a split's scores) is a
# few MB, so these limits refuse only what is not rmbench's.
FILE_MAX_BYTES = 256 * 1024 * 1024
FILE_MAX_DEPTH = 64


def read_json_file(path, *, max_bytes: int = FILE_MAX_BYTES, max_depth: int = FILE_MAX_DEPTH) -> object:
    """A JSON file through ``loads_bounded``: size checked before reading, then depth and
    finite numbers; every failure one ``JSONLimitError`` naming the file."""
    from pathlib import Path

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise JSONLimitError(f"{path}: {size} bytes, over the {max_bytes}-byte limit")
        return loads_bounded(path.read_bytes(), max_bytes=max_bytes, max_depth=max_depth)
    except JSONLimitError as e:
        if str(e).startswith(str(path)):
            raise
        raise JSONLimitError(f"{path}: {e}") from None
