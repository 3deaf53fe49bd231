"""The two record types every source yields, and the bad-input report they share.

Sources differ wildly (Pushshift dumps from 2011 with string timestamps, the 70-field
Arctic Shift schema of 2024, SHP pair rows, WritingPrompts vote rows); everything past
a source sees only ``Post`` and ``Comment``. Unknown values stay ``None`` so that a rule
can tell "not edited" from "we do not know".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rmbench.errors import SourceError  # noqa: F401  (public: sources raise it; plugins may catch it)


@dataclass(slots=True)
class Post:
    id: str  # base36 id without the "t3_" prefix
    subreddit: str  # as written in the data (case kept); tasks match case-insensitively
    title: str
    selftext: str
    created_utc: int | None  # None: unknown (SHP, WritingPrompts_preferences); delays become null
    author: str | None = None
    score: int | None = None
    is_self: bool | None = None
    upvote_ratio: float | None = None
    over_18: bool | None = None
    stickied: bool | None = None
    distinguished: str | None = None
    edited: bool | None = None  # True/False when the data says, None when it does not
    removed_by_category: str | None = None
    num_comments: int | None = None
    synthetic: bool = False  # True for the generated demo corpus: labelled in every output


@dataclass(slots=True)
class Comment:
    id: str  # base36 id without the "t1_" prefix
    post_id: str  # link_id without the "t3_" prefix
    parent_id: str  # with its prefix: "t3_..." for top-level, "t1_..." for a reply
    subreddit: str
    body: str
    created_utc: int
    author: str | None = None
    score: int | None = None  # None: the dump had no score (counted, never guessed)
    edited: bool | None = None
    distinguished: str | None = None
    stickied: bool | None = None
    is_submitter: bool | None = None
    synthetic: bool = False
    # When the score was snapshotted (the dump's retrieved_utc / retrieved_on); None: unknown.
    retrieved_utc: int | None = None

    @property
    def top_level(self) -> bool:
        return self.parent_id.startswith("t3_")


# Reasons whose record (line, row or side) was skipped; every other reason is a repair or a
# note on a record that was kept (``score_string``, ``invalid_utf8``, ``surrogates_replaced``...).
DROP_PREFIXES = ("missing_", "bad_", "duplicate_", "unsupported_", "not_a_")
DROP_REASONS = frozenset({"malformed_json", "blank_line", "not_an_object", "unknown_record", "ragged_row",
                          "dangling_symlink", "labels_disagree"})


def is_drop(reason: str) -> bool:
    """Whether ``reason`` names input that was skipped (not repaired and kept)."""
    return reason in DROP_REASONS or reason.startswith(DROP_PREFIXES)


@dataclass
class BadInputReport:
    """Per-file counts of lines that could not become a record, with where they were.

    Nothing is dropped silently: every skipped or repaired line lands here, and prepare
    copies this report into its manifest and prints it; ``input`` says whether the
    line's record was skipped or repaired and kept (``is_drop``).
    """

    max_examples: int = 5
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    examples: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def add(self, path: str, reason: str, line: int | None = None) -> None:
        self.counts[path][reason] += 1
        seen = self.examples[path][reason]
        if line is not None and len(seen) < self.max_examples:
            seen.append(line)

    def total(self) -> int:
        return sum(n for per_file in self.counts.values() for n in per_file.values())

    def dropped(self) -> int:
        return sum(n for per_file in self.counts.values() for r, n in per_file.items() if is_drop(r))

    def as_dict(self) -> dict:
        return {
            path: {reason: {"count": n, "first_lines": list(self.examples[path][reason]),
                            "input": "skipped" if is_drop(reason) else "kept"}
                   for reason, n in sorted(reasons.items())}
            for path, reasons in sorted(self.counts.items())
        }
