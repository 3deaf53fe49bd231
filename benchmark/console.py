"""Progress bars and consoles, one place for their columns and their stream.

Progress, notes and warnings go to stderr; stdout is the result. A bar is drawn only
when stderr is a terminal: in a log (a file, a pipe, CI, SLURM) the same progress is a
plain line every tenth of the way or every 30 s (``rmbench.plainprogress``), so a long job
shows it is alive without a single redraw frame. ``--quiet`` (``set_quiet``) turns both
off; ``NO_COLOR`` is honoured by rich itself.

- ``progress_bar()``: the staged bars of ``prepare`` (``Bars.track`` / ``Bars.status``);
  disabled, they cost one attribute lookup per update;
- ``progress(desc)``: one bar with count, rate, elapsed time and ETA, for any long loop
  (scoring, generation, log-probabilities, training);
- ``RateColumn``: objects per second since the bar started;
- ``stderr_console()``: where progress and notes go, with transformers' own per-file bars
  and load reports silenced.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# rich is imported where a bar is drawn, not here: ``prepare(progress=False)`` and ``--quiet``
# runs never draw one, and importing rich.progress costs ~30 ms of CPU per process.


@functools.cache
def _rate_column_class():
    from rich.progress import ProgressColumn
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

    return RateColumn


def __getattr__(name: str):
    if name == "RateColumn":
        return _rate_column_class()
    raise AttributeError(name)


class Bars:
    def __init__(self, progress):  # a rich Progress, a PlainProgress, or None (no bars)
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


_QUIET = False


def set_quiet(quiet: bool = True) -> None:
    """``--quiet``: no progress (bars or plain lines) from here on, in every stage."""
    global _QUIET
    _QUIET = bool(quiet)


def quiet() -> bool:
    return _QUIET


def bars_on_terminal() -> bool:
    """Draw bars only where they can redraw in place: stderr is a terminal."""
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Bars]:
    if not enabled or _QUIET:
        yield Bars(None)
        return
    if not bars_on_terminal():
        from rmbench.plainprogress import PlainProgress

        with PlainProgress("{task.description}") as p:
            bars = Bars(p)
            yield bars
            bars._end_status()
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    with Progress(SpinnerColumn(), TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                  _rate_column_class()(), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=stderr_console(quiet_hf=False)) as p:
        bars = Bars(p)
        yield bars
        bars._end_status()


def progress(desc: str, *, console=None, disable: bool = False, transient: bool = False, unit: str = ""):
    """One bar's worth of columns: description, bar, n/total, rate, times. Off a terminal, the
    plain periodic line; disabled or ``--quiet``, nothing."""
    if disable or _QUIET or not bars_on_terminal():
        from rmbench.plainprogress import PlainProgress

        return PlainProgress(desc, unit=unit, disable=disable or _QUIET)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = [TextColumn(f"[bold]{desc}[/]"), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns += [_rate_column_class()(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(*columns, console=console or stderr_console(quiet_hf=False), transient=transient)


def stderr_console(quiet_hf: bool = True):
    """The console for progress and notes (stderr), with transformers' own bars and reports off.

    Off a terminal its width is unlimited: a note in a log is one line, never cut mid-word."""
    from rich.console import Console

    if quiet_hf:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    if bars_on_terminal():
        return Console(stderr=True)
    return Console(stderr=True, width=1_000_000, soft_wrap=True)


def quiet_option(f=None, *, expose: bool = True):
    """``--quiet``: the same flag on every command that reports progress (``expose=False``:
    the command needs no argument for it; the switch is global)."""
    import click

    if f is None:
        return lambda g: quiet_option(g, expose=expose)

    def remember(ctx, param, value):
        if value:
            set_quiet(True)
        return value

    return click.option("--quiet", "-q", is_flag=True, callback=remember, expose_value=expose,
                        help="No progress on stderr (bars or log lines); results, warnings and errors still print.")(f)
