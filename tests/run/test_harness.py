"""The harness's scorer of a run: a trained model is scored in the run's dtype, as an evaluated one is."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_a_trained_model_is_scored_in_the_model_sections_dtype(tmp_path, tiny_bert_dir, make_pairs, dtype):
    import torch

    from rmbench.model.scoring import RewardScorer
    from rmbench.run.config import RunConfig
    from rmbench.run.harness import kind_scorer

    trained = tiny_bert_dir(tmp_path / "model")
    spec = SimpleNamespace(kind="classifier", max_length=64, input_format="auto", dtype=dtype)  # what resolve_model settled
    scorer = kind_scorer(RunConfig(), spec, trained)
    assert next(scorer.model.parameters()).dtype == getattr(torch, dtype)
    pairs = make_pairs("writingprompts", "test", 12)
    prompts, chosen = [p["prompt"] for p in pairs], [p["chosen"] for p in pairs]
    got = scorer.score(prompts, chosen)
    exact = RewardScorer(str(trained), max_length=64).score(prompts, chosen)  # as saved: float32
    close = max(abs(a - b) for a, b in zip(got, exact))
    # bf16 rounds every weight and activation: near the float32 rewards, never all equal to them
    assert close == 0 if dtype == "float32" else 0 < close < 0.05


def test_a_split_already_scored_by_an_earlier_one_prints_no_progress(tmp_path, tiny_bert_dir, make_pairs, capsys):
    from rmbench.console import set_quiet
    from rmbench.model.scoring import RewardScorer
    from rmbench.run.harness import score_split

    set_quiet(False)
    scorer = RewardScorer(str(tiny_bert_dir(tmp_path / "model")), max_length=64)
    scorer.memo = {}  # as a run's scorer: responses scored once across its splits
    pairs = make_pairs("writingprompts", "test", 12)
    first = score_split(scorer, pairs, False, "writingprompts/heldout_all")
    assert "scoring writingprompts/heldout_all: " in capsys.readouterr().err  # a plain line: stderr is no terminal
    again = score_split(scorer, pairs[:5], False, "writingprompts/test")  # every response scored above
    assert capsys.readouterr().err == ""
    assert again["chosen"] == first["chosen"][:5] and again["rejected"] == first["rejected"][:5]

