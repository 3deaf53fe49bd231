"""r/askscience: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class Askscience(RedditTask):
    name: str = "askscience"
    subreddits: tuple[str, ...] = ("askscience",)
    description: str = "r/askscience (SHP domain)"
