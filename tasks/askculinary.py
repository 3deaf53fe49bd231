"""r/AskCulinary: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskCulinary(RedditTask):
    name: str = "askculinary"
    subreddits: tuple[str, ...] = ("AskCulinary",)
    description: str = "r/AskCulinary (SHP domain)"
