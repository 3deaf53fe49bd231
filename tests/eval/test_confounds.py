"""baseline:confounds: it finds a planted surface rule, finds nothing where there is none,
scores like any model and round-trips through results.json."""

from __future__ import annotations

import random

import pytest

from rmbench.errors import DataError
from rmbench.eval.confounds import AGE_FEATURES, ConfoundsModel, feature_names, fit_confounds, text_features
from rmbench.eval.metrics import pair_outcomes

WORDS = "the a data paper advisor thesis lab funding review grant".split()


def text(rng, n_words: int, **extra) -> str:
    body = " ".join(rng.choice(WORDS) for _ in range(n_words))
    if extra.get("list"):
        body += "\n\n- one point\n- another point"
    return body


def corpus(n: int, seed: int, rule: str) -> list[dict]:
    """``rule``: 'length' (the longer one is chosen), 'none' (a coin decides)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = text(rng, rng.randint(5, 120)), text(rng, rng.randint(5, 120))
        if rule == "length":
            chosen, rejected = (a, b) if len(a) >= len(b) else (b, a)
        else:
            chosen, rejected = (a, b) if rng.random() < 0.5 else (b, a)
        rows.append({"pair_id": f"p{i}:c:r", "task": "t", "chosen": chosen, "rejected": rejected,
                     "chosen_delay_s": None, "rejected_delay_s": None})
    return rows


def accuracy(model: ConfoundsModel, rows) -> float:
    return float(pair_outcomes(*model.rewards(rows)).mean())


def test_recovers_a_planted_length_rule():
    model = fit_confounds(corpus(600, 0, "length"), use_delay=False, fit_tasks=["t"])
    coef = model.to_dict()["coefficients"]
    assert max(coef, key=lambda k: abs(coef[k])) in ("log_chars", "log_words", "log_chars_sq")
    assert accuracy(model, corpus(400, 1, "length")) > 0.9


def test_scores_chance_on_a_corpus_without_a_rule():
    model = fit_confounds(corpus(600, 2, "none"), use_delay=False)
    assert accuracy(model, corpus(2000, 3, "none")) == pytest.approx(0.5, abs=0.04)


def test_features_read_the_markdown_reddit_writes():
    f = dict(zip(("log_chars", "log_chars_sq", "log_words", "paragraphs", "list_items", "headers", "bold", "links",
                  "quotes", "question_marks", "code_blocks"),
                 text_features("# Title\n\n&gt; quoted\n\n- a\n- b\n\n**bold** see https://x.org ?\n\n```\ncode\n```")))
    assert f["headers"] > 0 and f["quotes"] > 0 and f["list_items"] > 0 and f["bold"] > 0
    assert f["links"] > 0 and f["question_marks"] > 0 and f["code_blocks"] > 0 and f["paragraphs"] > 0


def test_delay_only_where_allowed_and_known():
    rows = [dict(r, chosen_delay_s=60, rejected_delay_s=600) for r in corpus(50, 4, "none")]
    assert "log_delay_min" in feature_names(rows, use_delay=True)
    assert "log_delay_min" not in feature_names(rows, use_delay=False)  # later-but-higher: it leaks the label
    assert "log_delay_min" not in feature_names(corpus(50, 4, "none"), use_delay=True)  # unknown delays
    aged = [dict(r, chosen_score_age_s=86_400, rejected_score_age_s=None) for r in rows]
    assert "log_score_age_h" in feature_names(aged, use_delay=True)


def test_score_age_never_gives_a_later_but_higher_label_away():
    """A dump reads a thread at about one moment, so a later response has a younger score:
    under later-but-higher the age says which side is chosen. It is left out there, as the
    delay is; where the time order is free it is a feature (an immature score is a confound)."""
    rows = corpus(200, 7, "none")
    snapshot = 2_000_000
    aged = [dict(r, chosen_delay_s=7_200, rejected_delay_s=60, chosen_score_age_s=snapshot - 7_200,
                 rejected_score_age_s=snapshot - 60) for r in rows]
    assert not set(AGE_FEATURES) & set(feature_names(aged, use_delay=False))
    model = fit_confounds(aged, use_delay=False, fit_tasks=["t"])
    assert accuracy(model, aged) < 0.7  # the text alone: near a coin flip here (the age would give 100%)
    assert set(AGE_FEATURES) <= set(feature_names(aged, use_delay=True))


def test_round_trips_through_results_json_and_needs_training_pairs():
    model = fit_confounds(corpus(200, 5, "length"), use_delay=False, fit_tasks=["t"])
    again = ConfoundsModel.from_dict(model.to_dict())
    rows = corpus(50, 6, "length")
    assert again.rewards(rows) == model.rewards(rows)
    assert model.library.startswith("scikit-learn ") and model.train_pairs == 200
    with pytest.raises(DataError, match="training pairs"):
        fit_confounds([], use_delay=False)
