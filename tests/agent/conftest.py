"""Builders for the agent tests: a tiny generator on disk and a judge that likes one word.

As in tests/conftest.py, each builder is a fixture that returns the builder function
(``word_judge`` returns the judge class, ``target_word`` the word it likes).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

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


@pytest.fixture(name="prompts", scope="session")
def _prompts_fixture():
    """``prompts(n=16, seed=0) -> ["[WP] ...", ...]`` over the generator's words."""
    return prompts


@pytest.fixture(name="tiny_generator_dir", scope="session")
def _tiny_generator_dir_fixture():
    """``tiny_generator_dir(path, seed=0) -> path``: a random tiny GPT-2 saved in the hub's layout."""
    return tiny_generator_dir


@pytest.fixture(name="word_judge", scope="session")
def _word_judge_fixture():
    """``word_judge(word=target_word)``: the class of a judge that rewards one word."""
    return WordJudge


@pytest.fixture(name="word_frequency", scope="session")
def _word_frequency_fixture():
    """``word_frequency(samples, word=target_word) -> float``: the word's share of all sampled words."""
    return word_frequency


@pytest.fixture(scope="session")
def target_word() -> str:
    """The word ``word_judge`` rewards by default."""
    return TARGET
