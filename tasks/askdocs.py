"""r/AskDocs: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class AskDocs(RedditTask):
    name: str = "askdocs"
    subreddits: tuple[str, ...] = ("AskDocs",)
    description: str = "r/AskDocs (SHP domain)"
