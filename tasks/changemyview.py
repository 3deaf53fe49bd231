"""r/changemyview: SHP domain; DeltaBot's award notices are not opinions."""

from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import DEFAULT_BOTS, RedditTask, rule


@register
@dataclass(frozen=True)
class ChangeMyView(RedditTask):
    name: str = "changemyview"
    subreddits: tuple[str, ...] = ("changemyview",)
    description: str = "r/changemyview (SHP domain); DeltaBot dropped"
    bot_authors: tuple[str, ...] = rule(DEFAULT_BOTS + ("DeltaBot",), "bot accounts (case-insensitive)")
