"""Every error a user can fix, under one base class, and the one "did you mean" helper.

Commands catch ``RmbenchError`` and print its message without a traceback; anything
else is a bug and keeps its traceback. Each subclass names one kind of problem, so code
that wants to react to one kind (a test, a retry) can still catch it alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class RmbenchError(Exception):
    """A problem the user can fix (bad flag, missing file, unknown name); shown without a traceback."""


class ConfigError(RmbenchError, ValueError):
    """A config file or flag that cannot become a config (unknown key, wrong type)."""


class SourceError(RmbenchError):
    """A source cannot be read at all (truncated or corrupt file, missing path). Always names the file."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


SHOWN_TASKS = 8  # task names an unknown-task error lists; more are an ellipsis


class UnknownTaskError(RmbenchError, KeyError):
    """A task name nobody registered (with suggestions)."""

    def __init__(self, name: str, known: list[str], holder: str | None = None):
        """``holder``: what ``known`` is, when not every registered task (e.g. "the prepared data")."""
        where = (f"{holder} holds {len(known)} task{'s' * (len(known) != 1)}: {', '.join(known[:SHOWN_TASKS])}"
                 + (", …" if len(known) > SHOWN_TASKS else "") if holder else f"`rmbench tasks` lists all {len(known)}")
        super().__init__(f"unknown task {name!r}.{did_you_mean(name.lower(), known, cutoff=0.5)} ({where})")
        self.message = self.args[0]

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class PluginError(RmbenchError):
    """Two tasks claim one name (a plugin and a built-in, or two plugins)."""



class UnknownModelError(RmbenchError, ValueError):
    """A model name that is neither an alias, a local directory nor a loadable hub id."""


class NotPreparedError(RmbenchError, FileNotFoundError):
    """A directory that is not a finished ``rmbench prepare`` output."""


class WorkerDiedError(RmbenchError):
    """A ``prepare --workers`` process ended without a result (killed by a signal, most often
    the out-of-memory killer): the user can retry with fewer workers or more memory."""


class DataError(RmbenchError, ValueError):
    """Data a run cannot use: an empty held-out split, a missing task, an unreadable source."""


class LeakageError(DataError):
    """The held-out task would be trained on, or the delay input would give the label away."""


class OutputExistsError(RmbenchError, FileExistsError):
    """An output path that exists and may not be replaced."""


class OutputBusyError(OutputExistsError):
    """Another rmbench process is writing the same output right now (its lock is held)."""


class OutputWriteError(RmbenchError, OSError):
    """An output cannot be written: disk full, permission denied, read-only file system."""


class LeaderboardError(RmbenchError):
    """A leaderboard problem (missing file, wrong folder, failed check)."""


class SameJudgeError(RmbenchError, ValueError):
    """The agent would be judged by the reward model it was trained against."""


def did_you_mean(name: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6, prefix: str = "",
                 also: Iterable[str] = (), first: Iterable[str] = ()) -> str:
    """`` Did you mean a, b?`` for the closest choices (after ``first``, then ``also``: candidates
    the caller found its own way), at most ``n``; ``""`` when none is close."""
    close = list(first) + difflib.get_close_matches(name, list(choices), n=n, cutoff=cutoff) + list(also)
    close = list(dict.fromkeys(close))[:n]  # ordered, no repeats
    return f" Did you mean {', '.join(prefix + c for c in close)}?" if close else ""
