"""r/askphilosophy: one of SHP's 18 subreddits, with SHP's default pairing rules."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask


@register
@dataclass(frozen=True)
class Askphilosophy(RedditTask):
    name: str = "askphilosophy"
    subreddits: tuple[str, ...] = ("askphilosophy",)
    description: str = "r/askphilosophy (SHP domain)"
