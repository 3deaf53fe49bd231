"""Progress bars and consoles, one place for their columns.

- ``progress_bar()``: the staged bars of ``prepare`` (``Bars.track`` / ``Bars.status``);
  disabled, they cost one attribute lookup per update;
- ``progress(desc)``: one bar with count, rate, elapsed time and ETA, for any long loop
  (scoring, generation, log-probabilities);
- ``RateColumn``: objects per second since the bar started;
- ``stderr_console()``: where progress and notes go, so stdout stays the result, and
  transformers' own per-file bars and load reports silenced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Objects per second since the bar started (the figure the scale goal is stated in).

    An average, not rich's windowed speed: that one resets when a streaming bar learns its
    total at the end, and would show nothing."""

    def render(self, task) -> Text:
        elapsed = task.finished_time or task.elapsed
        if not elapsed or not task.completed or task.total == 1:
            return Text("")
        return Text(f"{task.completed / elapsed:,.0f}/s", style="progress.data.speed")


class Bars:
    def __init__(self, progress: Progress | None):
        self._p = progress
        self._status = None

    def track(self, label: str, total: int | None) -> Callable[..., None]:
        """A ``tick(n, done=False)`` that sets the count of a new bar."""
        if self._p is None:
            return lambda n, done=False: None
        self._end_status()
        tid = self._p.add_task(label, total=total)

        def tick(n: int, done: bool = False) -> None:
            self._p.update(tid, completed=n, total=n if done else total)

        return tick

    def status(self, label: str) -> None:
        """A one-line step without a count (indexing, writing)."""
        if self._p is None:
            return
        self._end_status()
        self._status = self._p.add_task(label, total=None)

    def _end_status(self) -> None:
        if self._status is not None:
            self._p.update(self._status, total=1, completed=1)
            self._status = None


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Bars]:
    if not enabled:
        yield Bars(None)
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                  RateColumn(), TimeElapsedColumn(), TimeRemainingColumn()) as p:
        bars = Bars(p)
        yield bars
        bars._end_status()


def progress(desc: str, *, console=None, disable: bool = False, transient: bool = False, unit: str = ""):
    """A rich ``Progress`` with one bar's worth of columns: description, bar, n/total, rate, times."""
    columns = [TextColumn(f"[bold]{desc}[/]"), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns += [RateColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(*columns, console=console, disable=disable, transient=transient)


def stderr_console():
    """The console for progress and notes (stderr), with transformers' own bars and reports off."""
    from rich.console import Console
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    return Console(stderr=True)
