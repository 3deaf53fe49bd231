"""Several sources in one prepared set: ``prepare --source A --source B``.

SHP's 18 subreddits held in and r/WritingPrompts held out come from two hub datasets (or
dump folders beside them), and one manifest must say where every task came from. A
``MultiSource`` is one ``Source`` over several, so pairing, splitting, parallel workers and
the manifest work unchanged.

Who serves what is decided before anything is read: each source says which subreddits it
holds (``subreddits()``; a hub dataset from its file names, downloading them if it must),
and each selected task's subreddits are assigned to the one source that has them. A task
two sources hold is an error naming both, unless ``--task-source TASK=SOURCE`` names the
one to use; the other source's records of that subreddit are then passed over (skipped
unread where its files say whose they are, else counted in ``unselected``), and the
manifest's entry for that source names them under ``passed_over``: never silently. A source that holds none of the selected tasks is an
error too: it was named for a reason.

The state prepare and its workers set on a source (the bad-input report, the counters of
passed-over records, the parallel routing) is shared with every child source, so counts
land in one place whichever child read the line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from rmbench.errors import ConfigError, DataError
from rmbench.records import Comment, Post
from rmbench.sources.base import Source

# What prepare (and a worker process) sets on the source it reads: handed to every child.
_SHARED = ("report", "unselected", "others", "count_unselected", "spill_dir", "inject_dir", "hash_unread")


def parse_task_sources(pairs: Sequence[str]) -> dict[str, str]:
    """``["wp=hf:x", ...]`` -> {task: source spec}; a malformed pair is a ConfigError."""
    out = {}
    for p in pairs:
        task, sep, spec = p.partition("=")
        if not sep or not task.strip() or not spec.strip():
            raise ConfigError(f"--task-source {p!r}: expected TASK=SOURCE, e.g. writingprompts=hf:{_WP}")
        out[task.strip().lower()] = spec.strip()
    return out


_WP = "euclaise/WritingPrompts_preferences"


def known_subreddits(src: Source) -> set[str]:
    """Lower-case subreddits a source holds; a hub dataset lists its files (downloading them
    once, which reading needs anyway)."""
    subs = src.subreddits()
    if subs is None and hasattr(src, "_paths"):
        from rmbench.sources.hub_rows import subreddit_of_domain

        subs = {subreddit_of_domain(p.parent.name) for p, _ in src._paths()}
    if subs is None:
        raise DataError(f"source {src.spec!r} cannot say which subreddits it holds, so it cannot be combined "
                        "with other sources; prepare it on its own")
    return {s.lower() for s in subs}


class MultiSource(Source):
    """Posts and comments of several sources, each subreddit read from the one that serves it."""

    def __init__(self, sources: list[Source]):
        object.__setattr__(self, "sources", sources)
        super().__init__()
        self.spec = " + ".join(s.spec for s in sources)
        self.synthetic = any(s.synthetic for s in sources)
        self.selects_subreddits = all(s.selects_subreddits for s in sources)
        self.held = [known_subreddits(s) for s in sources]
        self.owner: dict[str, int] = {}  # subreddit -> index of the source that serves it
        self.served: list[list[str]] = [[] for _ in sources]  # task names per source, for the manifest

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name in _SHARED:
            for s in self.sources:
                setattr(s, name, value)

    # -- who serves what -------------------------------------------------------------------
    def assign(self, tasks: list, task_source: dict[str, str] | None = None) -> None:
        """Give each task's subreddits to one source (see the module docstring)."""
        task_source = dict(task_source or {})
        specs = [s.spec for s in self.sources]
        unknown = {t: spec for t, spec in task_source.items() if spec not in specs}
        if unknown:
            t, spec = next(iter(unknown.items()))
            raise ConfigError(f"--task-source {t}={spec}: {spec!r} is not one of the --source values "
                              f"({', '.join(specs)})")
        named = {t.name.lower() for t in tasks}
        stray = sorted(set(task_source) - named)
        if stray:
            raise ConfigError(f"--task-source names {', '.join(stray)}, which is not being prepared "
                              f"(tasks: {', '.join(sorted(named))})")
        for t in tasks:
            name = t.name.lower()
            subs = [s.lower() for s in t.subreddits]
            shown = ", r/".join(t.subreddits)
            have = [i for i, held in enumerate(self.held) if any(s in held for s in subs)]
            if name in task_source:
                i = specs.index(task_source[name])
                if i not in have:
                    raise DataError(f"--task-source {name}={specs[i]}: that source holds no r/{shown}")
            elif len(have) > 1:
                raise DataError(f"task {name!r} (r/{shown}) is in two sources: "
                                f"{' and '.join(repr(specs[i]) for i in have)}. Say which serves it with "
                                f"--task-source {name}=SOURCE")
            elif not have:
                continue  # no source has it: prepare reports the task as empty, as for one source
            else:
                i = have[0]
            for s in subs:
                self.owner[s] = i
            self.served[i].append(name)
        idle = [specs[i] for i, names in enumerate(self.served) if not names]
        if idle:
            raise DataError(f"--source {', '.join(idle)} holds none of the tasks being prepared "
                            f"({', '.join(sorted(named))}); drop it or pass --tasks")

    # -- reading ---------------------------------------------------------------------------
    def _mine(self, i: int, subreddits: set[str] | None) -> set[str]:
        return {s for s, o in self.owner.items() if o == i and (subreddits is None or s in subreddits)}

    def _readers(self, subreddits: set[str] | None) -> Iterator[tuple[Source, set[str]]]:
        """Each source that serves some of ``subreddits``, with those it serves."""
        for i, src in enumerate(self.sources):
            mine = self._mine(i, subreddits)
            if mine:
                yield src, mine

    def _records(self, kind: str, subreddits: set[str] | None) -> Iterator:
        for src, mine in self._readers(subreddits):
            it = getattr(src, f"iter_{kind}")
            records = it(mine) if src.selects_subreddits else it()
            for r in records:
                low = r.subreddit.lower()
                if low in mine:
                    yield r
                elif low not in self.others and self.count_unselected:
                    self.unselected[kind] += 1  # another source serves it, or nobody asked for it

    def iter_posts(self, subreddits: set[str] | None = None) -> Iterator[Post]:
        yield from self._records("posts", subreddits)

    def iter_comments(self, subreddits: set[str] | None = None) -> Iterator[Comment]:
        yield from self._records("comments", subreddits)

    # -- what is here ----------------------------------------------------------------------
    def subreddits(self) -> set[str] | None:
        return set(self.owner) if self.owner else set().union(*self.held)

    def files(self) -> dict[str, dict]:
        out = {}
        for s in self.sources:
            out.update(s.files())
        return out

    def paths(self) -> list:
        return [p for s in self.sources for p in s.paths()]

    def source_splits(self, subreddits: set[str] | None = None) -> dict[str, str]:
        out: dict[str, str] = {}  # each source places only the posts of the subreddits it serves
        for src, mine in self._readers(subreddits):
            out.update(src.source_splits(mine))
        self.split_conflicts = sum(s.split_conflicts for s in self.sources)
        return out

    def check_whole(self, subreddits: set[str] | None = None) -> None:
        for src, mine in self._readers(subreddits):  # what _records will ask each source for
            src.check_whole(mine if src.selects_subreddits else None)

    def progress_total(self, subreddits: set[str] | None = None) -> int:
        total = 0
        for i, s in enumerate(self.sources):
            size = getattr(s, "progress_total", None)
            mine = self._mine(i, subreddits)
            if callable(size) and mine:
                total += size(mine)
        return total

    def blocks(self) -> list[dict]:
        """One manifest entry per source: what it is, its files, the tasks it served."""
        specs = [s.spec for s in self.sources]
        return [{"spec": s.spec, "synthetic": bool(s.synthetic), "files": s.files(), "tasks": sorted(self.served[i]),
                 # subreddits this source holds that another one served (--task-source): not read from it
                 "passed_over": {sub: specs[o] for sub, o in sorted(self.owner.items()) if o != i and sub in self.held[i]}}
                for i, s in enumerate(self.sources)]


def _identity(spec: str) -> str:
    """What a spec reads: a local path by where it resolves, so ``d`` and ``./d/`` are one source."""
    if spec == "demo" or spec.startswith("demo:"):
        return spec
    if spec.startswith("hf:"):
        return spec.lower()  # hub ids are case-insensitive (rmbench.sources.hub.HUB_IDS)
    return str(Path(spec).expanduser().resolve())


def combine(specs: Sequence[str]) -> Source:
    """One source for the specs given; several become a ``MultiSource`` (a repeated spec is an error)."""
    from rmbench.sources import open_source

    seen = [s.strip() for s in specs]
    ids = [_identity(s) for s in seen]
    for i, key in enumerate(ids):
        first = ids.index(key)
        if first < i:
            same = "" if seen[first] == seen[i] else f" (as {seen[first]!r} and {seen[i]!r}: the same path)"
            raise ConfigError(f"--source {seen[i]} is given twice{same}; give it once")
    sources = [open_source(s) for s in seen]
    return sources[0] if len(sources) == 1 else MultiSource(sources)


__all__ = ["MultiSource", "combine", "known_subreddits", "parse_task_sources"]
