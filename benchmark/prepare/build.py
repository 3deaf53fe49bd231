"""``prepare``: a source in, the prepared-data directory of docs/formats.md out.

Three passes, each with a progress bar that shows its rate:

1. load: stream the selected tasks' posts into the on-disk thread store
   (``rmbench.prepare.store``), then stream their comments, running every comment rule as they
   pass (against the post, looked up through a bounded cache) and storing only the
   comments some task keeps: memory stays flat however big the dump, and the store
   holds a fraction of it;
2. pair: walk the store thread by thread, run the post rules, pair each task's kept
   comments (``rmbench.prepare.pair``) and stage the pairs on disk;
3. write: flag cross-task duplicate responses, write each split sorted by pair id,
   fingerprint it, and write ``manifest.json`` last.

Passes 1 and 2 live in ``rmbench.prepare.load``; with several CPUs they run once per
subreddit in worker processes (``rmbench.prepare.shards``), with the same output.

Everything happens in ``<out>.tmp-XXXX`` beside ``out``, renamed into place at the end;
on any error the temporary directory is removed and ``out`` is left as it was. The output
rule of ``rmbench.atomic`` holds: ``--overwrite`` replaces only a directory ``prepare`` made
(its marker says so), a second ``prepare`` into the same ``out`` fails while the first runs,
and scratch left by a killed run is removed by the next one.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

from rmbench.atomic import atomic_dir
from rmbench.console import progress_bar
from rmbench.errors import ConfigError, DataError, did_you_mean
from rmbench.prepare.load import cyclic_gc_paused, load_and_pair
from rmbench.prepare.held import HeldPairs
from rmbench.prepare.pair import TaskStats
from rmbench.prepare.pairtable import PairTable
from rmbench.prepare.shards import default_workers, plan_shards, run_shards
from rmbench.prepare import timesplit
from rmbench.prepare.splits import ALL_SPLITS, split_by_rule
from rmbench.prepare.write import KIND, MANIFEST, manifest_document, task_entry, write_manifest, write_splits
from rmbench.registry import all_tasks, get_task
from rmbench.sources.base import Source
from rmbench.sources.multi import MultiSource
from rmbench.task import RedditTask


def resolve_tasks(names: list[str] | None, source: Source | None = None) -> list[RedditTask]:
    """The tasks to build: the names given (unknown -> ``UnknownTaskError``), else every
    registered preference task whose subreddit the source has (all of them when the source
    cannot say which it has)."""
    if names:
        tasks = []
        for name in names:
            task = get_task(name.strip())
            if not isinstance(task, RedditTask):
                raise DataError(f"task {task.name!r} is a {task.kind} task; prepare builds preference tasks only")
            if task not in tasks:
                tasks.append(task)
        return tasks
    subs = source.subreddits() if source is not None else None
    matched = covering(subs)
    if not matched:
        raise DataError(f"no registered task covers the source's subreddits "
                        f"({', '.join(sorted(subs)) or 'it names none'}); "
                        "register a task for them (see CONTRIBUTING.md) or pass --tasks")
    return matched


def covering(subreddits: set[str] | None) -> list[RedditTask]:
    """Every registered preference task reading one of ``subreddits`` (all of them for None)."""
    tasks = [t for t in all_tasks().values() if isinstance(t, RedditTask)]
    return tasks if subreddits is None else [t for t in tasks if any(t.matches(s) for s in subreddits)]


def open_any(source: str | Source | list[str]) -> Source:
    """A source from what the user gave: a Source, a spec, or several specs (``MultiSource``)."""
    if isinstance(source, Source):
        return source
    from rmbench.sources.multi import combine

    return combine([str(source)] if isinstance(source, (str, os.PathLike)) else [str(s) for s in source])


WHAT = "prepared-data directory"  # how an output-directory refusal names prepare's output


def is_prepared_dir(path: Path) -> bool:
    """A directory ``prepare`` wrote (its manifest says so): the only kind ``--overwrite`` replaces."""
    from rmbench.jsonlimits import read_json_file

    try:
        return read_json_file(path / MANIFEST).get("kind") == KIND
    except (OSError, ValueError, AttributeError):
        return False


def prepare(source: str | Source | list[str], out_dir: str | Path, tasks: list[str] | None = None,
            overwrite: bool = False, progress: bool = True, workers: int | None = None,
            split_by: str = "hash", strict: bool = False, task_source: dict[str, str] | None = None,
            engine: str = "local", ray_address: str | None = None, ray_buckets: int | None = None) -> dict:
    """Build preference pairs for ``tasks`` from ``source`` into ``out_dir``; returns the manifest.

    ``source``: one spec, or several (``rmbench.sources.multi``: each task read from the one
    source that holds it; ``task_source`` maps a task two sources hold to the one to use).

    ``workers``: processes loading and pairing subreddits in parallel (default: the CPU
    count, or ``$RMBENCH_PREPARE_WORKERS``); 1, or a source that cannot read one
    subreddit at a time, runs everything in this process. The output is the same either way.

    ``engine``: ``local`` (this machine: one process, or ``workers`` forked ones) or ``ray``
    (``rmbench.prepare.ray_driver``: Ray tasks on the cluster at ``ray_address``, else a local
    Ray with ``workers`` CPUs; ``ray_buckets`` pair buckets per subreddit, default by size).
    Same output either way; a killed ray prepare resumes from ``<out>.ray-work``.

    ``strict``: a time split whose date leaves a task's train or test split empty (every
    post on one side of it) is a ``DataError`` instead of a warning (``timesplit.date_problems``).

    Raises ``OutputExistsError`` when ``out_dir`` exists and ``overwrite`` is false (or it
    is not a prepared directory), ``UnknownTaskError`` for an unknown task name, and lets a
    source's ``SourceError`` through (after removing the temporary directory).
    """
    out = Path(out_dir)
    rule = split_by_rule(split_by)  # a bad --split-by fails before any work, like a task typo
    if engine not in ("local", "ray"):
        raise ConfigError(f"--engine {engine!r}: choose local or ray")
    ray = None
    if engine == "ray":
        from rmbench.prepare import ray_driver
        from rmbench.prepare.ray_engine import ray_module

        ray_module()  # not installed: say so before any work
        ray = {"work": ray_driver.work_dir(out), "address": ray_address, "buckets": ray_buckets}
    # Named tasks are checked before the source is opened: a typo fails in milliseconds.
    selected = resolve_tasks(tasks) if tasks else None
    inputs = [] if isinstance(source, Source) else [source] if isinstance(source, (str, os.PathLike)) else list(source)
    with atomic_dir(out, overwrite=overwrite, owned=is_prepared_dir, what=WHAT,
                    command="prepare", inputs=inputs) as tmp:
        src = open_any(source)
        src.hash_unread = False  # a dump file this build never opens is recorded by its size, not read for a hash
        if selected is None:
            selected = resolve_tasks(None, src)
        if isinstance(src, MultiSource):
            src.assign(selected, task_source)
        elif task_source:
            raise ConfigError("--task-source chooses between several --source values; there is one")
        # A download cut short fails now, before hours of reading up to the cut.
        src.check_whole({s.lower() for t in selected for s in t.subreddits} if src.selects_subreddits else None)
        with cyclic_gc_paused():  # the whole build: load, pair, merge, write (rmbench.prepare.load)
            manifest = _build(src, selected, tmp, progress, default_workers() if workers is None else workers, rule,
                              ray)
        problems = timesplit.date_problems(manifest)
        if strict and problems:  # raised inside atomic_dir, so the half-made output is removed
            raise DataError("--strict: " + "; ".join(problems))
    if ray is not None:
        ray_driver.finish(ray["work"])
    return manifest


def _build(src: Source, tasks: list[RedditTask], tmp: Path, progress: bool, workers: int,
           rule: dict | None = None, ray: dict | None = None) -> dict:
    rule = rule or split_by_rule("hash")
    work = tmp / ".work"
    work.mkdir()
    by_sub: dict[str, list[RedditTask]] = {}
    for t in tasks:
        for s in t.subreddits:
            by_sub.setdefault(s.lower(), []).append(t)
    shards = plan_shards(src, by_sub, workers) if ray is None else None
    engine = None
    with progress_bar(enabled=progress) as bars:
        if ray is not None:
            from rmbench.prepare.ray_driver import run_ray

            stats, counts, store, engine = run_ray(src, by_sub, tasks, work, ray["work"], workers, bars,
                                                   ray["address"], ray["buckets"])
        elif shards is None:
            stats = {t.name.lower(): TaskStats() for t in tasks}
            counts = Counter()  # records read: posts, comments, and those of other subreddits
            store = load_and_pair(src, by_sub, stats, counts, work / "threads.sqlite", bars)
        else:
            stats, counts, store = run_shards(src, by_sub, tasks, shards, workers, work, bars)
        try:
            pairs = store.pair_table()  # held in memory or staged in SQLite (rmbench.prepare.held)
            bars.status("writing splits")
            placed = None
            if rule["rule"] == "source":  # each post the source places keeps the source's split
                placed = src.source_splits(set(by_sub))
                rule["source_posts"], rule["conflicts"] = len(placed), src.split_conflicts
            entries = {}
            for t in tasks:
                name = t.name.lower()
                span: list = []
                splits = write_splits(tmp / name, _split_rows(pairs, name, stats[name], rule, span, placed))
                if rule["rule"] == "time":
                    timesplit.restate(stats[name], splits)
                    rule.setdefault("posts_by_date", {})[name] = timesplit.date_counts(splits, span)
                entries[name] = task_entry(t, splits, stats=stats[name], cross_task_dups=pairs.dup_pairs(name))
            manifest = manifest_document(source=_source_block(src, counts, entries, set(by_sub)),
                                         bad_input=src.report.as_dict(),
                                         tasks=entries)
            manifest["split_by"] = rule
            if engine is not None:
                manifest["engine"] = engine
        finally:
            store.close()
    shutil.rmtree(work)
    write_manifest(tmp, manifest)
    return manifest


def _split_rows(pairs: HeldPairs | PairTable, name: str, stats: TaskStats, rule: dict, span: list | None = None,
                placed: dict[str, str] | None = None) -> dict:
    """Each split file's rows: as paired (hash), or re-routed by post date (time) or by the
    source's own split of each post it places (source: ``placed``)."""
    if rule["rule"] not in ("time", "source"):
        return {sp: pairs.rows(name, sp) for sp in ALL_SPLITS}
    rows_of = lambda sp: pairs.rows(name, sp)  # noqa: E731 - a fresh sorted query per pass
    if rule["rule"] == "source":
        rule.setdefault("placed", {})[name] = timesplit.count_placed(rows_of, placed or {})
        route = timesplit.by_source(placed or {})
    else:
        rule.setdefault("dropped_time_unknown", {})[name] = timesplit.count_unknown(rows_of, stats, span)
        route = timesplit.by_time(rule["cutoff_utc"])
    return {sp: gen() for sp, gen in timesplit.routed_split_rows(rows_of, route).items()}


def files_not_read(src: Source, subreddits: set[str]) -> dict[str, str]:
    """Dump files whose name says a subreddit that no registered task pairs, by path, with why.
    The reader never opens a file named for a subreddit outside the build
    (``DumpSource._selected``): right for a task left out on purpose, but a file named unlike
    the layout (``r_AskAcademia_comments.zst`` reads as the subreddit "r_AskAcademia") would
    otherwise cost a task its comments without a word."""
    from rmbench.sources.dumps import data_suffix

    known = {s.lower() for t in all_tasks().values() if isinstance(t, RedditTask) for s in t.subreddits}
    out: dict[str, str] = {}
    for s in getattr(src, "sources", [src]):
        for f in getattr(s, "dump_files", ()):
            sub = (f.subreddit or "").lower()
            if sub and sub not in subreddits and sub not in known:
                out[str(f.path)] = (f"its name says subreddit {f.subreddit!r}, which no registered task pairs "
                                    f"(a dump is named <Subreddit>_{f.kind}{data_suffix(f.path.name)})."
                                    + did_you_mean(sub, sorted(known), n=1))
    return out


def _source_block(src: Source, counts: Counter, entries: dict, subreddits: set[str]) -> dict:
    block = {"spec": src.spec, "synthetic": bool(src.synthetic), "files": src.files(),
             "records": {"posts": counts["posts"], "comments": counts["comments"],
                         "other_subreddits": {"posts": counts["other_posts"], "comments": counts["other_comments"]}}}
    unread = files_not_read(src, subreddits)
    if unread:
        block["files_not_read"] = unread
    if isinstance(src, MultiSource):  # each source, its files and what it gave (from its tasks' counts)
        block["sources"] = []
        for b in src.blocks():
            mine = [entries[t] for t in b["tasks"] if t in entries]
            b["posts_seen"] = sum(e.get("posts", {}).get("seen", 0) for e in mine)
            b["pairs"] = sum(e.get("pairs", {}).get("kept", 0) for e in mine)
            block["sources"].append(b)
    return block


__all__ = ["covering", "is_prepared_dir", "open_any", "prepare", "resolve_tasks"]
