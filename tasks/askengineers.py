"""r/AskEngineers: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskEngineers(RedditTask):
    name: str = "askengineers"
    subreddits: tuple[str, ...] = ("AskEngineers",)
    description: str = "r/AskEngineers (SHP domain)"
