"""A sweep's cell in a process of its own.

Why: a sweep ran every cell in the sweep's own process, one after another, and the native memory
of a finished cell (allocator fragmentation, the math libraries' caches; no Python object
or tensor outlives a cell, BENCHMARKS.md (h)) stayed with the process: the resident set grew
40-65 MB a cell, so a leave-one-out sweep over 18 communities and three seeds would end
gigabytes above what any one of its cells needs. A cell run in a fresh process gives all of
it back when it ends, and nothing a cell sets (torch's threads, a random state, a cache) can
reach the next one.

How it starts: forking the sweep's own process is unsafe (it holds torch's threads and
whatever the last cell left). On Linux each cell is forked instead from one clean interpreter
started for the sweep (``forkserver``), which imports torch, transformers, peft, accelerate and
scikit-learn once (``PRELOAD``) and computes nothing; elsewhere, or with
``RMBENCH_CELL_START=spawn``, each cell is a fresh interpreter, which spends 6-8 s on those imports
before it does anything. A forked cell is still a new process with nothing of an earlier cell in
it, the sweep's environment and working directory as they are when it starts (``_child`` applies
the environment it was started with), and it writes the same bytes as a spawned one
(tests/run/test_cellproc.py). ``cell_processes()`` stops the server when the sweep ends, so a
later sweep in the same process (a notebook, the tests) gets its own. The server's last import,
``rmbench.run.cellfreeze``, moves everything the imports made out of the cyclic collector's
reach (``gc.freeze``): without it each forked cell's collections wrote to those objects and
copied their pages, and a cell held 115-140 MB more (proportional set size) than a fresh
interpreter. Why forkserver is the default on Linux (BENCHMARKS.md, "Sweep cells"): on the demo's
leave-one-out sweep of three real cells, four alternated pairs of runs, forked sweeps took
0-10% less wall time (never more) at a peak 6-56 MB above the spawned ones (~1.35 GB); with the
test suite's tiny models, where the imports are most of a cell, ~35-45% less. macOS and Windows
keep spawn: not measured there, and spawn is their platforms' own default.

A cell runs its function (``rmbench.run.harness.run_holdout``, or
``rmbench.run.adapt.run_adapted`` for a few-shot cell) exactly as in the sweep's own process;
its progress goes to the same stderr. The parent reads the cell's results.json
when it ends. A cell that fails with an rmbench error raises that error here (one line, as
any command's); one that dies (a signal, the out-of-memory killer) raises
``WorkerDiedError`` naming the cell, which resumes from its checkpoint on the next run.

Cells stay in the sweep's process under a distributed launch (``WORLD_SIZE`` > 1: every rank
must run the same cell together) and with ``RMBENCH_SWEEP_IN_PROCESS=1`` (a debugger, or a
test that patches what a cell calls).
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

# What a cell imports before its first step, imported once by the forkserver: the model and
# training stack (transformers' Trainer pulls in peft and accelerate), scoring, the baselines
# (scikit-learn) and the report's plots. A name that fails to import is skipped (the cell then
# imports it itself, and fails there with its own message).
PRELOAD = ("rmbench.run.harness", "rmbench.run.adapt", "rmbench.model.train", "rmbench.model.kinds",
           "rmbench.model.scoring", "rmbench.run.evaluation", "rmbench.eval.confounds", "rmbench.eval.baselines",
           "rmbench.eval.report", "rmbench.eval.plots_run", "rmbench.run.card", "rmbench.run.cellfreeze")
START_METHODS = ("spawn", "forkserver")


def isolated() -> bool:
    """Whether a sweep's cells run in a process of their own (see the module doc)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1) <= 1 and os.environ.get("RMBENCH_SWEEP_IN_PROCESS", "") != "1"


def default_start_method() -> str:
    """forkserver on Linux, spawn elsewhere (module doc)."""
    import multiprocessing

    linux = sys.platform.startswith("linux") and "forkserver" in multiprocessing.get_all_start_methods()
    return "forkserver" if linux else "spawn"


def start_method() -> str:
    """How a cell's process starts: ``RMBENCH_CELL_START`` if set, else ``default_start_method()``."""
    import multiprocessing

    from rmbench.errors import ConfigError

    asked = os.environ.get("RMBENCH_CELL_START", "").strip().lower() or default_start_method()
    if asked not in START_METHODS:
        raise ConfigError(f"RMBENCH_CELL_START={asked!r}: expected one of {', '.join(START_METHODS)}")
    if asked not in multiprocessing.get_all_start_methods():
        raise ConfigError(f"RMBENCH_CELL_START={asked}: this platform cannot start processes that way; "
                          f"leave it unset ({default_start_method()})")
    return asked


def _server():
    from multiprocessing import forkserver

    return getattr(forkserver, "_forkserver", None)


_blocks = 0  # cell_processes() blocks open in this process


@contextmanager
def cell_processes():
    """Around a sweep's cells: the forkserver its cells are forked from, if this block started
    it, is stopped at the end (module doc). A cell run outside any such block gets a block of
    its own, so no server outlives what started it (with the standard streams and environment
    of that moment). ``_stop`` is the standard library's own way to stop it (its tests use it);
    where a Python lacks it the server stays until the process ends, and each cell still gets
    the environment it was started with."""
    global _blocks
    server = _server() if start_method() == "forkserver" else None
    ours = server is not None and getattr(server, "_forkserver_pid", 0) is None
    _blocks += 1
    try:
        yield
    finally:
        _blocks -= 1
        stop = getattr(server, "_stop", None)
        if ours and stop is not None and getattr(server, "_forkserver_pid", None) is not None:
            stop()


def _preload(target) -> list[str]:
    """What the forkserver imports for cells of ``target``: its module, and ``PRELOAD`` for
    rmbench's own cells (another function, a test's, gets only its module)."""
    ours = target.__module__.startswith("rmbench.")
    return list(dict.fromkeys((target.__module__, *(PRELOAD if ours else ()))))


def _child(target, args, kwargs, conn, environ: dict | None = None) -> None:
    """The cell, in the new process: None down the pipe when it finished, else its error.
    ``environ``: the sweep's environment when the cell was started (a forked cell would
    otherwise have the forkserver's, from when the server started)."""
    from rmbench.errors import RmbenchError

    if environ is not None and environ != dict(os.environ):
        os.environ.clear()
        os.environ.update(environ)
    try:
        from rmbench.console import stderr_console

        # The sweep's stdout is its tables (or --format data) alone: anything a cell or a
        # library prints goes to stderr with the cell's progress.
        sys.stdout.flush()
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        target(*args, console=stderr_console(), **kwargs)
        conn.send(None)
    except BaseException as e:  # noqa: BLE001 - everything goes back to the sweep, which decides
        if not isinstance(e, RmbenchError):
            traceback.print_exc()  # a bug: its traceback in the log, as a command shows it
        try:
            blob = pickle.dumps(e)
            pickle.loads(blob)  # an exception whose constructor takes other arguments cannot come back
        except Exception:  # noqa: BLE001
            blob = None
        ours = isinstance(e, RmbenchError)
        conn.send((ours, str(e) if ours else f"{type(e).__name__}: {e}", blob))
        sys.exit(1)


def run_cell(run_dir: Path, target, *args, **kwargs) -> dict:
    """``target(*args, console=..., **kwargs)``, the cell writing ``run_dir``, in a new process;
    waits for it and returns its results.json, or raises what the cell raised. ``target`` is
    a module-level function (the child imports it by name)."""
    import multiprocessing

    from rmbench.errors import RmbenchError, WorkerDiedError
    from rmbench.jsonlimits import read_json_file

    if not _blocks:
        with cell_processes():
            return run_cell(run_dir, target, *args, **kwargs)
    method = start_method()
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":  # read when the server starts: the first cell of a cell_processes() block
        ctx.set_forkserver_preload(_preload(target))
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(target, args, kwargs, send, dict(os.environ)), name=f"cell {run_dir.name}")
    proc.start()
    send.close()  # the child holds the only write end: its death ends recv() with EOFError
    try:
        try:
            outcome = recv.recv()
        except EOFError:
            outcome = "died"
        proc.join()
    except BaseException:  # Ctrl-C or the sweep stopped: never leave the cell running behind
        proc.terminate()
        proc.join()
        raise
    finally:
        recv.close()
    if outcome is None:
        return read_json_file(run_dir / "results.json")
    if outcome == "died":
        raise WorkerDiedError(f"the cell {run_dir} ended without a result (exit code {proc.exitcode}; "
                              "-9 is most often the out-of-memory killer); run the sweep again to resume it")
    ours, text, blob = outcome
    if blob is not None:
        raise pickle.loads(blob)
    raise RmbenchError(text) if ours else RuntimeError(f"the cell {run_dir} failed: {text} (its traceback is above)")
