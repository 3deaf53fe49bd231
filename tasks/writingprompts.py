"""r/WritingPrompts: stories under tagged prompts; the seed talk's own community."""

from dataclasses import dataclass

from rmbench.records import Post
from rmbench.registry import register
from rmbench.task import RedditTask, rule

# [WP] writing prompt, [SP] simple prompt, [EU] established universe, [CW] constrained
# writing, [TT] theme thursday, [PI] prompt inspired, [RF] reality fiction.
# Left out: [OT] off-topic/meta, [MP]/[IP] media and image prompts (the prompt is not text).
STORY_TAGS = ("[WP]", "[SP]", "[EU]", "[CW]", "[TT]", "[PI]", "[RF]")


@register
@dataclass(frozen=True)
class WritingPrompts(RedditTask):
    name: str = "writingprompts"
    subreddits: tuple[str, ...] = ("WritingPrompts",)
    description: str = "r/WritingPrompts: stories under tagged prompts"
    prompt_tags: tuple[str, ...] = rule(STORY_TAGS, "keep only posts whose title starts with one of these tags")
    # Prompts are titles; most have no body, and link posts are rare. Keep posts without a body.
    require_self_post: bool = rule(False, "keep only text posts (is_self), not links")
    min_response_chars: int = rule(500, "shortest story kept, in characters (a few sentences is not a story)")

    def post_drop_reason(self, post: Post) -> str | None:
        title = post.title.lstrip().upper()
        if not any(title.startswith(tag.upper()) for tag in self.prompt_tags):
            return "prompt_untagged"
        return super().post_drop_reason(post)
