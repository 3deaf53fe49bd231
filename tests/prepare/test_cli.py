"""``rmbench prepare`` against hostile environments and outputs: one clear message, exit code 1,
nothing left behind, and never a directory it did not make replaced (issue 12)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmbench.cli import main


def _dumps(folder: Path, dump_thread, write_dumps, n: int = 6, body: str = "") -> Path:
    files: dict[str, list] = {}
    for sub in ("askscience", "AskPhysics"):
        for i in range(n):
            post, comments = dump_thread(f"{sub[:4].lower()}{i}", sub)
            for c in comments:
                c["body"] += body
            files.setdefault(f"{sub}_submissions.ndjson", []).append(post)
            files.setdefault(f"{sub}_comments.ndjson", []).extend(comments)
    return write_dumps(folder, files)


def _run(args: list[str]):
    return CliRunner().invoke(main, args)


def _one_clear_line(res) -> str:
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and res.output.startswith("Error: "), res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
    return res.output


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_as_source(tmp_path, kind):
    src = tmp_path / "pipe"
    if kind == "fifo":
        os.mkfifo(src)
    out = _one_clear_line(_run(["prepare", "--source", str(src) if kind == "fifo" else "/dev/null",
                                "--out", str(tmp_path / "out")]))
    assert ("a FIFO" if kind == "fifo" else "a character device") in out
    assert sorted(p.name for p in tmp_path.iterdir()) == (["pipe"] if kind == "fifo" else [])


def test_out_dot_is_refused_and_nothing_is_written(tmp_path, monkeypatch, dump_thread, write_dumps):
    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)
    monkeypatch.chdir(tmp_path)
    for args in (["--out", "."], ["--out", ".", "--overwrite"], ["--out", str(dumps), "--overwrite"]):
        out = _one_clear_line(_run(["prepare", "--source", str(dumps), *args]))
        assert "current directory" in out or "already exists" in out or "an input of this command" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dumps"]
    assert sorted(p.name for p in dumps.iterdir()) == ["AskPhysics_comments.ndjson", "AskPhysics_submissions.ndjson",
                                                      "askscience_comments.ndjson", "askscience_submissions.ndjson"]


def test_an_unwritable_parent(tmp_path, monkeypatch, dump_thread, write_dumps):
    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)
    parent = tmp_path / "locked"
    parent.mkdir()
    if os.geteuid() == 0:  # root ignores the mode bits: make the OS refuse the way it would
        def refuse(**kw):
            raise PermissionError(errno.EACCES, "Permission denied", kw["dir"])
        monkeypatch.setattr("tempfile.mkdtemp", refuse)
    else:
        parent.chmod(0o500)
    try:
        out = _one_clear_line(_run(["prepare", "--source", str(dumps), "--out", str(parent / "out")]))
    finally:
        parent.chmod(0o700)
    assert "Permission denied" in out and list(parent.iterdir()) == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_full_disk_with_or_without_workers(tmp_path, monkeypatch, workers, dump_thread, write_dumps):
    import sqlite3

    import rmbench.prepare.write as write
    from rmbench.prepare.pairtable import PairTable

    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)

    def full(self, rows):  # a worker's staged pairs (one process holds a small input in memory)
        raise sqlite3.OperationalError("database or disk is full")

    def no_room(path, rows):  # one process: the first split file
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(PairTable, "add", full)  # forked workers inherit the full disk
    monkeypatch.setattr(write, "write_split", no_room)
    out = _one_clear_line(_run(["prepare", "--source", str(dumps), "--out", str(tmp_path / "out"), "--workers", workers,
                                "--quiet"]))
    assert "the disk is full" in out and sorted(p.name for p in tmp_path.iterdir()) == ["dumps"]


@pytest.fixture
def small_disk(tmp_path):
    """A real 256 KiB tmpfs (needs root and mount(2); skipped elsewhere)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_really_full_disk(tmp_path, small_disk, workers, dump_thread, write_dumps):
    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps, n=60, body=" words" * 300)
    out = _one_clear_line(_run(["prepare", "--source", str(dumps), "--out", str(small_disk / "out"), "--workers", workers,
                                "--quiet"]))
    assert "the disk is full" in out and list(small_disk.iterdir()) == []


def test_a_disk_that_fills_while_comments_spill_to_runs(tmp_path, small_disk, dump_thread, write_dumps, monkeypatch):
    """Past a (here tiny) budget kept comments go to sorted runs beside the output: a disk that
    fills then is the same clear line, and nothing is left on it."""
    from rmbench.prepare import load, runs

    written = []
    real = runs.Runs._write
    monkeypatch.setattr(runs.Runs, "_write", lambda self, rows, level: (written.append(level), real(self, rows, level))[1])
    monkeypatch.setattr(load, "HOLD_BYTES", 2_000)
    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps, n=60, body=" words" * 300)
    out = _one_clear_line(_run(["prepare", "--source", str(dumps), "--out", str(small_disk / "out"), "--workers", "1",
                                "--quiet"]))
    assert written and "the disk is full" in out and list(small_disk.iterdir()) == []


def test_overwrite_replaces_only_what_prepare_made(tmp_path, dump_thread, write_dumps):
    from rmbench.atomic import atomic_dir

    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)
    with atomic_dir(tmp_path / "export", command="feedback export") as tmp:  # people's votes, as pairs
        (tmp / "manifest.json").write_text('{"kind": "rmbench.prepared", "tasks": {"human-feedback": {}}}')
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "manifest.json").write_text('{"kind": "rmbench.prepared"}')
    for target in ("export", "hand"):
        out = _one_clear_line(_run(["prepare", "--source", str(dumps), "--out", str(tmp_path / target), "--overwrite"]))
        assert "refusing to replace it" in out
    assert (tmp_path / "export" / "manifest.json").read_text().startswith('{"kind"') and (hand / "manifest.json").exists()
    assert _run(["prepare", "--source", str(dumps), "--out", str(tmp_path / "mine"), "--quiet"]).exit_code == 0
    again = _run(["prepare", "--source", str(dumps), "--out", str(tmp_path / "mine"), "--overwrite", "--quiet"])
    assert again.exit_code == 0, again.output


def test_overwrite_refuses_a_prepared_folder_the_user_added_to(tmp_path, dump_thread, write_dumps):
    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)
    out = tmp_path / "out"
    assert _run(["prepare", "--source", str(dumps), "--out", str(out), "--quiet"]).exit_code == 0
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    (out / "my_notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "a.txt").write_text("mine too")
    (out / "askscience" / "notes.md").write_text("and this")
    msg = _one_clear_line(_run(["prepare", "--source", str(dumps), "--out", str(out), "--overwrite"]))
    assert "askscience/notes.md, my_notes.txt, sub" in msg and "refusing to replace it" in msg
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == sorted(
        made + ["my_notes.txt", "sub", "sub/a.txt", "askscience/notes.md"])  # nothing deleted
    for extra in ("my_notes.txt", "sub/a.txt", "sub", "askscience/notes.md"):
        (out / extra).rmdir() if (out / extra).is_dir() else (out / extra).unlink()
    again = _run(["prepare", "--source", str(dumps), "--out", str(out), "--overwrite", "--quiet"])
    assert again.exit_code == 0, again.output


def test_an_existing_output_is_one_line_and_exit_1_and_an_empty_one_is_used(tmp_path, dump_thread, write_dumps):
    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert "pass --overwrite" in _one_clear_line(_run(["prepare", "--source", str(dumps), "--out", str(out)]))
    for i, flags in enumerate(([], ["--overwrite"])):  # nothing in it to lose
        empty = tmp_path / f"empty{i}"
        empty.mkdir()
        res = _run(["prepare", "--source", str(dumps), "--out", str(empty), "--quiet", *flags])
        assert res.exit_code == 0 and (empty / "manifest.json").is_file(), res.output


def test_each_task_warning_is_printed_not_only_counted(tmp_path, dump_thread, write_dumps):
    import json

    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)  # too few pairs for test_hard: a warning
    res = CliRunner().invoke(main, ["prepare", "--source", str(dumps), "--out", str(tmp_path / "t"), "--quiet"])
    assert res.exit_code == 0, res.output
    lines = [x for x in res.stdout.splitlines() if ": warning: " in x]
    assert lines and all(x.startswith(("askscience: warning: ", "askphysics: warning: ")) for x in lines), res.stdout
    assert any("fewer than hard_min_pairs" in x for x in lines)
    res = CliRunner().invoke(main, ["prepare", "--source", str(dumps), "--out", str(tmp_path / "j"), "--quiet",
                                    "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout)  # stdout stays data; the warnings go to stderr
    assert [x for x in res.stderr.splitlines() if ": warning: " in x] == lines


def test_a_second_concurrent_prepare_fails_and_the_first_finishes(tmp_path, dump_thread, write_dumps):
    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)
    out = tmp_path / "out"
    slow = ("import sys, time\nimport rmbench.prepare.build as B\nreal = B._build\n"
            "def slow(*a, **k):\n    open(sys.argv[3], 'w').close()\n    time.sleep(3)\n    return real(*a, **k)\n"
            "B._build = slow\nfrom rmbench.prepare import prepare\n"
            "prepare(sys.argv[1], sys.argv[2], progress=False, workers=1)\n")
    started = tmp_path / "started"
    first = subprocess.Popen([sys.executable, "-c", slow, str(dumps), str(out), str(started)])
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _one_clear_line(_run(["prepare", "--source", str(dumps), "--out", str(out), "--overwrite"]))
    assert "being written by another rmbench process" in second and f"pid {first.pid}" in second
    assert first.wait(timeout=120) == 0 and (out / "manifest.json").is_file()


def test_debug_shows_the_traceback(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    res = CliRunner().invoke(main, ["--debug", "prepare", "--source", str(tmp_path / "pipe"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and res.exc_info is not None and type(res.exception).__name__ == "SourceError"


@pytest.mark.parametrize("date,side,empty", [("2010-01-01", "on or after", "train and validation splits are"),
                                             ("2030-01-01", "before", "test split is")])
def test_a_time_split_date_outside_the_data_warns_and_strict_fails(tmp_path, dump_thread, write_dumps, date, side,
                                                                   empty):
    from rmbench.prepared.manifest import Prepared

    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)  # every post on 2017-07-14
    res = CliRunner().invoke(main, ["prepare", "--source", str(dumps), "--out", str(tmp_path / "out"),
                                    "--split-by", f"time:{date}", "--workers", "1", "--quiet", "--format", "tsv"])
    assert res.exit_code == 0, res.output
    warnings = [x for x in res.stderr.splitlines() if x.startswith("warning:")]
    assert len(warnings) == 2, res.stderr  # one line per task
    assert all(f"time split at {date} put every post of" in w and f"{side} the date" in w and empty in w
               and "2017-07-14 to 2017-07-14" in w for w in warnings), warnings
    counts = Prepared.open(tmp_path / "out").split_by["posts_by_date"]["askscience"]
    assert (counts["before"], counts["on_or_after"]) == ((0, 6) if side == "on or after" else (6, 0))
    assert f"askscience: {counts['before']} posts before {date}, {counts['on_or_after']} on or after" in res.stderr
    if side == "before":  # evaluate's message names the date, not the task's rules
        msg = str(Prepared.open(tmp_path / "out").empty_split_error("askscience", "test"))
        assert f"time split at {date} put every post of askscience before the date" in msg and "Loosen" not in msg
    strict = _run(["prepare", "--source", str(dumps), "--out", str(tmp_path / "strict"), "--split-by",
                   f"time:{date}", "--strict", "--workers", "1", "--quiet"])
    assert "--strict" in _one_clear_line(strict) and f"time split at {date}" in strict.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dumps", "out"]  # nothing of the strict run
    if side == "before":  # evaluate with default tasks: the date, one line, not a schema error
        ev = _run(["evaluate", "--data", str(tmp_path / "out"), "--model", "baseline:confounds",
                   "--out", str(tmp_path / "ev"), "--quiet"])
        assert f"time split at {date} put every post of" in _one_clear_line(ev) and "schema" not in ev.output
        assert not (tmp_path / "ev").exists()


def test_a_time_split_inside_the_data_neither_warns_nor_fails_with_strict(tmp_path, dump_thread, write_dumps):
    files: dict[str, list] = {}
    for sub in ("askscience", "AskPhysics"):
        for i in range(8):
            post, comments = dump_thread(f"{sub[:4].lower()}{i}", sub)
            for r in [post, *comments]:
                r["created_utc"] += (i % 2) * 10 * 86_400  # half the posts ten days after 2017-07-14
            files.setdefault(f"{sub}_submissions.ndjson", []).append(post)
            files.setdefault(f"{sub}_comments.ndjson", []).extend(comments)
    dumps = write_dumps(tmp_path / "dumps", files)
    res = CliRunner().invoke(main, ["prepare", "--source", str(dumps), "--out", str(tmp_path / "out"),
                                    "--split-by", "time:2017-07-20", "--strict", "--workers", "1", "--quiet"])
    assert res.exit_code == 0 and "time split at" not in res.output, res.output  # no date warning
    assert "askscience: 4 posts before 2017-07-20, 4 on or after (first 2017-07-14, last 2017-07-24)" in res.output


def test_the_bad_input_table_on_stderr_is_in_the_format_asked_for(tmp_path, dump_thread, write_dumps):
    """With --format json stdout is JSON, and so is the bad-input table on stderr (it was CSV):
    one JSON document, the records of the table's columns, among the note lines."""
    import json

    dumps = _dumps(tmp_path / "dumps", dump_thread, write_dumps)
    bad = dumps / "askscience_comments.ndjson"
    bad.write_bytes(bad.read_bytes() + b"{not json\n")
    row = {"file": str(bad), "reason": "malformed_json", "count": 1, "input": "skipped", "first_lines": "25"}
    res = _run(["prepare", "--source", str(dumps), "--out", str(tmp_path / "j"), "--quiet", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert {r["task"] for r in json.loads(res.stdout)} == {"askscience", "askphysics"}  # stdout stays data
    start = res.stderr.index("[\n")
    table, end = json.JSONDecoder().raw_decode(res.stderr, start)
    assert table == [row] and "," + str(bad) not in res.stderr  # no CSV row beside it
    assert "fingerprint " in res.stderr[end:]  # the notes follow it, as lines of their own
    for fmt, sep in (("csv", ","), ("tsv", "\t")):  # the other machine formats: the same table, their way
        res = _run(["prepare", "--source", str(dumps), "--out", str(tmp_path / fmt), "--quiet", "--format", fmt])
        lines = res.stderr.splitlines()
        i = lines.index(sep.join(row))
        assert lines[i + 1] == sep.join(map(str, row.values()))
