"""Fixtures shared by the model tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dpo_models(tmp_path_factory, tiny_llama_lm_dir):
    """(policy, reference, tokenizer): two tiny Llama-style LMs drawn from different seeds."""
    from rmbench.model.load import load_causal_lm

    root = tmp_path_factory.mktemp("dpo")
    policy, tok = load_causal_lm(str(tiny_llama_lm_dir(root / "policy", seed=0)))
    reference, _ = load_causal_lm(str(tiny_llama_lm_dir(root / "reference", seed=1)))
    return policy, reference, tok
