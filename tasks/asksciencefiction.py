"""r/AskScienceFiction: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskScienceFiction(RedditTask):
    name: str = "asksciencefiction"
    subreddits: tuple[str, ...] = ("AskScienceFiction",)
    description: str = "r/AskScienceFiction (SHP domain)"
