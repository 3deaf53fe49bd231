"""The reader's depth rule (rmbench.sources.depth): a line's verdict is the line's alone."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from rmbench.sources.depth import MAX_DEPTH, may_nest_deep, nesting_depth, too_deep
from rmbench.sources.dumps import DumpSource


def _depth_of(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth_of, value), default=0)
    return 0


def _random_value(rng: random.Random, depth: int):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([1, "a[b{c", 'q"[', "\\\\[", None, "}]", 2.5, "\u00e9{"])
    if rng.random() < 0.5:
        return [_random_value(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}[": _random_value(rng, depth - 1) for i in range(rng.randint(0, 3))}


def test_nesting_depth_counts_brackets_outside_strings_only():
    rng = random.Random(0)
    for _ in range(500):
        value = {"id": _random_value(rng, 8)}
        raw = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()
        assert nesting_depth(raw) == _depth_of(value), raw
    assert nesting_depth(b'{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert nesting_depth(b'{"a": "\\\\", "b": "\\"[["}') == 1  # escaped backslash, then an escaped quote


def test_the_cheap_guard_never_misses_a_deep_line():
    for d in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 3 * MAX_DEPTH):
        raw = b'{"x": ' + b"[" * d + b"]" * d + b"}"
        assert too_deep(raw) == (d + 1 > MAX_DEPTH)
        if d + 1 > MAX_DEPTH:
            assert may_nest_deep(raw)
    assert not too_deep(b'{"x": "' + b"[" * 10_000 + b'"}')  # brackets in a string do not nest


def _read_at_depth(folder: Path, frames: int):
    """Read ``folder`` with ``frames`` extra Python frames on the stack (a caller deep in a
    CLI, a test runner, a framework)."""
    if frames:
        return _read_at_depth(folder, frames - 1)
    src = DumpSource(folder)
    recs = [c.id for c in src.iter_comments()]
    (per_file,) = src.report.as_dict().values()
    return recs, {why: v["first_lines"] for why, v in per_file.items()}


def test_a_deep_line_gets_the_same_verdict_at_any_stack_depth(tmp_path: Path):
    """Before the depth rule, a line nested 700 deep parsed when read near the top of the
    stack and was malformed_json when read 400 frames down: the same dump gave two reports."""
    base = {"id": "c", "link_id": "t3_p", "parent_id": "t3_p", "body": "b", "created_utc": 1, "subreddit": "Emory",
            "author": "a", "score": 3}
    lines = []
    for d in (10, MAX_DEPTH - 2, MAX_DEPTH, MAX_DEPTH + 5, 700, 950, 2000):
        raw = json.dumps({**base, "id": f"c{d}"}).encode()
        lines.append(raw[:-1] + b', "x": ' + b"[" * d + b"]" * d + b"}")
    (tmp_path / "Emory_comments.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    assert sys.getrecursionlimit() >= 2 * MAX_DEPTH
    shallow = _read_at_depth(tmp_path, 0)
    deep = _read_at_depth(tmp_path, 400)
    assert shallow == deep
    ids, reasons = shallow
    assert ids == ["c10", f"c{MAX_DEPTH - 2}"]  # depth d + 1 (the record's own object): <= MAX_DEPTH
    assert reasons == {"malformed_json": [3, 4, 5, 6, 7]}
