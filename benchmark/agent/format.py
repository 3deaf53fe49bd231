"""How a WritingPrompts prompt is shown to a causal LM, and where the (prompt, story) rows come from.

One layout everywhere (SFT, RL, evaluation, the feedback page) so that the generator, the
agent and the judges see the same text: the raw prompt goes in, the story comes out. A model
with a chat template (smollm2, any instruct model) gets the prompt as a user turn and writes
the story as its assistant turn, ending it with its end-of-turn token (its EOS); a model
without one (the tiny test model, GPT-2) gets a plain-text frame.
"""

from __future__ import annotations

from dataclasses import dataclass

# A plain-text frame GPT-2 has seen countless times on the web; the story starts after it.
PROMPT_TEMPLATE = "Writing prompt: {prompt}\n\nStory:"


# The user turn for chat models, chosen so that smollm2 ends most stories at end of turn within
# the task's max_new_tokens. Measured on 24 demo prompts (2026-12-04, up to 192 new tokens):
# "Write a short story, at most 100 words, ..." gave 151 tokens a story on average and cut 67%
# at 128 tokens (46% even at 192); "at most 60 words" still cut 33%; this wording gave 72 tokens
# on average and cut 12.5% at 128, 160 and 192 alike (the few that never end run on at any
# length); on 24 train prompts 81 tokens, cut 12.5% / 8% / 4% at 128 / 160 / 192. The chain's
# evaluations (150 generator stories over 25 prompts) then cut 20-27% at 128 and 11% at 192:
# 48 stories had been too few to measure it. A longer limit costs the stories that run on (and
# TRL's batches in RL, which decode until their longest story stops); with both cores the whole
# chain still fits its ~30 minutes, so the task asks for 192 (BENCHMARKS.md, the agent on smollm2).
CHAT_REQUEST = "Write a very short story of about {words} words for this writing prompt.\n\n{prompt}"
STORY_WORDS = 100


def has_chat_template(tok) -> bool:
    return bool(tok is not None and getattr(tok, "chat_template", None))


def format_prompt(prompt: str, tok=None) -> str:
    """The text the model continues: the chat template's assistant turn opening when ``tok``
    has a template, else the plain frame."""
    if has_chat_template(tok):
        msg = CHAT_REQUEST.format(words=STORY_WORDS, prompt=prompt.strip())
        return tok.apply_chat_template([{"role": "user", "content": msg}], tokenize=False, add_generation_prompt=True)
    return PROMPT_TEMPLATE.format(prompt=prompt.strip())


def end_of_turn_id(tok) -> int | None:
    """The token a chat template closes an assistant turn with (smollm2: ``<|im_end|>``, its
    EOS; other templates: an ``<|end|>`` that is not their EOS), so generation stops there."""
    if not has_chat_template(tok):
        return None
    mark = "\u2063story\u2063"  # invisible separators: text no template adds by itself
    text = tok.apply_chat_template([{"role": "user", "content": "x"}, {"role": "assistant", "content": mark}],
                                   tokenize=False)
    after = text.split(mark, 1)[1] if mark in text else ""
    ids = tok(after, add_special_tokens=False)["input_ids"] if after else []
    return ids[0] if ids and ids[0] in tok.all_special_ids else None


def format_completion(story: str, tok=None) -> str:
    # The assistant turn starts on a fresh line; the trainer appends the EOS (end of turn).
    if has_chat_template(tok):
        return story.strip()
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
