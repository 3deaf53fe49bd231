"""Parallel prepare: workers cannot change the output, and a dead parent leaves nothing running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rmbench.atomic import MARKER
from rmbench.prepare import prepare

TASKS = ["askscience", "askphysics", "gradschool", "askculinary"]


def _output_bytes(out: Path) -> dict[str, bytes]:
    """Every file of a prepared directory but the marker (it names the pid that wrote it)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and p.name != MARKER}


def test_misfiled_threads_give_the_same_bytes_with_1_2_and_3_workers(tmp_path, add_thread, write_dumps):
    files: dict[str, list] = {}
    add = lambda *a: add_thread(files, *a)  # noqa: E731

    for i in range(12):
        add("askscience", f"s{i:02d}", "askscience")
        add("AskPhysics", f"f{i:02d}", "AskPhysics")
        add("GradSchool", f"g{i:02d}", "GradSchool")
    for i in range(4):
        add("askscience", f"mf{i}", "AskPhysics")  # AskPhysics threads filed under r/askscience
        add("AskPhysics", f"ms{i}", "askscience")  # and the other way round
        add("GradSchool", f"mc{i}", "AskCulinary")  # a selected subreddit with no file of its own
    add("GradSchool", "cc1", "CasualConversation")  # no selected task: counted, not paired
    files["AskPhysics_comments.ndjson"].append(b"{broken")
    dumps = write_dumps(tmp_path / "dumps", files)
    outs = {w: prepare(str(dumps), tmp_path / f"w{w}", tasks=TASKS, progress=False, workers=w) for w in (1, 2, 3)}
    assert outs[1] == outs[2] == outs[3]
    assert _output_bytes(tmp_path / "w1") == _output_bytes(tmp_path / "w2") == _output_bytes(tmp_path / "w3")
    m = outs[2]
    assert m["tasks"]["askculinary"]["posts"]["kept"] == 4  # its threads were all in r/GradSchool's files
    assert m["tasks"]["askphysics"]["posts"]["kept"] == 16 and m["tasks"]["askscience"]["posts"]["kept"] == 16
    assert m["source"]["records"]["other_subreddits"] == {"posts": 1, "comments": 4}
    assert m["bad_input"][str(dumps / "AskPhysics_comments.ndjson")]["malformed_json"]["count"] == 1


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")  # a zombie is dead


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from Linux /proc")
def test_a_killed_prepare_leaves_no_worker_running_and_the_next_run_removes_its_scratch(
        tmp_path, dump_thread, write_dumps, capsys):
    files: dict[str, list] = {}
    for sub in ("askscience", "AskPhysics"):
        post, comments = dump_thread(f"{sub[:4]}1", sub)
        files[f"{sub}_submissions.ndjson"], files[f"{sub}_comments.ndjson"] = [post], comments
    dumps = write_dumps(tmp_path / "dumps", files)
    out = tmp_path / "out"
    # Workers that would run for a minute: the parent is killed while they do.
    code = ("import sys, time\nimport rmbench.prepare.load as L\n"
            "L.load_and_pair = lambda *a, **k: time.sleep(60)\n"
            "from rmbench.prepare import prepare\n"
            "prepare(sys.argv[1], sys.argv[2], progress=False, workers=2)\n")
    parent = subprocess.Popen([sys.executable, "-c", code, str(dumps), str(out)])
    try:
        deadline = time.monotonic() + 60
        while len(_children(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _children(parent.pid)
        assert len(workers) == 2, "the workers never started"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers), "a worker outlived its parent"
    finally:
        parent.kill()
    scratch = [p for p in tmp_path.iterdir() if p.name.startswith("out.tmp-")]
    assert len(scratch) == 1 and (scratch[0] / ".work").is_dir()  # what kill -9 leaves behind
    prepare(str(dumps), out, progress=False, workers=2)
    assert "removed stale scratch directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dumps", "out"]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_worker_ends_prepare_with_one_line_and_nothing_left(tmp_path, monkeypatch, dump_thread, write_dumps,
                                                                     how):
    from click.testing import CliRunner

    import rmbench.prepare.load as load
    from rmbench.cli import main

    files: dict[str, list] = {}
    for sub in ("askscience", "AskPhysics"):
        post, comments = dump_thread(f"{sub[:4]}1", sub)
        files[f"{sub}_submissions.ndjson"], files[f"{sub}_comments.ndjson"] = [post], comments
    dumps = write_dumps(tmp_path / "dumps", files)
    real = load.load_and_pair

    def dies_on_askphysics(src, by_sub, *a, **k):  # workers are forked, so they inherit this patch
        if "askphysics" in by_sub:
            os.kill(os.getpid(), how)
        return real(src, by_sub, *a, **k)

    monkeypatch.setattr(load, "load_and_pair", dies_on_askphysics)
    res = CliRunner().invoke(main, ["prepare", "--source", str(dumps), "--out", str(tmp_path / "out"),
                                    "--workers", "2", "--quiet"])
    assert res.exit_code == 1, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert "r/askphysics" in lines[0] and f"killed by {how.name}" in lines[0], lines[0]
    assert "--workers" in lines[0] and "memory" in lines[0], lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dumps"]  # no output, no scratch directory


def test_held_and_spilled_shards_merge_to_the_same_bytes(tmp_path, monkeypatch, add_thread, write_dumps):
    """A worker whose pairs stayed in memory hands them over in a file (``HeldPairs.save``);
    one that spilled leaves them in its database. The parent adds them shard by shard under
    its own budget, so every mix gives the bytes of one process."""
    from rmbench.prepare import load, shards

    files: dict[str, list] = {}
    for i in range(30):
        add_thread(files, "AskPhysics", f"f{i:02d}", "AskPhysics")  # the big shard: 0
    for i in range(2):
        add_thread(files, "askscience", f"s{i:02d}", "askscience")
    dumps = write_dumps(tmp_path / "dumps", files)
    tasks = ["askscience", "askphysics"]
    one = prepare(str(dumps), tmp_path / "one", tasks=tasks, progress=False, workers=1)
    handed: list[str] = []
    load_chunks = shards.load_chunks
    monkeypatch.setattr(shards, "load_chunks", lambda p: (handed.append(p.name), load_chunks(p))[1])
    # (worker budget, parent budget) -> the shards whose pairs came in a file
    cases = {(load.HOLD_BYTES, shards.HOLD_BYTES): ["shard-0.pairs", "shard-1.pairs"],  # both held
             (40_000, shards.HOLD_BYTES): ["shard-1.pairs"],  # the big one spilled, the small one held
             (load.HOLD_BYTES, 2_000): ["shard-0.pairs", "shard-1.pairs"],  # the parent spills midway
             (3_000, shards.HOLD_BYTES): []}  # both spilled
    for k, ((worker, parent), expect) in enumerate(cases.items()):
        monkeypatch.setattr(load, "HOLD_BYTES", worker)
        monkeypatch.setattr(shards, "HOLD_BYTES", parent)
        handed.clear()
        two = prepare(str(dumps), tmp_path / f"two{k}", tasks=tasks, progress=False, workers=2)
        assert handed == expect, (worker, parent)
        assert two == one and _output_bytes(tmp_path / f"two{k}") == _output_bytes(tmp_path / "one"), (worker, parent)
