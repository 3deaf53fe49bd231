"""How a WritingPrompts prompt is shown to a causal LM, and where the (prompt, story) rows come from.

One layout everywhere (SFT, RL, evaluation, the feedback page) so that the generator, the
agent and the judges see the same text: the raw prompt goes in, the story comes out.
"""

from __future__ import annotations

from dataclasses import dataclass

# A plain-text frame GPT-2 has seen countless times on the web; the story starts after it.
PROMPT_TEMPLATE = "Writing prompt: {prompt}\n\nStory:"


def format_prompt(prompt: str) -> str:
    return PROMPT_TEMPLATE.format(prompt=prompt.strip())


def format_completion(story: str) -> str:
    # The leading space belongs to the story: "Story:" + " Once..." tokenizes as GPT-2 expects.
    return " " + story.strip()


@dataclass(frozen=True)
class StoryRow:
    prompt: str  # the raw prompt (post title and body), unformatted
    story: str
    post_id: str
    story_id: str


def story_rows(pairs, which: str = "chosen") -> tuple[list[StoryRow], dict[str, int]]:
    """(prompt, story) rows from prepared preference pairs, one per distinct story.

    ``which`` is ``"chosen"`` (only stories that won a vote comparison: the better half of
    what people wrote) or ``"all"`` (chosen and rejected). A story in several pairs is kept
    once. Returns the rows and counts of what was skipped, with reasons.
    """
    if which not in ("chosen", "all"):
        raise ValueError(f"which must be 'chosen' or 'all', not {which!r}")
    seen: set[str] = set()
    rows: list[StoryRow] = []
    skipped = {"duplicate_story": 0, "empty_story": 0}
    sides = ("chosen",) if which == "chosen" else ("chosen", "rejected")
    for pair in pairs:
        for side in sides:
            sid = str(pair[f"{side}_id"])
            key = f"{pair['post_id']}:{sid}"
            if key in seen:
                skipped["duplicate_story"] += 1
                continue
            seen.add(key)
            text = (pair[side] or "").strip()
            if not text:
                skipped["empty_story"] += 1
                continue
            rows.append(StoryRow(prompt=pair["prompt"], story=text, post_id=str(pair["post_id"]), story_id=sid))
    return rows, skipped


def distinct_prompts(pairs) -> list[tuple[str, str]]:
    """(post_id, prompt) once per post, in first-seen order."""
    out: dict[str, str] = {}
    for pair in pairs:
        out.setdefault(str(pair["post_id"]), pair["prompt"])
    return list(out.items())
