"""r/AskAcademia: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskAcademia(RedditTask):
    name: str = "askacademia"
    subreddits: tuple[str, ...] = ("AskAcademia",)
    description: str = "r/AskAcademia (SHP domain)"
