"""JSON Lines, read and written in one place, with the ``jsonlines`` package.

Why a wrapper: ``jsonlines`` names the line a bad record sits on (``InvalidLineError.lineno``),
and rmbench turns that into one ``DataError`` that names the file too. ``json.loads``
recurses once per nesting level, so a line of ``[[[[...`` would end a command in a
``RecursionError`` traceback, and it takes ``NaN``/``Infinity`` (and turns ``1e400`` into
infinity), which are not JSON; here each is a bad line like any other. A line longer than
``LINE_MAX_CHARS`` is refused before it is held in memory whole: rmbench's own lines are a
few KB (a pair with its two responses), so 64 Mi characters is never a real record.
Blank lines are skipped: a hand-edited file often ends with one.

Writing: one compact object per line, UTF-8 (not ASCII-escaped), ``\\n`` line ends. Callers
that need the file to appear whole write inside ``rmbench.atomic`` (a temporary file or
directory renamed into place).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path

import jsonlines

from rmbench.errors import DataError


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")  # json.loads takes NaN and Infinity; JSON does not


LINE_MAX_CHARS = 64 * 1024 * 1024


def _finite(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"the number {text[:30]} is not finite")
    return x


def loads(text: str | bytes):
    """One JSON value, with this module's rules (finite numbers, no recursion crash); a
    ``ValueError`` says what is wrong. For lines rmbench holds in memory already."""
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:  # jsonlines reports ValueErrors with their line number
        raise ValueError("nested too deeply") from None


def read_jsonl(path: str | Path, *, dicts: bool = True) -> Iterator:
    """Each record of ``path`` in order; a line that is not JSON (or, with ``dicts``, not an
    object) raises ``DataError("<path>, line N: ...")``."""
    with open(path, encoding="utf-8") as f:
        reader = jsonlines.Reader(_bounded_lines(f, path), loads=loads)
        try:
            yield from reader.iter(type=dict if dicts else None, skip_empty=True)
        except jsonlines.InvalidLineError as e:
            cause = e.__cause__ or e
            raise DataError(f"{path}, line {e.lineno}: {_why(cause)}") from None


def _bounded_lines(f, path) -> Iterator[str]:
    n = 0
    while line := f.readline(LINE_MAX_CHARS + 1):
        n += 1
        if len(line) > LINE_MAX_CHARS:
            raise DataError(f"{path}, line {n}: longer than {LINE_MAX_CHARS:,} characters; "
                            "not a record rmbench writes")
        yield line


def _why(err: BaseException) -> str:
    text = str(err).split(" (line ")[0]
    return text[:200]


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> int:
    """Write ``rows`` to ``path`` (replacing it); returns how many were written."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        writer = jsonlines.Writer(f, compact=True, dumps=_dumps)
        for row in rows:
            writer.write(row)
            n += 1
    return n


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
