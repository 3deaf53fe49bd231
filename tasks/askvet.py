"""r/AskVet: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskVet(RedditTask):
    name: str = "askvet"
    subreddits: tuple[str, ...] = ("AskVet",)
    description: str = "r/AskVet (SHP domain)"
