"""``prepare``: a source in, the prepared-data directory of docs/formats.md out.

Three passes, each with a progress bar that shows its rate:

1. load: stream the selected tasks' posts into the on-disk thread store
   (``rmbench.store``), then stream their comments, running every comment rule as they
   pass (against the post, looked up through a bounded cache) and storing only the
   comments some task keeps: memory stays flat however big the dump, and the store
   holds a fraction of it;
2. pair: walk the store thread by thread, run the post rules, pair each task's kept
   comments (``rmbench.pairing``) and stage the pairs on disk;
3. write: flag cross-task duplicate responses, write each split sorted by pair id,
   fingerprint it, and write ``manifest.json`` last.

Passes 1 and 2 live in ``rmbench.prepare_stages``; with several CPUs they run once per
subreddit in worker processes (``rmbench.prepare_shards``), with the same output.

Everything happens in ``<out>.tmp-XXXX`` beside ``out``, renamed into place at the end;
on any error the temporary directory is removed and ``out`` is left as it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from rmbench import __version__
from rmbench.pairing import TaskStats, task_warnings
from rmbench.prepare_progress import progress_bar
from rmbench.prepare_shards import default_workers, plan_shards, run_shards
from rmbench.prepare_stages import load_and_pair
from rmbench.registry import all_tasks, get_task
from rmbench.sources.base import Source
from rmbench.splits import ALL_SPLITS, FingerprintBuilder
from rmbench.store import PairTable
from rmbench.task import RedditTask

MANIFEST = "manifest.json"


def resolve_tasks(names: list[str] | None, source: Source | None = None) -> list[RedditTask]:
    """The tasks to build: the names given (unknown -> ``UnknownTaskError``), else every
    registered preference task whose subreddit the source has (all of them when the source
    cannot say which it has)."""
    if names:
        tasks = []
        for name in names:
            task = get_task(name.strip())
            if not isinstance(task, RedditTask):
                raise ValueError(f"task {task.name!r} is a {task.kind} task; prepare builds preference tasks only")
            if task not in tasks:
                tasks.append(task)
        return tasks
    tasks = [t for t in all_tasks().values() if isinstance(t, RedditTask)]
    subs = source.subreddits() if source is not None else None
    if subs is None:
        return tasks
    matched = [t for t in tasks if any(t.matches(s) for s in subs)]
    if not matched:
        raise ValueError(f"no registered task covers the source's subreddits ({', '.join(sorted(subs))}); "
                         "register a task for them (see CONTRIBUTING.md) or pass --tasks")
    return matched


def open_any(source: str | Source) -> Source:
    if isinstance(source, Source):
        return source
    from rmbench.sources import open_source

    return open_source(source)


def prepare(source: str | Source, out_dir: str | Path, tasks: list[str] | None = None,
            overwrite: bool = False, progress: bool = True, workers: int | None = None) -> dict:
    """Build preference pairs for ``tasks`` from ``source`` into ``out_dir``; returns the manifest.

    ``workers``: processes loading and pairing subreddits in parallel (default: the CPU
    count, or ``$RMBENCH_PREPARE_WORKERS``); 1, or a source that cannot read one
    subreddit at a time, runs everything in this process. The output is the same either way.

    Raises ``FileExistsError`` when ``out_dir`` exists and ``overwrite`` is false,
    ``rmbench.registry.UnknownTaskError`` for an unknown task name, and lets a source's
    ``SourceError`` through (after removing the temporary directory).
    """
    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} already exists; pass overwrite=True (--overwrite) to replace it")
    # Named tasks are checked before the source is opened: a typo fails in milliseconds.
    selected = resolve_tasks(tasks) if tasks else None
    src = open_any(source)
    if selected is None:
        selected = resolve_tasks(None, src)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{out.name}.tmp-", dir=out.parent))
    try:
        manifest = _build(src, selected, tmp, progress, default_workers() if workers is None else workers)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _swap_into_place(tmp: Path, out: Path) -> None:
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{out.name}.old-", dir=out.parent))
        old.rmdir()
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def _build(src: Source, tasks: list[RedditTask], tmp: Path, progress: bool, workers: int) -> dict:
    work = tmp / ".work"
    work.mkdir()
    by_sub: dict[str, list[RedditTask]] = {}
    for t in tasks:
        for s in t.subreddits:
            by_sub.setdefault(s.lower(), []).append(t)
    shards = plan_shards(src, by_sub, workers)
    with progress_bar(enabled=progress) as bars:
        if shards is None:
            stats = {t.name.lower(): TaskStats() for t in tasks}
            counts = Counter()  # records read: posts, comments, and those of other subreddits
            store = load_and_pair(src, by_sub, stats, counts, work / "threads.sqlite", bars)
        else:
            stats, counts, store = run_shards(src, by_sub, tasks, shards, workers, work, bars)
        try:
            pairs = PairTable(store.db)
            bars.status("writing splits")
            splits = _write_all(pairs, tasks, tmp)
            manifest = _manifest(src, tasks, stats, splits, pairs, counts)
        finally:
            store.close()
    shutil.rmtree(work)
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


_FALSE = '"cross_task_dup": false'
_TRUE = '"cross_task_dup": true'


def _write_all(pairs: PairTable, tasks: list[RedditTask], tmp: Path) -> dict[str, dict]:
    """Write every task's split files; returns {task: {split: {pairs, posts, fingerprint, cross_task_dups}}}."""
    result: dict[str, dict] = {}
    for t in tasks:
        name = t.name.lower()
        (tmp / name).mkdir()
        result[name] = {}
        for split in ALL_SPLITS:
            fp = FingerprintBuilder()
            n = dups = posts = 0
            prev_post = None
            with open(tmp / name / f"{split}.jsonl", "w", encoding="utf-8", newline="\n") as f:
                for pair_id, line, dup in pairs.rows(name, split):
                    if dup:
                        head, _, tail = line.rpartition(_FALSE)
                        line = head + _TRUE + tail
                        dups += 1
                    f.write(line)
                    f.write("\n")
                    fp.add(pair_id)
                    n += 1
                    # Sorted ids keep each post's pairs adjacent ("p:" is a prefix of all of them).
                    post_id = pair_id.split(":", 1)[0]
                    if post_id != prev_post:
                        posts += 1
                        prev_post = post_id
            result[name][split] = {"pairs": n, "posts": posts, "fingerprint": fp.hexdigest(),
                                   "cross_task_dups": dups}
    return result


def _manifest(src: Source, tasks: list[RedditTask], stats: dict[str, TaskStats], splits: dict,
              pairs: PairTable, counts: Counter) -> dict:
    out_tasks = {}
    for t in tasks:
        name = t.name.lower()
        s = stats[name]
        hard = splits[name]["test_hard"]["pairs"]
        out_tasks[name] = {
            "version": t.version,
            "module": type(t).__module__,
            "kind": t.kind,
            "subreddits": list(t.subreddits),
            "rules": json.loads(json.dumps(t.rules(), default=list)),
            "posts": {"seen": s.posts_seen, "kept": s.posts_kept, "dropped": dict(sorted(s.posts_dropped.items()))},
            "comments": {"seen": s.comments_seen, "kept": s.comments_kept,
                         "dropped": dict(sorted(s.comments_dropped.items())), "orphans": s.orphans,
                         "deleted_or_removed": s.wiped_bodies},
            "pairs": {"candidates": s.candidates, "dropped": dict(sorted(s.pairs_dropped.items())),
                      "capped": s.capped, "kept": s.pairs_kept},
            "splits": {sp: splits[name][sp] for sp in ALL_SPLITS},
            "test_hard": {"pairs": hard, "small": hard < t.hard_min_pairs, "min_pairs": t.hard_min_pairs,
                          "bounds": {"max_length_ratio": t.hard_max_length_ratio,
                                     "max_time_gap_s": t.hard_max_time_gap_s}},
            "cross_task_dups": pairs.dup_pairs(name),
            "warnings": task_warnings(t, s),
        }
    return {
        "kind": "rmbench.prepared",
        "schema_version": 1,
        "rmbench_version": __version__,
        "source": {"spec": src.spec, "synthetic": bool(src.synthetic), "files": src.files(),
                   "records": {"posts": counts["posts"], "comments": counts["comments"],
                               "other_subreddits": {"posts": counts["other_posts"],
                                                    "comments": counts["other_comments"]}}},
        "bad_input": src.report.as_dict(),
        "tasks": out_tasks,
        "fingerprint": manifest_fingerprint(out_tasks),
    }


def manifest_fingerprint(tasks: dict) -> str:
    """sha256 over every task's version and split fingerprints: one id for the whole build."""
    core = {name: {"version": t["version"], "splits": {sp: t["splits"][sp]["fingerprint"] for sp in ALL_SPLITS}}
            for name, t in tasks.items()}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()


__all__ = ["MANIFEST", "manifest_fingerprint", "open_any", "prepare", "resolve_tasks"]
