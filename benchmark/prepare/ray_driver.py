"""The driver of ``prepare --engine ray``: connect, submit the read and pair stages of
``rmbench.prepare.ray_engine`` as Ray tasks, show their progress, and merge their output
into the store the local writer reads (``rmbench.prepare.shards.merge_shards``)."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

from rmbench.errors import SourceError, WorkerDiedError
from rmbench.prepare.pair import TaskStats
from rmbench.prepare.ray_engine import open_work, pair_bucket, plan, ray_module, read_unit
from rmbench.prepare.shards import merge_shards
from rmbench.prepare.store import ThreadStore
from rmbench.sources.base import Source
from rmbench.sources.dumps import DumpSource


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def work_dir(out: Path) -> Path:
    """Where a ray prepare keeps its stage folders: ``<out>.ray-work`` beside the output."""
    return out.with_name(out.name + ".ray-work")


def run_ray(src: Source, by_sub: dict, tasks: list, scratch: Path, work: Path, workers: int | None, bars,
            address: str | None = None, buckets: int | None = None,
            notify=_say) -> tuple[dict[str, TaskStats], Counter, ThreadStore, dict]:
    """Run both stages on Ray (``address``: a running cluster; else a local one with
    ``workers`` CPUs) and merge them into a store in ``scratch``. Returns summed stats and
    counts, the store, and the manifest's ``engine`` block."""
    ray = ray_module()
    the_plan = plan(src, by_sub, buckets)
    units, per_sub = the_plan["units"], the_plan["buckets"]
    open_work(work, the_plan, notify)
    started = not ray.is_initialized()
    if started:
        opts = {"address": address} if address else {"num_cpus": workers, "include_dashboard": False}
        ray.init(**opts, logging_level="ERROR", log_to_driver=False)
    try:
        src_ref = ray.put(src)
        selected = frozenset(by_sub)
        read_dirs = [work / "read" / f"{i:05d}-{u['pass']}" for i, u in enumerate(units)]
        (work / "read").mkdir(exist_ok=True)
        (work / "pair").mkdir(exist_ok=True)
        read = ray.remote(read_unit).options(num_cpus=1)
        refs = {read.remote(src_ref, u, selected, per_sub, str(d)): ("read", i, _unit_name(src, u))
                for i, (u, d) in enumerate(zip(units, read_dirs))}
        got = _gather(ray, refs, bars.track("ray: reading files", len(refs)))
        for _, i in sorted(got):
            if "source_error" in got[("read", i)]:
                raise SourceError(*got[("read", i)]["source_error"])
        names = sorted({b for r in got.values() for b in r["buckets"]})
        pair = ray.remote(pair_bucket).options(num_cpus=1)
        kinds = [(u["pass"], str(d)) for u, d in zip(units, read_dirs)]
        refs = {pair.remote(b, by_sub[b.rsplit(".", 1)[0]], kinds, str(work / "pair" / b)): ("pair", k, f"bucket {b}")
                for k, b in enumerate(names)}
        got.update(_gather(ray, refs, bars.track("ray: pairing buckets", len(refs))))
    finally:
        if started:
            ray.shutdown()
    reused = sum(1 for r in got.values() if r.get("reused"))
    if reused:
        notify(f"ray: {reused} of {len(got)} stage tasks reused from an earlier run ({work})")
    results: dict[int, dict] = {}
    for n, key in enumerate(sorted(got)):  # read units in plan order, then buckets by name
        r = got[key]
        results[n] = {"stats": r.get("stats", {}), "counts": r["counts"], "report": r.get("report", ({}, {}))}
        if isinstance(src, DumpSource):
            src.add_hashes(r.get("hashes", {}))
    dbs = [work / "pair" / b / "pairs.sqlite" for b in names]
    stats, counts, store = merge_shards(src, tasks, results, scratch, bars, dbs=dbs)
    engine = {"name": "ray", "ray_version": ray.__version__, "read_tasks": len(units), "pair_buckets": len(names),
              "buckets_per_subreddit": per_sub, "reused_tasks": reused}
    return stats, counts, store, engine


def finish(work: Path) -> None:
    """Remove the work folder once the output is written (its pairs are in the output now)."""
    shutil.rmtree(work, ignore_errors=True)


def _unit_name(src: Source, unit: dict) -> str:
    if unit["file"] is None:
        return f"{src.spec} ({unit['pass']})"
    return f"{src.dump_files[unit['file']].path} ({unit['pass']})"


def _gather(ray, refs: dict, tick) -> dict:
    """Every task's result, keyed by (stage, index), ticking as each one ends; a failed task
    cancels the rest and is raised with what it was doing."""
    out, pending = {}, list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=1.0)
            for ref in ready:
                stage, i, what = refs[ref]
                out[(stage, i)] = _get(ray, ref, what)
                tick(len(out))
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    tick(len(out), done=True)
    return out


def _get(ray, ref, what: str) -> dict:
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as e:
        cause = e.cause if getattr(e, "cause", None) is not None else e
        raise RuntimeError(f"the ray prepare task for {what} failed: {type(cause).__name__}: {cause}") from None
    except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.OutOfMemoryError) as e:
        raise WorkerDiedError(f"the ray worker reading {what} died ({type(e).__name__}) after its retries; "
                              "nothing was written; finished stages are kept and reused by the next run. "
                              "Give the workers more memory, or use fewer per node") from None


__all__ = ["finish", "run_ray", "work_dir"]
