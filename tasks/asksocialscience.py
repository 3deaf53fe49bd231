"""r/AskSocialScience: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskSocialScience(RedditTask):
    name: str = "asksocialscience"
    subreddits: tuple[str, ...] = ("AskSocialScience",)
    description: str = "r/AskSocialScience (SHP domain)"
