"""A sweep's cell in a process of its own: results back, errors back, a death named."""

from __future__ import annotations

import json
import os
import signal

import pytest

from rmbench.errors import ConfigError, RmbenchError, SourceError, WorkerDiedError
from rmbench.run.cellproc import isolated, run_cell


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


def test_a_cell_runs_in_another_process_and_its_results_come_back(tmp_path, capfd):
    doc = run_cell(tmp_path, _finishes, tmp_path)
    assert doc["pid"] != os.getpid() and doc["console"] == "Console"  # the child made its own stderr console
    out, err = capfd.readouterr()
    assert out == "" and "a line a library printed" in err and "fd 1" in err  # the sweep's stdout stays its data


def test_a_cells_errors_come_back_as_they_were_raised(tmp_path):
    with pytest.raises(ConfigError, match="expected int"):
        run_cell(tmp_path, _config_error, tmp_path)
    with pytest.raises(RmbenchError) as err:
        run_cell(tmp_path, _source_error, tmp_path)
    assert str(err.value) == "/dumps/a.zst: truncated zstd file"  # the one line a command prints
    with pytest.raises(ZeroDivisionError, match="a bug in a cell"):
        run_cell(tmp_path, _bug, tmp_path)


def test_a_cell_that_dies_is_named_with_its_exit_code(tmp_path):
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
