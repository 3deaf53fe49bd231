"""Test helpers for the agent tests: a tiny generator on disk and a judge that likes one word."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = "the a dragon knight castle sea ship star robot ghost love dark night sun moon ran fell saw wrote said gold".split()
TARGET = "gold"


def prompts(n: int = 16, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["[WP] " + " ".join(rng.choice(WORDS) for _ in range(5)) for _ in range(n)]


def tiny_generator_dir(path: Path, seed: int = 0) -> Path:
    """A random tiny GPT-2 over WORDS, saved as a standard HF dir (what `agent sft` writes)."""
    from rmbench.agent.tiny import build_tiny

    model, tok = build_tiny([" ".join(WORDS)], seed=seed)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return Path(path)


class WordJudge:
    """A constructed reward: how often a story uses TARGET. Same interface as RewardScorer."""

    def __init__(self, word: str = TARGET):
        self.word = word

    def score(self, prompts: list[str], responses: list[str]) -> list[float]:
        return [float(r.lower().split().count(self.word)) for r in responses]


def word_frequency(samples, word: str = TARGET) -> float:
    words = [w for ss in samples for s in ss for w in s.text.lower().split()]
    return words.count(word) / max(1, len(words))
