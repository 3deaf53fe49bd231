"""rmbench.jsonl: every bad line is one DataError naming the file and the line."""

from __future__ import annotations

import pytest

from rmbench.errors import DataError
from rmbench.jsonl import read_jsonl, write_jsonl


@pytest.mark.parametrize("bad, why", [('{"a": NaN}', "NaN is not a JSON number"),
                                      ('{"a": -Infinity}', "-Infinity is not a JSON number"),
                                      ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
                                      ('{"a": ', ""), ("[1, 2]", "")])
def test_bad_lines_are_named(tmp_path, bad, why):
    path = tmp_path / "x.jsonl"
    path.write_text('{"ok": 1}\n\n' + bad + "\n")
    with pytest.raises(DataError, match=rf"x\.jsonl, line 3: .*{why}"):
        list(read_jsonl(path))


def test_round_trip_keeps_text_and_skips_blank_lines(tmp_path):
    rows = [{"t": "naïve — 😀", "n": 1.5}, {"t": "", "n": None}]
    assert write_jsonl(tmp_path / "y.jsonl", iter(rows)) == 2
    (tmp_path / "y.jsonl").write_text((tmp_path / "y.jsonl").read_text() + "\n\n")
    assert list(read_jsonl(tmp_path / "y.jsonl")) == rows
    assert "😀" in (tmp_path / "y.jsonl").read_text(encoding="utf-8")
