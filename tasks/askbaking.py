"""r/AskBaking: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskBaking(RedditTask):
    name: str = "askbaking"
    subreddits: tuple[str, ...] = ("AskBaking",)
    description: str = "r/AskBaking (SHP domain)"
