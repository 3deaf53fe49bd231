"""r/AskHR: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskHR(RedditTask):
    name: str = "askhr"
    subreddits: tuple[str, ...] = ("AskHR",)
    description: str = "r/AskHR (SHP domain)"
