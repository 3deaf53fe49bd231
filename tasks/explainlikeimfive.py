"""r/explainlikeimfive: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class Explainlikeimfive(RedditTask):
    name: str = "explainlikeimfive"
    subreddits: tuple[str, ...] = ("explainlikeimfive",)
    description: str = "r/explainlikeimfive (SHP domain)"
