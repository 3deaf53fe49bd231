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


def test_overflowing_numbers_are_bad_lines(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1.5}\n{"a": 1e400}\n')
    with pytest.raises(DataError, match=r"x\.jsonl, line 2: .*1e400 is not finite"):
        list(read_jsonl(path))


def test_a_line_too_long_is_refused_before_it_is_held_whole(tmp_path, monkeypatch):
    import rmbench.jsonl as jl

    monkeypatch.setattr(jl, "LINE_MAX_CHARS", 100)
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n' + '{"t": "' + "x" * 500 + '"}\n{"a": 2}\n')
    with pytest.raises(DataError, match=r"x\.jsonl, line 2: longer than 100 characters"):
        list(read_jsonl(path))
    path.write_text('{"t": "' + "x" * 80 + '"}\n')  # under the limit: read as usual
    assert list(read_jsonl(path)) == [{"t": "x" * 80}]
