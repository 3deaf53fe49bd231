"""r/AskAnthropology: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskAnthropology(RedditTask):
    name: str = "askanthropology"
    subreddits: tuple[str, ...] = ("AskAnthropology",)
    description: str = "r/AskAnthropology (SHP domain)"
