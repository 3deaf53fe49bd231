"""Atomic outputs: one JSON format, files and directories that appear complete or not at all,
and a command that never replaces a directory it did not create."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rmbench.atomic import atomic_dir, json_text, write_json, write_text
from rmbench.errors import OutputExistsError, RmbenchError


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


# -- files -------------------------------------------------------------------------------
def test_write_json_is_the_one_format(tmp_path):
    path = tmp_path / "sub" / "doc.json"
    write_json(path, {"name": "café ☕", "n": 3, "pair": (1, 2), 7: True})
    text = path.read_text(encoding="utf-8")
    assert text == '{\n  "name": "café ☕",\n  "n": 3,\n  "pair": [\n    1,\n    2\n  ],\n  "7": true\n}\n'
    assert "\\u" not in text  # non-ASCII kept as it is
    assert _leftovers(path.parent) == []


def test_nan_and_infinity_are_written_as_null(tmp_path):
    path = tmp_path / "m.json"
    write_json(path, {"nan": math.nan, "inf": math.inf, "neg": -math.inf, "deep": [{"x": math.nan}], "ok": 0.5})
    assert json.loads(path.read_text()) == {"nan": None, "inf": None, "neg": None, "deep": [{"x": None}], "ok": 0.5}
    assert "NaN" not in path.read_text() and "Infinity" not in path.read_text()
    assert json_text({"a": math.nan}) == '{\n  "a": null\n}\n'


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "doc.json"
    write_json(path, {"v": 1})
    with pytest.raises(TypeError):
        write_json(path, {"v": object()})
    assert json.loads(path.read_text()) == {"v": 1}
    write_text(path, "replaced\n")
    assert path.read_text() == "replaced\n" and _leftovers(tmp_path) == []


# -- directories -------------------------------------------------------------------------
def _is_ours(path: Path) -> bool:
    return (path / "MARKER").is_file()


def test_atomic_dir_creates_the_target_only_when_the_block_succeeds(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        assert tmp != out and tmp.parent == out.parent and not out.exists()
        (tmp / "a.txt").write_text("a")
    assert (out / "a.txt").read_text() == "a" and _leftovers(tmp_path) == []


def test_atomic_dir_refuses_an_existing_directory_without_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="--overwrite") as err:
        with atomic_dir(out, owned=_is_ours) as tmp:
            (tmp / "new.txt").write_text("new")  # pragma: no cover - never reached
    assert isinstance(err.value, FileExistsError) and isinstance(err.value, RmbenchError)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"] and _leftovers(tmp_path) == []


def test_atomic_dir_refuses_a_directory_owned_rejects_even_with_overwrite(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    ran = []
    with pytest.raises(OutputExistsError, match="not a site this command wrote"):
        with atomic_dir(out, overwrite=True, owned=_is_ours, what="site"):
            ran.append(True)  # pragma: no cover - refused before any work
    assert ran == [] and (out / "keep.txt").read_text() == "mine" and _leftovers(tmp_path) == []


def test_atomic_dir_refuses_a_file_even_with_overwrite(tmp_path):
    out = tmp_path / "out"
    out.write_text("a file")
    with pytest.raises(OutputExistsError, match="not a directory"):
        with atomic_dir(out, overwrite=True):
            pass  # pragma: no cover
    assert out.read_text() == "a file"


def test_atomic_dir_replaces_an_owned_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "MARKER").write_text("")
    (out / "old.txt").write_text("old")
    with atomic_dir(out, overwrite=True, owned=_is_ours) as tmp:
        assert (out / "old.txt").exists()  # the old output stays until the new one is complete
        (tmp / "MARKER").write_text("")
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["MARKER", "new.txt"]
    assert _leftovers(tmp_path) == []


def test_a_failing_block_leaves_the_target_untouched_and_no_temp_dir(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "MARKER").write_text("")
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_dir(out, overwrite=True, owned=_is_ours) as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["MARKER", "old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary or old directory left
    with pytest.raises(KeyboardInterrupt):  # an interrupt cleans up too
        with atomic_dir(tmp_path / "fresh"):
            raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_directory_that_appears_during_the_block_is_not_replaced(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputExistsError):
        with atomic_dir(out) as tmp:
            (tmp / "mine.txt").write_text("mine")
            out.mkdir()  # someone else wrote the target meanwhile
            (out / "theirs.txt").write_text("theirs")
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"] and _leftovers(tmp_path) == []
