"""r/AskHistorians: SHP domain; strict moderation removes most answers, and that is normal."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import RedditTask, rule


@register
@dataclass(frozen=True)
class AskHistorians(RedditTask):
    name: str = "askhistorians"
    subreddits: tuple[str, ...] = ("AskHistorians",)
    description: str = "r/AskHistorians (SHP domain); most comments are removed by moderators"
    # Mods remove everything below their standard; a high removed share is expected, not a data fault.
    removed_warning_fraction: float = rule(0.9, "warn when more comments than this were deleted/removed")
