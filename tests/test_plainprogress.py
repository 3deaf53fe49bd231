"""Progress in a log: a plain line every tenth of the way (not too often) or every 30 s,
one final line, nothing when disabled; and the console hands it out off a terminal."""

from __future__ import annotations

import io

import pytest

import rmbench.plainprogress as pp
from rmbench import console


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(pp.time, "monotonic", c)
    return c


def test_a_line_each_tenth_when_slow_enough_and_one_final_line(clock):
    out = io.StringIO()
    with pp.PlainProgress("training {task.fields[info]}", unit="steps", stream=out) as p:
        tid = p.add_task("train", total=100, info="")
        for _ in range(100):
            clock.now += pp.MIN_GAP_S  # each step slower than the minimum gap
            p.update(tid, advance=1, info="loss=0.5")
    lines = out.getvalue().splitlines()
    assert len(lines) == 10  # 10%, 20%, ... 90%, then the final 100%
    assert lines[0].startswith("training loss=0.5: 10/100 steps (10%)") and "ETA" in lines[0]
    assert lines[-1].startswith("training loss=0.5: 100/100 steps (100%)") and "ETA" not in lines[-1]


def test_a_fast_loop_prints_only_its_final_line(clock):
    out = io.StringIO()
    with pp.PlainProgress(stream=out) as p:
        tid = p.add_task("scoring x", total=1000)
        for _ in range(1000):
            p.advance(tid, 1)
    assert out.getvalue().splitlines() == ["scoring x: 1,000/1,000 (100%), 0:00:00"]


def test_a_step_that_ends_with_nothing_to_count_says_so_then_not_at_the_end(clock):
    """A dump with no comments: its "loading comments" ends at 0, and its line comes before the
    next step's, not after every other step when the progress stops."""
    out = io.StringIO()
    with pp.PlainProgress(stream=out) as p:
        tid = p.add_task("loading comments", total=None)
        p.update(tid, completed=0, total=0)  # Bars' tick(0, done=True)
        p.update(p.add_task("writing splits", total=1), completed=1)
    assert out.getvalue().splitlines() == ["loading comments: 0, 0:00:00", "writing splits: 1/1 (100%), 0:00:00"]


def test_a_slow_step_still_says_it_is_alive_every_30_s(clock):
    out = io.StringIO()
    p = pp.PlainProgress(stream=out)
    tid = p.add_task("loading", total=None)
    for _ in range(3):
        clock.now += pp.EVERY_S
        p.update(tid, advance=5)
    p.update(tid, completed=20, total=20)
    p.stop()
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["loading: 5, 0:00:30", "loading: 10, 0:01:00", "loading: 15, 0:01:30"]
    assert lines[3] == "loading: 20/20 (100%), 0:01:30" and len(lines) == 4


def test_disabled_prints_nothing(clock):
    out = io.StringIO()
    with pp.PlainProgress(stream=out, disable=True) as p:
        p.update(p.add_task("x", total=2), completed=2)
    assert out.getvalue() == ""


def test_console_gives_plain_progress_off_a_terminal_and_nothing_when_quiet(capsys):
    bar = console.progress("scoring")  # pytest's stderr is not a terminal
    assert isinstance(bar, pp.PlainProgress)
    with bar:
        bar.update(bar.add_task("s", total=3), completed=3)
    assert capsys.readouterr().err == "scoring: 3/3 (100%), 0:00:00\n"
    console.set_quiet(True)
    try:
        with console.progress("scoring") as bar, console.progress_bar() as bars:
            bar.update(bar.add_task("s", total=3), completed=3)
            bars.track("loading", 5)(5, done=True)
        assert capsys.readouterr().err == ""
    finally:
        console.set_quiet(False)
