"""Parallel load-and-pair: one worker process per subreddit, merged into one store.

Threads never cross subreddits, and every rule sees one thread at a time, so each
subreddit can be loaded, judged and paired on its own (``prepare_stages.load_and_pair``)
in a forked worker with its own SQLite file. The parent sums the workers' counts, merges
their bad-input reports, and stages their pairs shard by shard as one process would (held
under the budget, then in SQLite): a worker whose pairs stayed in memory hands them over
in a file (``HeldPairs.save``), one that spilled leaves them in its database, which the
parent attaches. The splits are then written exactly as in the single-process path. The
output is byte-identical either way; only the wall time changes.

A worker reads the files named for its subreddit, but a record belongs to the subreddit
it names, not to the file it sits in: records of another selected subreddit are spilled
(raw lines, per target and file) and, after every worker finished, each subreddit that
received spills is loaded again with them read in the place of the file they came from,
so it sees exactly the records, in exactly the order, of a single-process run.

Workers die with the parent (``PR_SET_PDEATHSIG`` on Linux, else a pipe watchdog), so a
``kill -9`` of ``prepare`` leaves nothing running; its scratch directory is removed by the
next run (``rmbench.atomic``).

Used when the source can read one subreddit at a time (``subreddits()`` names them and
it declares ``selects_subreddits``), there are at least two of them,
more than one worker is allowed, and the platform can fork (the workers inherit the
task registry, including tasks registered at run time, without pickling them).
"""

from __future__ import annotations

import ctypes
import errno
import multiprocessing as mp
import os
import pickle
import signal
import sqlite3
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

from rmbench.prepare.pair import TaskStats
from rmbench.records import BadInputReport
from rmbench.errors import SourceError, WorkerDiedError
from rmbench.sources.base import Source
from rmbench.prepare.held import HeldPairs
from rmbench.prepare.runs import load_chunks
from rmbench.prepare.store import HOLD_BYTES, ThreadStore

_LABELS = ("loading posts", "loading comments", "pairing threads")
_POLL_S = 0.1  # how often the parent refreshes the summed progress bars
_PR_SET_PDEATHSIG = 1  # linux/prctl.h: deliver a signal to this process when its parent dies


def default_workers() -> int:
    env = os.environ.get("RMBENCH_PREPARE_WORKERS")
    if env:
        return max(1, int(env))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def plan_shards(src: Source, by_sub: dict, workers: int) -> list[set[str]] | None:
    """One shard per selected subreddit the source has, biggest first; None: run serially."""
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        return None
    subs = src.subreddits()
    if subs is None:
        return None
    if not src.selects_subreddits:
        return None
    present = sorted({s.lower() for s in subs} & set(by_sub))
    if len(present) < 2:
        return None
    size = getattr(src, "progress_total", None)
    if callable(size):  # the longest shard starts first, so it does not finish last alone
        present.sort(key=lambda s: -size({s}))
    return [{s} for s in present]


class _SharedBars:
    """What a worker's stages see instead of rich bars: counts written to shared memory."""

    def __init__(self, counters, shard: int):
        self._c, self._base = counters, shard * len(_LABELS)

    def track(self, label: str, total: int | None):
        slot = self._base + _LABELS.index(label)
        counters = self._c

        def tick(n: int, done: bool = False) -> None:
            counters[slot] = n

        return tick

    def status(self, label: str) -> None:
        pass


def die_with_parent(parent: int, watch_fd: int | None = None, write_fd: int | None = None) -> None:
    """Make this (forked) process exit when ``parent`` dies: the kernel's parent-death signal
    where there is one, else a thread that waits for EOF on a pipe only the parent writes
    (``write_fd``, this child's inherited copy of the write end, is closed here)."""
    if write_fd is not None:
        os.close(write_fd)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before the signal was armed
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    if watch_fd is not None:
        def watch() -> None:
            while os.read(watch_fd, 1):
                pass
            os._exit(1)  # EOF: every write end is closed, so the parent is gone

        threading.Thread(target=watch, name="rmbench-parent-watchdog", daemon=True).start()


def _worker(shard: int, src: Source, by_sub: dict, work: Path, counters, parent: int, watch: tuple[int, int],
            route: dict) -> None:  # runs in the child
    from rmbench.prepare.load import load_and_pair

    die_with_parent(parent, *watch)
    code = 0
    try:
        src.report = BadInputReport()  # only this shard's lines go back to the parent
        src.unselected = Counter()
        for k, v in route.items():
            setattr(src, k, v)
        stats = {t.name.lower(): TaskStats() for ts in by_sub.values() for t in ts}
        counts: Counter = Counter()
        store = load_and_pair(src, by_sub, stats, counts, work / f"shard-{shard}.sqlite", _SharedBars(counters, shard))
        pairs = store.pair_table()  # held: to a file the parent reads; spilled: in this database
        in_file = isinstance(pairs, HeldPairs) and pairs.save(work / f"shard-{shard}.pairs")
        store.close()
        # The sha256 of each file this worker read in full: the parent records them rather
        # than reading every input once more to hash it (DumpSource.files).
        hashes = src.read_hashes() if hasattr(src, "read_hashes") else {}
        result = {"stats": stats, "counts": counts, "pairs_in_file": in_file, "hashes": hashes,
                  "report": ({p: dict(r) for p, r in src.report.counts.items()},
                             {p: {k: list(v) for k, v in r.items()} for p, r in src.report.examples.items()})}
    except BaseException as e:  # noqa: BLE001 - everything goes back to the parent, which raises it
        code = 1
        if isinstance(e, SourceError):
            msg = str(e)
            msg = msg[len(e.path) + 2:] if msg.startswith(f"{e.path}: ") else msg
            result = {"source_error": (e.path, msg)}
        elif isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT) or \
                isinstance(e, sqlite3.OperationalError) and "full" in str(e):
            result = {"disk_full": str(e)}
        else:
            result = {"error": f"{type(e).__name__}: {e}\n{traceback.format_exc()}"}
    try:
        with open(work / f"shard-{shard}.pkl", "wb") as f:
            pickle.dump(result, f)
    except OSError:
        code = 2  # no room even for the result: the parent reports a disk problem
    os._exit(code)  # a forked child must not run the parent's atexit handlers or test teardown


def run_shards(src: Source, by_sub: dict, tasks: list, shards: list[set[str]], workers: int, work: Path,
               bars) -> tuple[dict[str, TaskStats], Counter, ThreadStore]:
    """Run every shard, at most ``workers`` at a time, then again each subreddit that another
    shard's files held records of; returns summed stats, counts and a store holding every
    shard's staged pairs."""
    spills = work / "spill"
    first = [(i, subs, {"others": frozenset(by_sub) - subs, "spill_dir": spills, "count_unselected": i == 0
                        or getattr(src, "spill_dir", False) is not False}) for i, subs in enumerate(shards)]
    results = _run(src, by_sub, first, workers, work, bars)
    targets = sorted(p.name for p in spills.iterdir()) if spills.is_dir() else []
    if targets:  # some files held records of another selected subreddit: load those subreddits again
        owner = {next(iter(subs)): i for i, subs in enumerate(shards)}
        again = []
        for k, t in enumerate(targets):
            i = owner.get(t, len(shards) + k)
            again.append((i, {t}, {"others": frozenset(by_sub) - {t}, "spill_dir": None, "inject_dir": spills / t}))
        redo = _run(src, by_sub, again, workers, work, bars, label="re-reading mis-filed records")
        for i, r in redo.items():
            first_pass = results.get(i, {})
            kept_report = first_pass.get("report", ({}, {}))  # lines were counted on the first read
            results[i] = {**r, "report": kept_report, "hashes": {**first_pass.get("hashes", {}), **r["hashes"]}}
    return merge_shards(src, tasks, results, work, bars)


def _run(src: Source, by_sub: dict, jobs: list, workers: int, work: Path, bars, label: str | None = None) -> dict:
    ctx = mp.get_context("fork")
    n = max(i for i, _, _ in jobs) + 1
    counters = ctx.Array("q", n * len(_LABELS), lock=False)
    ticks = [bars.track(lab, None) for lab in _LABELS] if label is None else []
    if label is not None:
        bars.status(label)
    watch_r, watch_w = os.pipe()  # the children's watchdog: EOF when the parent is gone
    pending = list(jobs)
    running: dict[int, tuple[mp.Process, set[str]]] = {}
    results: dict[int, dict] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                i, subs, route = pending.pop(0)
                (work / f"shard-{i}.sqlite").unlink(missing_ok=True)
                (work / f"shard-{i}.pkl").unlink(missing_ok=True)
                (work / f"shard-{i}.pairs").unlink(missing_ok=True)  # a first pass's, if this is a re-read
                p = ctx.Process(target=_worker, args=(i, src, {s: by_sub[s] for s in subs}, work, counters,
                                                      os.getpid(), (watch_r, watch_w), route),
                                name=f"rmbench-prepare-{'+'.join(sorted(subs))}", daemon=True)
                p.start()
                running[i] = (p, subs)
            for i, (p, subs) in list(running.items()):
                if not p.is_alive():
                    p.join()
                    del running[i]
                    results[i] = _result(work, i, subs, p.exitcode, p.pid)
            for k, tick in enumerate(ticks):
                tick(sum(counters[j * len(_LABELS) + k] for j in range(n)))
            time.sleep(_POLL_S)
    finally:
        for p, _ in running.values():  # an error in one shard stops the others
            p.terminate()
            p.join()
        os.close(watch_r)
        os.close(watch_w)
    for k, tick in enumerate(ticks):
        tick(sum(counters[j * len(_LABELS) + k] for j in range(n)), done=True)
    return results


def died_message(shard: int, subs: set[str], exitcode: int | None, pid: int | None = None) -> str:
    """One line for a worker that left no result: which one, what it was reading, how it
    ended, and what to try. A negative exit code is the signal that ended it (multiprocessing's
    convention); SIGKILL with no word from the worker is nearly always the out-of-memory killer."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        how = f"was killed by {name}"
    else:
        how = f"exited with code {exitcode} without a result"
    who = f"prepare worker {shard}" + (f" (pid {pid})" if pid else "")  # the pid is what the kernel's OOM log names
    return (f"{who}, reading r/{', '.join(sorted(subs))}, {how}; nothing was written. "
            "Try fewer --workers (--workers 1 uses the least memory) or give prepare more memory")


def _result(work: Path, shard: int, subs: set[str], exitcode: int | None, pid: int | None = None) -> dict:
    path = work / f"shard-{shard}.pkl"
    if exitcode == 2 or not path.exists():
        if exitcode == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(work))
        raise WorkerDiedError(died_message(shard, subs, exitcode, pid))
    with open(path, "rb") as f:
        result = pickle.load(f)
    if "source_error" in result:
        raise SourceError(*result["source_error"])
    if "disk_full" in result:
        raise OSError(errno.ENOSPC, f"No space left on device ({result['disk_full']})", str(work))
    if "error" in result:
        raise RuntimeError(f"the prepare worker for r/{', '.join(sorted(subs))} failed: {result['error']}")
    return result


def merge_shards(src: Source, tasks: list, results: dict[int, dict], work: Path,
           bars, dbs: list[Path] | None = None) -> tuple[dict[str, TaskStats], Counter, ThreadStore]:
    """Sum the shards' counts and reports into ``src.report``; stage their pairs into one
    store: from the file a worker handed them over in, else from its database (``dbs``,
    default one ``shard-<i>.sqlite`` per result; the ray engine's buckets always use theirs).
    Also the ray engine's merge."""
    bars.status("merging shards")
    stats = {t.name.lower(): TaskStats() for t in tasks}
    counts: Counter = Counter()
    report = src.report
    for i in sorted(results):
        r = results[i]
        if r.get("hashes") and hasattr(src, "add_hashes"):
            src.add_hashes(r["hashes"])
        counts.update(r["counts"])
        for name, s in r["stats"].items():
            stats[name] = _add(stats[name], s)
        counts_by_file, examples_by_file = r["report"]
        for path, reasons in counts_by_file.items():
            for reason, n in reasons.items():
                report.counts[path][reason] += n
                seen = report.examples[path][reason]
                seen.extend(examples_by_file.get(path, {}).get(reason, []))
                seen.sort()
                del seen[report.max_examples:]
    # The pairs, shard by shard in order, as one process would have added them: held under
    # the budget while they fit, then in SQLite (rmbench.prepare.held).
    store = ThreadStore(work / "merged.sqlite", hold_bytes=HOLD_BYTES)
    pairs = store.pair_table()
    # (file of held pairs or None, database): the file when the last run of a shard wrote one (_worker)
    sources = ([(None, db) for db in dbs] if dbs is not None else
               [(work / f"shard-{i}.pairs" if results[i].get("pairs_in_file") else None, work / f"shard-{i}.sqlite")
                for i in sorted(results)])
    for held, db in sources:
        if held is not None:
            for chunk in load_chunks(held):
                pairs.add(chunk)
            continue
        pairs.attach(db)  # a worker that spilled left its pairs in its database: copied in SQLite
    for s in stats.values():
        s.check()
    return stats, counts, store


def _add(a: TaskStats, b: TaskStats) -> TaskStats:
    out = TaskStats()
    for name in vars(out):
        x, y = getattr(a, name), getattr(b, name)
        setattr(out, name, x + y)  # ints add; Counters add (dropping zero counts, which are never stored)
    return out
