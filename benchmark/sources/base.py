"""The interface every source implements. Everything downstream sees only this."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from rmbench.records import BadInputReport, Comment, Post


class Source:
    """A stream of posts and comments. Neither iterator may hold a whole dump in memory.

    ``iter_posts`` and ``iter_comments`` may each be called once per prepare; either may
    raise ``SourceError`` (naming the file) on a truncated or corrupt file. Lines that
    cannot become a record are counted in ``report``, never silently skipped.
    ``subreddits``: lower-case names; a source may skip other subreddits' files unread, and
    counts in ``unselected`` the other subreddits' records it read and passed over.

    Capabilities are declared, not guessed: ``selects_subreddits`` says that both
    iterators honour ``subreddits=`` (prepare then asks only for the subreddits it needs
    and may read one subreddit per worker process); a source that leaves it False is
    called without it and filtered by prepare.
    """

    spec: str = ""  # what the user typed: "demo", "hf:stanfordnlp/SHP", a path
    synthetic: bool = False
    selects_subreddits: bool = False

    def __init__(self) -> None:
        self.report = BadInputReport()
        # Records of subreddits not asked for that a reader passed over (never silently):
        # {"posts": n, "comments": m}; prepare adds them to its "other subreddits" counts.
        self.unselected: Counter = Counter()
        # Parallel prepare: subreddits another worker owns (skipped here, uncounted), and
        # whether this reader counts unselected records (one worker does, when all read everything).
        self.others: frozenset[str] = frozenset()
        self.count_unselected = True
        self.split_conflicts = 0  # source_splits(): posts the source's files place in two splits

    def iter_posts(self, subreddits: set[str] | None = None) -> Iterator[Post]:
        raise NotImplementedError

    def iter_comments(self, subreddits: set[str] | None = None) -> Iterator[Comment]:
        raise NotImplementedError

    def files(self) -> dict[str, dict]:
        """Input files with their sha256 and size, for the manifest's provenance."""
        return {}

    def paths(self) -> list:
        """The input files (the keys of ``files()``), listed without reading them."""
        return []

    def subreddits(self) -> set[str] | None:
        """Subreddits present, when cheap to know (from file names); None otherwise."""
        return None

    def source_splits(self, subreddits: set[str] | None = None) -> dict[str, str]:
        """Post id -> ``train``/``validation``/``test``: the split the dataset itself publishes
        for each post of ``subreddits`` it places (``prepare --split-by source``); a source
        without published splits places none; a post placed in two is left out (``split_conflicts``)."""
        return {}

    def check_whole(self, subreddits: set[str] | None = None) -> None:
        """Raise ``SourceError`` now for an input that reading would find cut short at its end
        (prepare calls this before reading anything); a source that cannot tell cheaply says nothing."""
