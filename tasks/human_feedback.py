"""Human story preferences collected with ``rmbench feedback`` (not built from Reddit dumps).

``rmbench feedback export --dir PAGE --out DATA`` writes this task's pairs in the prepared
format; then ``rmbench run --data DATA --holdout human-feedback`` (or ``load_prepared``)
evaluates a reward model against people's clicks. ``rmbench prepare`` skips it: it is not a
``RedditTask`` and matches no subreddit.
"""

from dataclasses import dataclass
from typing import ClassVar

from rmbench.registry import register
from rmbench.task import HARD_MAX_LENGTH_RATIO, Task, rule


@register
@dataclass(frozen=True)
class HumanFeedback(Task):
    kind: ClassVar[str] = "human_preference"
    name: str = "human-feedback"
    description: str = "people's clicks on the story comparison page (rmbench feedback export)"
    min_votes: int = rule(1, "items with fewer clicks are dropped at export")
    hard_max_length_ratio: float = rule(HARD_MAX_LENGTH_RATIO, "test_hard: longer/shorter story length at most this")

    def summary(self) -> str:
        return "majority click per item; from `rmbench feedback export`"
