"""Atomic outputs: one JSON format, files and directories that appear complete or not at all,
and a command that never replaces a directory it did not create."""

from __future__ import annotations

import errno
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rmbench.atomic import (MARKER, OutputLock, atomic_dir, check_replaceable, claim_dir, json_text, read_marker,
                            write_json, write_text)
from rmbench.errors import OutputBusyError, OutputExistsError, OutputWriteError, RmbenchError


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


def _made_by(out: Path, command: str, files: dict[str, str]) -> Path:
    with atomic_dir(out, command=command) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text)
    return out


def test_atomic_dir_replaces_an_owned_directory(tmp_path):
    out = _made_by(tmp_path / "out", "site", {"MARKER": "", "old.txt": "old"})
    with atomic_dir(out, overwrite=True, owned=_is_ours, command="site") as tmp:
        assert (out / "old.txt").exists()  # the old output stays until the new one is complete
        (tmp / "MARKER").write_text("")
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "MARKER", "new.txt"]
    assert read_marker(out)["command"] == "site" and read_marker(out)["pid"] == os.getpid()
    assert _leftovers(tmp_path) == []


def test_a_failing_block_leaves_the_target_untouched_and_no_temp_dir(tmp_path):
    out = _made_by(tmp_path / "out", "site", {"MARKER": "", "old.txt": "old"})
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_dir(out, overwrite=True, owned=_is_ours, command="site") as tmp:
            (tmp / "half.txt").write_text("half")
            raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "MARKER", "old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary, old or lock file left
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


# -- the one output-directory rule (issue 12) --------------------------------------------------
def test_overwrite_replaces_only_a_directory_the_same_command_made(tmp_path):
    out = _made_by(tmp_path / "pairs", "feedback export", {"keep.txt": "clicks turned into pairs"})
    with pytest.raises(OutputExistsError, match="made by `feedback export`"):
        with atomic_dir(out, overwrite=True, command="prepare", what="prepared-data directory"):
            pass  # pragma: no cover
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "manifest.json").write_text('{"kind": "rmbench.prepared"}')  # looks like ours, is not
    with pytest.raises(OutputExistsError, match="without a .rmbench-output.json marker"):
        with atomic_dir(hand, overwrite=True, command="prepare"):
            pass  # pragma: no cover
    assert (out / "keep.txt").is_file() and (hand / "manifest.json").is_file() and _leftovers(tmp_path) == []


@pytest.mark.parametrize("where", ["cwd", "parent_of_cwd", "input", "holds_input"])
def test_out_may_not_be_the_current_directory_or_an_input(tmp_path, monkeypatch, where):
    work = tmp_path / "work"
    src = work / "dumps"
    src.mkdir(parents=True)
    (src / "A_comments.zst").write_bytes(b"data")
    monkeypatch.chdir(work)
    out = {"cwd": Path("."), "parent_of_cwd": Path(".."), "input": Path("dumps"), "holds_input": Path(".")}[where]
    out = out if where != "holds_input" else work
    with pytest.raises(OutputExistsError, match="current directory|an input of this command"):
        with atomic_dir(out, overwrite=True, inputs=[src]):
            pass  # pragma: no cover
    assert (src / "A_comments.zst").read_bytes() == b"data"
    assert sorted(p.name for p in work.iterdir()) == ["dumps"] and sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_a_second_concurrent_writer_fails_with_a_clear_message(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out, command="prepare") as tmp:
        (tmp / "first.txt").write_text("first")
        code = ("import sys; from rmbench.atomic import atomic_dir\n"
                "try:\n    with atomic_dir(sys.argv[1], command='prepare'):\n        pass\n"
                "except Exception as e:\n    print(type(e).__name__, e)\n")
        other = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=60)
        assert other.stdout.startswith("OutputBusyError") and f"pid {os.getpid()}" in other.stdout, other
        with pytest.raises(OutputBusyError, match="being written by another rmbench process"):
            with OutputLock(out):  # the same process, another open: refused too
                pass  # pragma: no cover
    assert (out / "first.txt").read_text() == "first" and not (tmp_path / ".out.lock").exists()
    with atomic_dir(tmp_path / "again", command="prepare"):  # the lock went with its holder
        pass


def _dead_pid() -> int:
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)


def _scratch(parent: Path, name: str, pid: int) -> Path:
    d = parent / name
    d.mkdir()
    (d / "shard-0.sqlite").write_bytes(b"x" * 1000)
    marker = {"command": "prepare", "pid": pid, "proc_start": None, "host": os.uname().nodename}
    (d / MARKER).write_text(json.dumps(marker))
    return d


def test_stale_scratch_of_a_dead_run_is_removed_by_the_next_run_with_a_line(tmp_path):
    dead = _scratch(tmp_path, "out.tmp-dead1", _dead_pid())
    live = _scratch(tmp_path, "out.tmp-live1", os.getpid())  # a run still going: kept
    foreign = tmp_path / "out.tmp-notours"  # no marker: not ours to delete
    foreign.mkdir()
    lines = []
    with atomic_dir(tmp_path / "out", command="prepare", notify=lines.append):
        pass
    assert not dead.exists() and live.exists() and foreign.exists()
    assert len(lines) == 1 and "removed stale scratch directory" in lines[0] and "out.tmp-dead1" in lines[0]


def test_an_output_moved_aside_by_a_run_that_died_mid_swap_is_put_back(tmp_path):
    old = _scratch(tmp_path, "out.old-abc", _dead_pid())
    lines = []
    with pytest.raises(OutputExistsError):  # the restored output is there again: no --overwrite, no replace
        with atomic_dir(tmp_path / "out", command="prepare", notify=lines.append):
            pass  # pragma: no cover
    assert not old.exists() and (tmp_path / "out" / "shard-0.sqlite").is_file() and "restored" in lines[0]


def test_the_final_rename_checks_again(tmp_path):
    out = _made_by(tmp_path / "out", "site", {"a.txt": "a"})
    with pytest.raises(OutputExistsError, match="made by `prepare`"):
        with atomic_dir(out, overwrite=True, command="site"):
            (out / MARKER).write_text(json.dumps({"command": "prepare"}))  # replaced meanwhile by someone else
    assert (out / "a.txt").read_text() == "a" and _leftovers(tmp_path) == []


def test_a_full_disk_is_one_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with pytest.raises(OutputWriteError, match="the disk is full"):
        with atomic_dir(out) as tmp:
            (tmp / "part.txt").write_text("part")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "big.sqlite"))
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    monkeypatch.setattr("tempfile.mkdtemp", lambda **kw: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied", kw["dir"])))
    with pytest.raises(OutputWriteError, match="Permission denied"):
        with atomic_dir(out):
            pass  # pragma: no cover
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_claim_dir_writes_only_into_a_new_empty_or_own_directory(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "results.json").write_text("someone else's results")
    with pytest.raises(OutputExistsError, match="not empty and is not a run directory"):
        with claim_dir(foreign, command="run", resume=True, what="run directory"):
            pass  # pragma: no cover
    assert (foreign / "results.json").read_text() == "someone else's results"
    run = tmp_path / "run"
    with claim_dir(run, command="run", resume=False, what="run directory"):
        (run / "config.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="--resume"):
        with claim_dir(run, command="run", resume=False, what="run directory"):
            pass  # pragma: no cover
    with claim_dir(run, command="run", resume=True, what="run directory") as held:
        assert held == run
        with pytest.raises(OutputBusyError):
            with claim_dir(run, command="run", resume=True, what="run directory"):
                pass  # pragma: no cover


def test_overwrite_refuses_a_directory_holding_entries_the_command_did_not_write(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out, command="export") as tmp:
        (tmp / "part").mkdir()
        (tmp / "part" / "a.jsonl").write_text("a")
    assert read_marker(out)["entries"] == ["part", "part/a.jsonl"]
    for extra in ("notes.txt", "sub/x.txt", "part/b.txt", "d1/y", "d2/y"):
        (out / extra).parent.mkdir(exist_ok=True)
        (out / extra).write_text("mine")
    with pytest.raises(OutputExistsError, match=r"\(d1, d2, notes.txt and 2 more\)"):
        with atomic_dir(out, overwrite=True, command="export") as tmp:
            (tmp / "new.txt").write_text("new")  # pragma: no cover - never reached
    assert (out / "sub" / "x.txt").exists() and (out / "part" / "b.txt").exists() and _leftovers(tmp_path) == []
    for extra in ("notes.txt", "sub/x.txt", "part/b.txt", "d1/y", "d2/y"):
        (out / extra).unlink()
    for folder in ("sub", "d1", "d2"):
        (out / folder).rmdir()
    with atomic_dir(out, overwrite=True, command="export") as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "new.txt"]


def test_an_existing_empty_directory_is_accepted_without_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with atomic_dir(out, command="export") as tmp:
        (tmp / "a.txt").write_text("a")
    assert (out / "a.txt").read_text() == "a" and _leftovers(tmp_path) == []
    (tmp_path / "late").mkdir()
    with pytest.raises(OutputExistsError, match="already exists"):  # checked again before the swap
        with atomic_dir(tmp_path / "late", command="export") as tmp:
            (tmp_path / "late" / "theirs.txt").write_text("theirs")  # lands while the command runs
    assert (tmp_path / "late" / "theirs.txt").read_text() == "theirs" and _leftovers(tmp_path) == []


def test_each_kind_of_output_is_named_with_its_article(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep")
    for what, named in (("export directory", "an export directory"), ("run directory", "a run directory"),
                        ("rmbench agent model", "an rmbench agent model"), ("output", "an output")):
        with pytest.raises(OutputExistsError, match=f"exists and is not {named} this command wrote"):
            check_replaceable(foreign, overwrite=True, what=what)
    assert (foreign / "mine.txt").read_text() == "keep"
