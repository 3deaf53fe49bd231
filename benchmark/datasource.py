"""Where a run's pairs come from: ``--data DIR|demo|PATH-TO-DUMPS``, prepared once, then loaded.

- a directory with ``manifest.json`` is prepared data, used as it is;
- ``demo`` (or ``demo:seed=1``) and a dump directory are prepared into the cache directory
  (``--cache-dir``, else ``$RMBENCH_CACHE``, else ``./.rmbench-cache``) once (``<cache>/prepared-<key>``) and reused while the cached manifest still matches the
  installed rmbench and task versions; otherwise they are rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
from pathlib import Path

from rmbench import __version__
from rmbench.data import NotPreparedError, load_prepared, read_manifest
from rmbench.registry import all_tasks, get_task

DEFAULT_CACHE = ".rmbench-cache"


class DataError(ValueError):
    """Data a run cannot use: an empty held-out split, a missing task, an unreadable source."""


def cache_key(source: str) -> str:
    """Readable and unique: 'demo' -> 'demo', a path -> '<name>-<hash of its absolute path>'."""
    if source == "demo" or source.startswith("demo:"):
        from rmbench.sources.demo import GENERATOR_VERSION  # a new generator must not reuse old pairs

        return source.replace(":", "-").replace("=", "").replace(",", "-") + f"-g{GENERATOR_VERSION}"
    absolute = str(Path(source).expanduser().resolve())
    return f"{Path(absolute).name}-{hashlib.sha256(absolute.encode()).hexdigest()[:10]}"


def _is_current(manifest: dict) -> bool:
    """The cached build was made by this rmbench with today's task versions."""
    if manifest.get("rmbench_version") != __version__:
        return False
    tasks = all_tasks()
    return all(name in tasks and tasks[name].version == entry.get("version")
               for name, entry in manifest.get("tasks", {}).items())


def resolve_data(source: str, cache_dir: str | Path = "", progress: bool = True) -> Path:
    """The prepared directory for ``source``, preparing it into the cache when needed."""
    path = Path(source).expanduser()
    if (path / "manifest.json").is_file():
        read_manifest(path)  # validates kind
        return path
    if not (source == "demo" or source.startswith("demo:")) and not path.exists():
        raise DataError(f"--data {source!r}: not 'demo', not a prepared directory (no manifest.json) "
                        "and not a folder of Reddit dumps")
    # --cache-dir, else $RMBENCH_CACHE (where the demo corpus generator caches too), else ./.rmbench-cache
    target = Path(cache_dir or os.environ.get("RMBENCH_CACHE") or DEFAULT_CACHE) / f"prepared-{cache_key(source)}"
    if (target / "manifest.json").is_file():
        try:
            if _is_current(read_manifest(target)):
                return target
        except (NotPreparedError, ValueError):
            pass
    from rmbench.prepare import prepare

    prepare(source, target, overwrite=True, progress=progress)
    return target


def available_tasks(data_dir: Path) -> list[str]:
    return sorted(read_manifest(data_dir)["tasks"])


def preferred_later(manifest: dict, task: str) -> bool:
    """Whether the task's pairing rule puts the chosen response after the rejected one."""
    rules = manifest["tasks"].get(task, {}).get("rules", {})
    if "preferred_later" in rules:
        return bool(rules["preferred_later"])
    try:
        return bool(getattr(get_task(task), "preferred_later", False))
    except KeyError:
        return False


@functools.lru_cache(maxsize=16)
def _task_rows(data_dir: str, task: str, mtime_ns: int) -> dict[str, tuple[dict, ...]]:
    # mtime of the manifest is in the key: a rebuilt directory is read again.
    return {split: tuple(ds.to_list()) for split, ds in load_prepared(data_dir, task).items()}


def load_split(data_dir: Path, task: str, split: str, limit: int = 0, seed: int = 0) -> list[dict]:
    """Rows of one split as dicts; ``limit`` draws a seeded sample (sorted back by pair id)."""
    manifest = Path(data_dir).resolve() / "manifest.json"
    rows = list(_task_rows(str(manifest.parent), task, manifest.stat().st_mtime_ns)[split])
    if limit and len(rows) > limit:
        rows = random.Random(f"{seed}:{task}:{split}").sample(rows, limit)
        rows.sort(key=lambda r: r["pair_id"])
    return rows


def sample_across(data_dir: Path, tasks: list[str], split: str, limit: int, seed: int) -> list[dict]:
    """Up to ``limit`` pairs over ``tasks``, an even share each (a small task's unused share goes to the rest)."""
    per_task = {t: load_split(data_dir, t, split) for t in tasks}
    if not limit:
        return [r for t in tasks for r in per_task[t]]
    quota, left, out = {}, limit, []
    for i, t in enumerate(sorted(tasks, key=lambda t: len(per_task[t]))):
        share = left // (len(tasks) - i)
        quota[t] = min(share, len(per_task[t]))
        left -= quota[t]
    for t in tasks:
        rows = per_task[t]
        if quota[t] < len(rows):
            rows = sorted(random.Random(f"{seed}:{t}:{split}").sample(rows, quota[t]), key=lambda r: r["pair_id"])
        out.extend(rows)
    return out


def empty_split_error(manifest: dict, task: str, split: str) -> DataError:
    """Names the task and the rules that dropped the most, from the manifest's counts."""
    entry = manifest["tasks"].get(task, {})
    drops = []
    for stage in ("posts", "comments", "pairs"):
        for reason, n in (entry.get(stage, {}).get("dropped") or {}).items():
            if n:
                drops.append((n, f"{stage}: {reason}={n}"))
    top = ", ".join(d for _, d in sorted(drops, reverse=True)[:6]) or "no drop counts recorded"
    seen = entry.get("posts", {}).get("seen", "?")
    return DataError(f"held-out task {task!r} has no pairs in its {split!r} split "
                     f"({seen} posts seen; what the rules dropped: {top}). "
                     f"Loosen the task's rules or use more data (`rmbench tasks show {task}`).")
