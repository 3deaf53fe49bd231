"""Where a run's pairs come from: ``--data DIR|demo|PATH-TO-DUMPS``, prepared once, then loaded.

This is the one explicit "prepare on demand" hop of the harness:

- a directory with ``manifest.json`` is prepared data, used as it is;
- ``demo`` (or ``demo:seed=1``) and a dump directory are prepared into the cache
  (``--cache-dir``, else the cache root of ``rmbench.cache``) once, as
  ``<cache>/prepared-<key>``, and reused while the cached manifest still matches the
  installed rmbench and task versions; otherwise they are rebuilt.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rmbench import __version__
from rmbench.cache import cache_root
from rmbench.errors import DataError, NotPreparedError
from rmbench.prepare.write import MANIFEST
from rmbench.prepared.manifest import Prepared
from rmbench.registry import all_tasks


def is_demo(source: str) -> bool:
    return source == "demo" or source.startswith("demo:")


def cache_key(source: str) -> str:
    """Readable and unique: 'demo' -> 'demo', a path -> '<name>-<hash of its absolute path>'."""
    if is_demo(source):
        from rmbench.sources.demo import GENERATOR_VERSION  # a new generator must not reuse old pairs

        return source.replace(":", "-").replace("=", "").replace(",", "-") + f"-g{GENERATOR_VERSION}"
    absolute = str(Path(source).expanduser().resolve())
    return f"{Path(absolute).name}-{hashlib.sha256(absolute.encode()).hexdigest()[:10]}"


def _is_current(data: Prepared) -> bool:
    """The cached build was made by this rmbench with today's task versions."""
    if data.rmbench_version != __version__:
        return False
    tasks = all_tasks()
    return all(name in tasks and tasks[name].version == data.version(name) for name in data.tasks)


def resolve_data(source: str, cache_dir: str | Path = "", progress: bool = True) -> Path:
    """The prepared directory for ``source``, preparing it into the cache when needed."""
    path = Path(source).expanduser()
    if (path / MANIFEST).is_file():
        Prepared.open(path)  # validates it
        return path
    if not is_demo(source) and not path.exists():
        raise DataError(f"--data {source!r}: not 'demo', not a prepared directory (no manifest.json) "
                        "and not a folder of Reddit dumps")
    target = Path(cache_dir or cache_root()) / f"prepared-{cache_key(source)}"
    if (target / MANIFEST).is_file():
        try:
            if _is_current(Prepared.open(target)):
                return target
        except NotPreparedError:
            pass
    from rmbench.prepare import prepare

    prepare(source, target, overwrite=True, progress=progress)
    return target


__all__ = ["cache_key", "is_demo", "resolve_data"]
