"""Progress for a log: a plain line on stderr now and then, never a redrawn bar.

``PlainProgress`` answers the part of rich's ``Progress`` that rmbench uses (``add_task``,
``update``, ``advance``, ``start``, ``stop``, ``with``), so a loop reports the same way on
a terminal and in a file. A line is written when a task has gone another tenth of the way
(and ``MIN_GAP_S`` has passed since its last line, so short loops stay quiet) or every
``EVERY_S`` seconds whatever the count (a slow step still shows the job is alive), and one
final line when the task completes or the progress stops.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

EVERY_S = 30.0  # the longest a log stays silent while a task runs
MIN_GAP_S = 2.0  # the shortest gap between two lines of one task (its final line excepted)
STEPS = 10  # a line every tenth of the way


@dataclass
class _Task:
    description: str
    total: float | None
    completed: float = 0
    fields: dict = field(default_factory=dict)
    started: float = 0.0
    last_line: float = 0.0
    last_step: int = 0
    done: bool = False


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class PlainProgress:
    def __init__(self, desc: str = "{task.description}", unit: str = "", disable: bool = False, stream=None):
        self.desc, self.unit, self.disable = desc, unit, disable
        self.stream = stream
        self.tasks: dict[int, _Task] = {}

    # rich's Progress interface ------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        for task in self.tasks.values():
            self._finish(task)

    def add_task(self, description: str, total: float | None = None, completed: float = 0, **fields) -> int:
        tid = len(self.tasks)
        now = time.monotonic()
        self.tasks[tid] = _Task(description, total, completed, fields, started=now, last_line=now)
        return tid

    def advance(self, tid: int, advance: float = 1) -> None:
        self.update(tid, advance=advance)

    def update(self, tid: int, *, completed: float | None = None, total: float | None = None,
               advance: float | None = None, description: str | None = None, **fields) -> None:
        task = self.tasks[tid]
        if total is not None:
            task.total = total
        if description is not None:
            task.description = description
        if completed is not None:
            task.completed = completed
        if advance:
            task.completed += advance
        task.fields.update(fields)
        if self.disable or task.done:
            return
        if task.total is not None and task.completed >= task.total:  # as rich: a total of 0 reached is done too
            self._finish(task)
            return
        now = time.monotonic()
        step = int(STEPS * task.completed / task.total) if task.total else 0
        if (step > task.last_step and now - task.last_line >= MIN_GAP_S) or now - task.last_line >= EVERY_S:
            task.last_step = step
            self._line(task, now)

    # ---------------------------------------------------------------------------------------
    def _finish(self, task: _Task) -> None:
        if task.done:
            return
        task.done = True
        if not self.disable:
            self._line(task, time.monotonic())

    def line(self, task: _Task, now: float | None = None) -> str:
        """``training loss=0.69: 12/24 steps (50%), 0:00:31, ETA 0:00:31``"""
        try:
            label = self.desc.format(task=SimpleNamespace(description=task.description, fields=task.fields))
        except (KeyError, AttributeError, IndexError, ValueError):
            label = task.description
        label = " ".join(label.replace("[bold]", "").replace("[/]", "").split())
        now = time.monotonic() if now is None else now
        elapsed = now - task.started
        count = f"{task.completed:,.0f}" + (f"/{task.total:,.0f}" if task.total else "")
        text = f"{label}: {count}" + (f" {self.unit}" if self.unit else "")
        if task.total:
            text += f" ({100 * min(task.completed / task.total, 1):.0f}%)"
        text += f", {_clock(elapsed)}"
        if task.total and 0 < task.completed < task.total:
            text += f", ETA {_clock(elapsed * (task.total - task.completed) / task.completed)}"
        return text

    def _line(self, task: _Task, now: float) -> None:
        task.last_line = now
        stream = self.stream or sys.stderr
        print(self.line(task, now), file=stream, flush=True)
