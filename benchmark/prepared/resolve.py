"""Where a run's pairs come from: ``--data DIR|demo|PATH-TO-DUMPS|hf:ID``, prepared once, then loaded.

This is the one explicit "prepare on demand" hop of the harness:

- a directory with ``manifest.json`` is prepared data, used as it is;
- ``demo`` (or ``demo:seed=1``), a dump directory, local files in a hub dataset's layout and
  ``hf:stanfordnlp/SHP``-style hub ids are prepared into the cache (``--cache-dir``, else
  the cache root of ``rmbench.cache``) once, as ``<cache>/prepared-<key>``, and reused
  while the cached manifest still matches the installed rmbench and task versions *and the
  source's content*, and holds every registered task that reads one of the source's
  subreddits (a plugin installed since is built in); otherwise rebuilt;
- several sources (``--data A --data B``, held in the config as ``A + B``) are prepared
  together into one set (``rmbench.sources.multi``), keyed by all of them.

Content, not the path, decides: the cached build records each input file's size and
modification time (``source-stat.json``) beside the sha256 the manifest holds. A file whose
size and mtime are unchanged is trusted; any other is hashed again and compared with the
manifest; a file added or removed, or a different hash, means the dumps changed and they
are prepared again.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from pathlib import Path

from rmbench import __version__
from rmbench.atomic import add_entries, write_json
from rmbench.cache import cache_root
from rmbench.errors import DataError, NotPreparedError, RmbenchError
from rmbench.prepare.card import CARD
from rmbench.prepare.write import MANIFEST, PREPARE_REVISION
from rmbench.prepared.manifest import Prepared
from rmbench.registry import all_tasks


SEPARATOR = " + "  # several sources in one data.source value (MultiSource.spec writes the same)


def split_sources(source: str) -> list[str]:
    """``"A + B"`` -> ``["A", "B"]``; a path that exists stays one source, ' + ' in its name or not."""
    parts = str(source).split(SEPARATOR)
    out, i = [], 0
    while i < len(parts):  # the longest run of parts from i that names an existing path, else one part
        j = next((j for j in range(len(parts), i + 1, -1)
                  if Path(SEPARATOR.join(parts[i:j]).strip()).expanduser().exists()), i + 1)
        out.append(SEPARATOR.join(parts[i:j]).strip())
        i = j
    return [s for s in out if s]


def join_sources(specs) -> str:
    return SEPARATOR.join(str(s) for s in specs)


def is_demo(source: str) -> bool:
    return source == "demo" or source.startswith("demo:")


def cache_key(source: str) -> str:
    """Readable and unique: 'demo' -> 'demo', a path -> '<name>-<hash of its absolute path>',
    a hub id -> 'hf-<owner>-<name>', several sources -> 'multi-<hash of their keys>'."""
    specs = split_sources(source)
    if len(specs) > 1:
        keys = sorted(cache_key(s) for s in specs)
        return f"multi-{len(specs)}-{hashlib.sha256(' '.join(keys).encode()).hexdigest()[:10]}"
    if source.startswith("hf:"):
        return "hf-" + source[3:].replace("/", "-").lower()
    if is_demo(source):
        from rmbench.sources.demo import GENERATOR_VERSION  # a new generator must not reuse old pairs

        return source.replace(":", "-").replace("=", "").replace(",", "-") + f"-g{GENERATOR_VERSION}"
    absolute = str(Path(source).expanduser().resolve())
    return f"{Path(absolute).name}-{hashlib.sha256(absolute.encode()).hexdigest()[:10]}"


def _is_current(data: Prepared) -> bool:
    """The cached build was made by this rmbench, prepare revision and task versions, and has
    its dataset card (a build from before cards existed is made again, once)."""
    if (data.rmbench_version != __version__ or data.prepare_revision != PREPARE_REVISION
            or not (data.path / CARD).is_file()):
        return False
    tasks = all_tasks()
    return all(name in tasks and tasks[name].version == data.version(name) for name in data.tasks)


STAT_FILE = "source-stat.json"  # in a cached build: size and mtime of each input file when hashed


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _local_files(source: str, src=None) -> dict[str, str]:
    """The manifest's name of each input file -> where it is on this machine (a hub dataset's
    files sit in the hub cache under their repo names); ``src``: ``source`` already opened."""
    from rmbench.prepare.build import open_any

    return {str(k): str(v) for k, v in local_files(src or open_any(split_sources(source))).items()}


def local_files(src) -> dict:
    """name in the manifest -> local path, for any source (several: every child's)."""
    if hasattr(src, "sources"):
        return {k: v for s in src.sources for k, v in local_files(s).items()}
    if hasattr(src, "_paths"):  # a hub layout: the manifest names files by their place in the repo
        return {where: path for path, where in src._paths()}
    return {str(p): p for p in src.paths()}


def record_source(target: Path, data: Prepared, source: str) -> None:
    """Write the sizes and mtimes of the files the cached build at ``target`` was made from."""
    where = _local_files(source)
    write_json(target / STAT_FILE, {p: _stat(where.get(p, p)) for p in data.doc.get("source", {}).get("files", {})})
    add_entries(target, [STAT_FILE])  # ours: a later rebuild may replace it


def same_source(target: Path, data: Prepared, source: str, src=None) -> bool:
    """Whether ``source`` (``src``: opened) still holds exactly the files, with the same
    content, ``data`` was built from."""
    from rmbench.jsonlimits import read_json_file
    from rmbench.sources.lines import sha256_file

    built = data.doc.get("source", {}).get("files", {})
    try:
        where = _local_files(source, src)
        seen = read_json_file(target / STAT_FILE)
    except (RmbenchError, OSError, ValueError):
        return False
    if set(where) != set(built):
        return False
    changed = False
    for name, info in built.items():
        path = where[name]
        st = _stat(path)
        if st is None:
            return False
        if st == seen.get(name):
            continue  # same size and mtime: trusted without reading the file
        if st[0] != info.get("bytes") or info.get("sha256") is None:  # changed, and never hashed: build again
            return False
        if sha256_file(Path(path))[0] != info["sha256"]:
            return False
        changed = True  # touched but identical: remember the new mtime
    if changed:
        record_source(target, data, source)
    return True


def same_tasks(data: Prepared, specs: list[str], src=None) -> bool:
    """Whether ``data`` holds every task prepare would build from the source now: a task
    registered since (a plugin) that reads one of the source's subreddits means build again.
    ``src``: the source opened (None for demo only: its subreddits are known unopened)."""
    from rmbench.prepare.build import covering

    if src is None:
        from rmbench.sources.demo import DemoConfig, corpus_subreddits

        subs = set(corpus_subreddits(DemoConfig())) if all(is_demo(s) for s in specs) else None
    else:
        subs = src.subreddits()
    return {t.name.lower() for t in covering(subs)} <= {t.lower() for t in data.tasks}


def _reusable(target: Path, data: Prepared, specs: list[str]) -> bool:
    """The cached build is this rmbench's, from the same content, with every task now covering it."""
    if not _is_current(data):
        return False
    src = None
    if not all(is_demo(s) for s in specs):
        from rmbench.prepare.build import open_any

        try:
            src = open_any(specs)
        except (RmbenchError, OSError, ValueError):
            return False  # building again says what is wrong
        if not same_source(target, data, join_sources(specs), src):
            return False
    return same_tasks(data, specs, src)


def _same_split(rule: dict, wanted: dict) -> bool:
    return rule.get("rule", "hash") == wanted["rule"] and rule.get("date") == wanted.get("date")


def resolve_data(source: str, cache_dir: str | Path = "", progress: bool = True, split_by: str = "") -> Path:
    """The prepared directory for ``source``, preparing it into the cache when needed, split by
    ``split_by`` (``--split-by``; '' is the hash). A prepared directory keeps the split it was
    built with; naming another one for it is an error, not a silent mismatch."""
    from rmbench.prepare.splits import split_by_rule

    wanted = split_by_rule(split_by or "hash")
    specs = split_sources(source)
    path = Path(source).expanduser()
    if len(specs) == 1 and (path / MANIFEST).is_file():
        data = Prepared.open(path)  # validates it
        if split_by and not _same_split(data.split_by, wanted):
            raise DataError(f"--data {source} was prepared with --split-by {data.split_by.get('rule', 'hash')}, not "
                            f"{split_by}: a prepared folder keeps its split (prepare it again, or drop --split-by)")
        return path
    for spec in specs:
        p = Path(spec).expanduser()
        if len(specs) > 1 and (p / MANIFEST).is_file():
            raise DataError(f"--data {spec}: a prepared directory cannot be combined with other sources; "
                            "give the sources it was prepared from, or use it alone")
        if not is_demo(spec) and not spec.startswith("hf:") and not p.exists():
            raise DataError(f"--data {spec!r}: not 'demo', not a prepared directory (no manifest.json), "
                            "not a hub dataset (hf:ID) and not a folder of Reddit dumps")
    source = join_sources(specs)
    demo_only = all(is_demo(s) for s in specs)
    suffix = "" if wanted["rule"] == "hash" else "-" + "-".join(filter(None, (wanted["rule"], wanted.get("date"))))
    target = Path(cache_dir or cache_root()) / f"prepared-{cache_key(source)}{suffix}"
    if (target / MANIFEST).is_file():
        try:
            data = Prepared.open(target)
            if _same_split(data.split_by, wanted) and _reusable(target, data, specs):
                return target
        except NotPreparedError:
            pass
    from rmbench.atomic import MARKER, read_marker
    from rmbench.prepare import prepare
    from rmbench.prepare.build import is_prepared_dir

    if target.is_dir() and read_marker(target) is None and is_prepared_dir(target):
        # A cache entry from before outputs carried markers: it sits under rmbench's own cache
        # name (prepared-<key>) and holds a prepared manifest, so it is ours to rebuild.
        write_json(target / MARKER, {"command": "prepare", "adopted": "legacy cache entry"})
    try:
        prepare(specs[0] if len(specs) == 1 else specs, target, overwrite=True, progress=progress,
                split_by=split_by or "hash")
    except DataError as e:
        if len(specs) > 1 and "--task-source" in str(e):  # a flag of prepare's, not of run's or evaluate's
            raise DataError(f"{e} (run and evaluate do not take --task-source: prepare the sources once with "
                            f"`rmbench prepare {' '.join('--source ' + shlex.quote(s) for s in specs)} "
                            "--task-source TASK=SOURCE --out DIR` and pass --data DIR)") from None
        raise
    if not demo_only:
        record_source(target, Prepared.open(target), source)
    return target


__all__ = ["cache_key", "is_demo", "join_sources", "record_source", "resolve_data", "same_source", "same_tasks", "split_sources"]
