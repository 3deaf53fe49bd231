"""r/AskPhysics: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskPhysics(RedditTask):
    name: str = "askphysics"
    subreddits: tuple[str, ...] = ("AskPhysics",)
    description: str = "r/AskPhysics (SHP domain)"
