"""r/legaladvice: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class Legaladvice(RedditTask):
    name: str = "legaladvice"
    subreddits: tuple[str, ...] = ("legaladvice",)
    description: str = "r/legaladvice (SHP domain)"
