"""A sweep's cell in a process of its own.

Why: a sweep ran every cell in the sweep's own process, one after another, and the native memory
of a finished cell (allocator fragmentation, the math libraries' caches; no Python object
or tensor outlives a cell, BENCHMARKS.md (h)) stayed with the process: the resident set grew
40-65 MB a cell, so a leave-one-out sweep over 18 communities and three seeds would end
gigabytes above what any one of its cells needs. A cell run in a fresh process gives all of
it back when it ends, and nothing a cell sets (torch's threads, a random state, a cache) can
reach the next one.

A cell is started with ``spawn`` (a clean interpreter: forking a process that holds torch's
threads is unsafe) and runs its function (``rmbench.run.harness.run_holdout``, or
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
from pathlib import Path


def isolated() -> bool:
    """Whether a sweep's cells run in a process of their own (see the module doc)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1) <= 1 and os.environ.get("RMBENCH_SWEEP_IN_PROCESS", "") != "1"


def _child(target, args, kwargs, conn) -> None:
    """The cell, in the new process: None down the pipe when it finished, else its error."""
    from rmbench.errors import RmbenchError

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

    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(target, args, kwargs, send), name=f"cell {run_dir.name}")
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
