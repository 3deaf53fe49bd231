"""r/GradSchool: in the shared real dumps; SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class GradSchool(RedditTask):
    name: str = "gradschool"
    subreddits: tuple[str, ...] = ("GradSchool",)
    description: str = "r/GradSchool"
