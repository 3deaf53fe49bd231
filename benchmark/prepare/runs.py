"""Kept comments past the thread store's memory budget: sorted runs on disk, merged back by thread.

An external merge sort. When the rows the store holds pass its budget, they are sorted by
post id (a stable sort: each thread's rows stay in the order added) and written out as one
run, a file of length-prefixed marshal chunks; holding starts again from empty. Reading back merges every
run and the rows still held (``heapq.merge``, which is stable too: for one post id, the
rows of earlier runs come first), so the walk sees each thread's rows in the order they
were added, exactly as when everything fitted in memory.

Why not SQLite, which held them before: a row went in through a bound insert, came back
through an index built after the load, and the read-back walked that index in random
order over the table's pages; on the 4x replicated dump the comments' share of that cost
~0.8 CPU s of 8.7 (BENCHMARKS.md, Prepare). A run is written once and read once, in order,
and memory stays bounded by the budget plus one chunk per run.
"""

from __future__ import annotations

import heapq
import itertools
import marshal
import operator
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from rmbench.prepare.stored import fields
from rmbench.records import Comment

CHUNK_ROWS = 500  # rows per marshal chunk: one chunk per run is in memory while merging
FAN_IN = 16  # runs of one level merged into one of the next (see Runs)
_FIRST = operator.itemgetter(0)  # a row's thread key (post id)


def dump_chunks(f, rows: Iterable[tuple]) -> None:
    """``rows`` into the open file ``f`` as length-prefixed marshal chunks of ``CHUNK_ROWS``."""
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        # Length-prefixed: marshal.load on a file reads object by object (~4x slower).
        blob = marshal.dumps(chunk)
        f.write(len(blob).to_bytes(8, "little"))
        f.write(blob)


def load_chunks(path: Path) -> Iterator[list[tuple]]:
    """The chunks ``dump_chunks`` wrote to ``path``, in order."""
    with open(path, "rb") as f:
        while head := f.read(8):
            yield marshal.loads(f.read(int.from_bytes(head, "little")))


def _portable(r: tuple) -> tuple:
    """A held row as marshal can write it: its ``Comment`` as its fields (an id row's id is
    already plain)."""
    rec = r[1]
    return (r[0], fields(rec), r[2]) if type(rec) is Comment else r


class Runs:
    """The runs of one store: files ``<base>.run<k>`` beside it, removed by ``remove``.

    Runs are kept in the order written, each with a level: ``FAN_IN`` runs of one level at
    the end are merged into one run of the next (they are adjacent, so the merged run keeps
    their place in the order, and merging stays stable). Reading back then merges at most
    ``FAN_IN - 1`` runs per level, so the chunks in memory grow with the log of the input.
    """

    def __init__(self, base: Path):
        self.base = Path(base)
        self.paths: list[Path] = []
        self._levels: list[int] = []
        self._made = 0
        self.rows = 0

    def write(self, rows: list[tuple]) -> None:
        """Sort ``rows`` by post id (stably, in place) and write them as the next run."""
        rows.sort(key=_FIRST)
        self._write(map(_portable, rows), 0)
        self.rows += len(rows)
        while len(self._levels) >= FAN_IN and len(set(self._levels[-FAN_IN:])) == 1:
            level = self._levels[-1]
            group = self.paths[-FAN_IN:]
            del self.paths[-FAN_IN:], self._levels[-FAN_IN:]
            self._write(heapq.merge(*map(self._read, group), key=_FIRST), level + 1)
            for path in group:
                os.unlink(path)

    def _write(self, rows: Iterable[tuple], level: int) -> None:
        path = self.base.with_name(f"{self.base.name}.run{self._made}")
        self._made += 1
        with open(path, "wb") as f:
            self.paths.append(path)  # listed before the first write, so remove() finds a half-written run
            self._levels.append(level)
            dump_chunks(f, rows)

    @staticmethod
    def _read(path: Path) -> Iterator[tuple]:
        for chunk in load_chunks(path):
            yield from chunk

    def merged(self, held: Iterable[tuple]) -> Iterator[tuple]:
        """Every run's rows and then ``held`` (already sorted by post id), merged by post id;
        for one post id, in the order the rows were added."""
        if not self.paths:
            return iter(held)
        return heapq.merge(*map(self._read, self.paths), held, key=_FIRST)

    def remove(self) -> None:
        for p in self.paths:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        self.paths, self._levels, self.rows = [], [], 0
