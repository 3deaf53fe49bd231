"""r/CollegeMajors: in the shared real dumps; SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class CollegeMajors(RedditTask):
    name: str = "collegemajors"
    subreddits: tuple[str, ...] = ("CollegeMajors",)
    description: str = "r/CollegeMajors"
