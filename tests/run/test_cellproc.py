"""A sweep's cell in a process of its own: results back, errors back, a death named; under
RMBENCH_CELL_START=forkserver forked from one server per sweep, with the sweep's environment,
and the same bytes as a fresh interpreter's."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import signal
import sys

import pytest

from rmbench.errors import ConfigError, RmbenchError, SourceError, WorkerDiedError
from rmbench.run.cellproc import START_METHODS, _preload, _server, cell_processes, isolated, run_cell, start_method


def _finishes(run_dir, console=None):
    print("a line a library printed")
    os.write(1, b"and one written to fd 1\n")
    (run_dir / "results.json").write_text(json.dumps({"pid": os.getpid(), "console": type(console).__name__}))


def _config_error(run_dir, console=None):
    raise ConfigError("data.max_train_pairs: expected int, got 'x'")


def _source_error(run_dir, console=None):
    raise SourceError("/dumps/a.zst", "truncated zstd file")  # its constructor takes two arguments


def _bug(run_dir, console=None):
    raise ZeroDivisionError("a bug in a cell")


def _killed(run_dir, console=None):
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture(params=START_METHODS)
def each_start(request, monkeypatch):
    """The test once per way a cell's process can start."""
    if request.param not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {request.param} on this platform")
    monkeypatch.setenv("RMBENCH_CELL_START", request.param)
    return request.param


def test_a_cell_runs_in_another_process_and_its_results_come_back(tmp_path, capfd, each_start):
    doc = run_cell(tmp_path, _finishes, tmp_path)
    assert doc["pid"] != os.getpid() and doc["console"] == "Console"  # the child made its own stderr console
    out, err = capfd.readouterr()
    assert out == "" and "a line a library printed" in err and "fd 1" in err  # the sweep's stdout stays its data


def test_a_cells_errors_come_back_as_they_were_raised(tmp_path, each_start):
    with pytest.raises(ConfigError, match="expected int"):
        run_cell(tmp_path, _config_error, tmp_path)
    with pytest.raises(RmbenchError) as err:
        run_cell(tmp_path, _source_error, tmp_path)
    assert str(err.value) == "/dumps/a.zst: truncated zstd file"  # the one line a command prints
    with pytest.raises(ZeroDivisionError, match="a bug in a cell"):
        run_cell(tmp_path, _bug, tmp_path)


def test_a_cell_that_dies_is_named_with_its_exit_code(tmp_path, each_start):
    with pytest.raises(WorkerDiedError, match=r"exit code -9.*resume"):
        run_cell(tmp_path, _killed, tmp_path)


def test_cells_stay_in_process_under_a_distributed_launch_or_when_asked(monkeypatch):
    monkeypatch.delenv("RMBENCH_SWEEP_IN_PROCESS", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert isolated()
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert not isolated()
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RMBENCH_SWEEP_IN_PROCESS", "1")
    assert not isolated()


def test_the_sweep_runs_an_unfinished_cell_through_run_cell(tmp_path, monkeypatch):
    from rmbench.run.config import RunConfig
    from rmbench.run.sweep import _cell

    monkeypatch.delenv("RMBENCH_SWEEP_IN_PROCESS", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    seen = []
    monkeypatch.setattr("rmbench.run.cellproc.run_cell", lambda d, f, cfg, *a, **kw: seen.append((f.__name__, cfg.seed)))
    _cell(RunConfig(), tmp_path / "c", None, False, seed=3)
    assert seen == [("run_holdout", 3)]
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "results.json").write_text('{"finished": true}')
    assert _cell(RunConfig(), tmp_path / "done", None, False) == {"finished": True} and len(seen) == 1


def _reports(run_dir, console=None):
    (run_dir / "results.json").write_text(json.dumps({
        "pid": os.getpid(), "parent": os.getppid(), "x": os.environ.get("RMBENCH_TEST_X"), "cwd": os.getcwd(),
        "preloaded": "tabnanny" in sys.modules, "frozen": gc.get_freeze_count()}))


def test_forkserver_is_the_default_on_linux_spawn_elsewhere_and_only_the_two_methods_are_taken(monkeypatch):
    monkeypatch.delenv("RMBENCH_CELL_START", raising=False)
    for platform, method in (("linux", "forkserver"), ("darwin", "spawn"), ("win32", "spawn")):
        monkeypatch.setattr(sys, "platform", platform)
        if method in multiprocessing.get_all_start_methods():
            assert start_method() == method, platform
    monkeypatch.undo()
    monkeypatch.setenv("RMBENCH_CELL_START", "fork")  # forking the sweep's own process: never
    with pytest.raises(ConfigError, match="RMBENCH_CELL_START='fork': expected one of spawn, forkserver"):
        start_method()


posix_only = pytest.mark.skipif(sys.platform == "win32", reason="no forkserver on Windows")


@posix_only
def test_cells_of_a_block_are_forked_from_one_server_with_the_sweeps_environment_then(tmp_path, monkeypatch):
    monkeypatch.setenv("RMBENCH_CELL_START", "forkserver")
    monkeypatch.setattr("rmbench.run.cellproc._preload",
                        lambda target: [target.__module__, "tabnanny", "rmbench.run.cellfreeze"])
    docs = []
    with cell_processes():
        for x, where in (("1", tmp_path / "a"), ("2", tmp_path / "b")):
            where.mkdir()
            monkeypatch.setenv("RMBENCH_TEST_X", x)
            monkeypatch.chdir(where)  # the server started in a; b's cell runs in b all the same
            docs.append(run_cell(where, _reports, where))
        server = _server()._forkserver_pid
        assert server is not None
    first, second = docs
    assert first["parent"] == second["parent"] == server != os.getpid()  # one server, not this process
    assert first["pid"] != second["pid"]  # a new process per cell
    assert (first["x"], second["x"]) == ("1", "2")  # the environment when each cell was started
    assert (first["cwd"], second["cwd"]) == (str(tmp_path / "a"), str(tmp_path / "b"))
    assert first["preloaded"] and second["preloaded"]  # imported by the server, before the cell ran
    assert first["frozen"] > 1000 and second["frozen"] > 1000  # the server's objects, out of the collector's reach
    assert _server()._forkserver_pid is None  # stopped with the block that started it


@posix_only
def test_a_forked_cell_outside_a_block_leaves_no_server_behind_and_a_spawned_one_none_at_all(tmp_path, monkeypatch):
    monkeypatch.setenv("RMBENCH_CELL_START", "forkserver")
    doc = run_cell(tmp_path, _reports, tmp_path)
    assert doc["parent"] != os.getpid() and _server()._forkserver_pid is None
    assert not doc["preloaded"] and doc["frozen"] == 0  # a fresh server: only the target's module (above: more)
    monkeypatch.setenv("RMBENCH_CELL_START", "spawn")
    assert run_cell(tmp_path, _reports, tmp_path)["parent"] == os.getpid()  # started by this process itself
    assert _server()._forkserver_pid is None


def test_rmbench_cells_preload_the_training_stack_and_other_targets_only_their_module():
    from rmbench.run.adapt import run_adapted
    from rmbench.run.harness import run_holdout

    assert _preload(run_holdout)[0] == "rmbench.run.harness" and "rmbench.model.train" in _preload(run_holdout)
    assert _preload(run_holdout)[-1] == "rmbench.run.cellfreeze"  # last: it freezes what the others made
    assert _preload(run_adapted)[0] == "rmbench.run.adapt" and len(set(_preload(run_adapted))) == len(_preload(run_adapted))
    assert _preload(_reports) == [_reports.__module__]


@pytest.mark.slow
@posix_only
def test_a_forked_cell_trains_and_scores_what_a_spawned_one_does_byte_for_byte(tmp_path, monkeypatch, tiny_bert_dir,
                                                                               write_prepared):
    from click.testing import CliRunner

    from rmbench.cli import main

    monkeypatch.delenv("RMBENCH_SWEEP_IN_PROCESS", raising=False)
    sizes = {t: {"train": 24, "validation": 8, "test": 12, "test_hard": 6} for t in ("writingprompts", "askacademia")}
    data = write_prepared(tmp_path / "data", sizes)
    tiny = tiny_bert_dir(tmp_path / "tiny")
    for method in START_METHODS:
        monkeypatch.setenv("RMBENCH_CELL_START", method)
        args = ["sweep", "--holdout", "writingprompts", "--models", str(tiny), "--sizes", "12", "--no-transfer",
                "--data", str(data), "--out", str(tmp_path / method), "--epochs", "1", "--max-length", "32", "--quiet",
                "--set", "eval.bootstrap_samples=100", "--set", "eval.min_fit_pairs=20", "--set", "eval.min_fit_posts=5"]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    [a] = (tmp_path / "forkserver" / "cells").glob("curve-*")
    [b] = (tmp_path / "spawn" / "cells").glob("curve-*")
    for name in ("predictions.jsonl", "model/model.safetensors"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
