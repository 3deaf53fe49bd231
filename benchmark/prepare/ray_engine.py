"""``prepare --engine ray``: the same task plugins and rules on a Ray cluster, or on
``ray.init()`` on one machine.

Three stages. The first two are Ray tasks whose output is a folder renamed into place when
complete (a completion marker, as datatrove's), under ``<out>.ray-work`` beside the
output; a killed prepare run again with the same inputs, tasks and options skips every
finished folder:

1. **read**: one task per input file and pass (posts, then comments), through the local
   engine's reader (same normalisation, same bad-input report, the 2 GiB zstd window).
   Records of subreddits not being prepared are counted and dropped; each kept record
   goes to a bucket: its subreddit first, then a hash of its post id (``bucket_of``).
2. **pair**: one task per bucket. Its records, in the order a one-process run reads
   them (read tasks in plan order, records in file order), go through the local engine's
   load-and-pair (``rmbench.prepare.load.load_and_pair``): the same rules and counts, per
   thread. A thread never spans two buckets: a post and its comments share the post id,
   and a comment filed under another subreddit than its post is an orphan either way.
3. **merge** (on the driver): reports and counts summed, the buckets' staged pairs copied
   into one database, and the splits written by the local writer (cross-task dedup,
   sorted by pair id, fingerprints). Pairs are capped per post, so this is the small part.

The exchange between stages is files, not Ray's object store: that is what makes a
crashed run resumable, and on a cluster ``<out>`` (hence the work folder) must be on
storage every node sees. See docs/scale.md.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import zlib
from collections import Counter
from pathlib import Path

from rmbench.atomic import claim_dir
from rmbench.errors import ConfigError, SourceError
from rmbench.prepare.pair import TaskStats
from rmbench.records import BadInputReport
from rmbench.sources.base import Source
from rmbench.sources.dumps import DumpSource

COMMAND = "prepare --engine ray"
BUCKET_BYTES = 256 << 20  # compressed dump bytes per pair bucket, when the file names say the subreddit
_FLUSH = 2_000  # records per pickled batch in a bucket file
_DONE = "result.pkl"


def ray_module():
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install 'rmbench[ray]'") from None
    return ray


def bucket_of(sub: str, post_id: str, buckets: dict[str, int]) -> str:
    """A record's pair bucket: ``<subreddit>.<k>``, k a stable hash (crc32) of its post id."""
    return f"{sub}.{zlib.crc32(post_id.encode('utf-8', 'surrogatepass')) % buckets[sub]}"


# -- the plan --------------------------------------------------------------------------------
def plan(src: Source, by_sub: dict, buckets_per_subreddit: int | None = None) -> dict:
    """Read units (file index and pass, in the order a one-process run reads them), the
    bucket count per subreddit, and the fingerprint of everything the output depends on."""
    subs = set(by_sub)
    units: list[dict] = []
    files: list = []
    if not isinstance(src, DumpSource):  # a hub or combined source: one unit per pass
        units = [{"pass": p, "file": None} for p in ("posts", "comments")]
        files = [[str(p), _stat(p)] for p in src.paths()]
    else:
        for p, kinds in (("posts", ("submissions", "mixed")), ("comments", ("comments", "mixed"))):
            for i, f in enumerate(src.dump_files):
                if f.kind in kinds and (f.subreddit is None or f.subreddit.lower() in subs):
                    units.append({"pass": p, "file": i})
        files = [[str(f.path), _stat(f.path)] for f in src.dump_files]
    if buckets_per_subreddit:
        buckets = {s: int(buckets_per_subreddit) for s in sorted(subs)}
    else:  # by the compressed size of the files named for each subreddit; 1 when names do not say
        size: Counter = Counter()
        for f in getattr(src, "dump_files", ()):
            if f.subreddit is not None:
                size[f.subreddit.lower()] += f.path.stat().st_size
        buckets = {s: max(1, -(-size[s] // BUCKET_BYTES)) for s in sorted(subs)}
    tasks = {s: [[t.name.lower(), t.version, type(t).__module__, type(t).__qualname__,
                  json.loads(json.dumps(t.rules(), default=list))] for t in ts] for s, ts in sorted(by_sub.items())}
    key = {"spec": src.spec, "synthetic": bool(src.synthetic), "files": files, "units": units,
           "buckets": buckets, "tasks": tasks}
    return key


def _stat(path) -> list:
    try:
        st = os.stat(path)
        return [st.st_size, st.st_mtime_ns]
    except OSError:
        return [None, None]


def open_work(path: Path, the_plan: dict, notify) -> int:
    """The work folder for this plan: reused when a run of the same plan left it, else made
    (or replaced, when an earlier run of another plan made it). Returns how many stage
    folders it already holds."""
    with claim_dir(path, command=COMMAND, resume=True, what="ray prepare work folder"):
        plan_file = path / "plan.json"
        old = json.loads(plan_file.read_text(encoding="utf-8")) if plan_file.is_file() else None
        if old is not None and old != json.loads(json.dumps(the_plan)):
            notify(f"{path}: left by a ray prepare of other inputs or options; starting over")
            for p in path.iterdir():
                if p.name in ("read", "pair"):
                    shutil.rmtree(p)
            old = None
        if old is None:
            plan_file.write_text(json.dumps(the_plan) + "\n", encoding="utf-8")
    return sum(1 for d in ("read", "pair") if (path / d).is_dir() for p in (path / d).iterdir() if (p / _DONE).is_file())


# -- stage 1: read ---------------------------------------------------------------------------
def read_unit(src: Source, unit: dict, selected: frozenset, buckets: dict[str, int], out: str) -> dict:
    """One file (or one whole non-dump source) and pass, into per-bucket record files."""
    final, tmp, done = _begin(out)
    if done is not None:
        return done
    src.report, src.unselected = BadInputReport(), Counter()
    if unit["file"] is not None:
        src.only_file(unit["file"])
    posts = unit["pass"] == "posts"
    other = "other_posts" if posts else "other_comments"
    counts: Counter = Counter()
    method = src.iter_posts if posts else src.iter_comments
    low_of: dict[str, str] = {}
    batches: dict[str, list] = {}
    handles: dict[str, object] = {}

    def flush(b: str) -> None:
        fh = handles.get(b) or handles.setdefault(b, open(tmp / f"{b}.pkl", "wb"))
        pickle.dump(batches[b], fh, protocol=pickle.HIGHEST_PROTOCOL)
        batches[b] = []

    try:
        for rec in method(subreddits=set(selected)) if src.selects_subreddits else method():
            low = low_of.get(rec.subreddit)
            if low is None:
                low = low_of[rec.subreddit] = rec.subreddit.lower()
            if low not in selected:
                counts[other] += 1
                continue
            b = bucket_of(low, rec.id if posts else rec.post_id, buckets)
            batch = batches.setdefault(b, [])
            batch.append(rec)
            if len(batch) >= _FLUSH:
                flush(b)
        for b in [b for b, v in batches.items() if v]:
            flush(b)
    except SourceError as e:
        msg = str(e)
        return {"source_error": (e.path, msg[len(e.path) + 2:] if msg.startswith(f"{e.path}: ") else msg)}
    finally:
        for fh in handles.values():
            fh.close()
    counts[other] += src.unselected["posts" if posts else "comments"]
    result = {"counts": counts, "report": ({p: dict(r) for p, r in src.report.counts.items()},
                                           {p: {k: list(v) for k, v in r.items()} for p, r in src.report.examples.items()}),
              "hashes": src.read_hashes() if isinstance(src, DumpSource) else {}, "buckets": sorted(handles)}
    return _finish(tmp, final, result)


def _begin(out: str) -> tuple[Path, Path, dict | None]:
    """(final folder, a fresh ``.partial`` one to fill, the result when a run already finished it)."""
    final = Path(out)
    if (final / _DONE).is_file():
        return final, final, _load(final)
    tmp = final.with_name(final.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)  # a task killed mid-way (a crash, a retry) left it
    tmp.mkdir(parents=True)
    return final, tmp, None


def _finish(tmp: Path, final: Path, result: dict) -> dict:
    with open(tmp / _DONE, "wb") as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)  # the folder appears complete or not at all
    return result


def _load(final: Path) -> dict:
    with open(final / _DONE, "rb") as f:
        return {**pickle.load(f), "reused": True}


# -- stage 2: pair ---------------------------------------------------------------------------
class _BucketSource(Source):
    """One bucket's records, read back from the read stage's files in plan order."""

    def __init__(self, posts: list[Path], comments: list[Path]):
        super().__init__()
        self._files = {"posts": posts, "comments": comments}

    def _records(self, kind: str):
        for path in self._files[kind]:
            with open(path, "rb") as fh:
                while True:
                    try:
                        batch = pickle.load(fh)
                    except EOFError:
                        break
                    yield from batch

    def iter_posts(self, subreddits=None):
        return self._records("posts")

    def iter_comments(self, subreddits=None):
        return self._records("comments")


class _NoBars:
    def track(self, label, total):
        return lambda n, done=False: None

    def status(self, label):
        pass


def pair_bucket(bucket: str, tasks: list, read_dirs: list[tuple[str, str]], out: str) -> dict:
    """One bucket's threads through the local engine's load-and-pair, staged in a SQLite file."""
    from rmbench.prepare.load import load_and_pair

    final, tmp, done = _begin(out)
    if done is not None:
        return done
    files: dict[str, list[Path]] = {"posts": [], "comments": []}
    for kind, d in read_dirs:
        f = Path(d) / f"{bucket}.pkl"
        if f.is_file():
            files[kind].append(f)
    stats = {t.name.lower(): TaskStats() for t in tasks}
    counts: Counter = Counter()
    sub = bucket.rsplit(".", 1)[0]
    store = load_and_pair(_BucketSource(files["posts"], files["comments"]), {sub: tasks}, stats, counts,
                          tmp / "pairs.sqlite", _NoBars())
    store.flush_pairs()  # the driver merges the staged pairs from this bucket's database
    store.close()
    return _finish(tmp, final, {"stats": stats, "counts": counts})


__all__ = ["BUCKET_BYTES", "COMMAND", "bucket_of", "open_work", "pair_bucket", "plan", "ray_module", "read_unit"]
