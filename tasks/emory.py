"""r/Emory: in the shared real dumps; SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class Emory(RedditTask):
    name: str = "emory"
    subreddits: tuple[str, ...] = ("Emory",)
    description: str = "r/Emory"
