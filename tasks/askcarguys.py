"""r/askcarguys: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class Askcarguys(RedditTask):
    name: str = "askcarguys"
    subreddits: tuple[str, ...] = ("askcarguys",)
    description: str = "r/askcarguys (SHP domain)"
