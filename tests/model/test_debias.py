"""train.debias = poe: the loss with the frozen confound logit, the offsets, and a run that
trains with it, scores the model alone and records what the bias expert was."""

from __future__ import annotations

import math

import pytest
import torch

from rmbench.errors import ConfigError
from rmbench.model.debias import poe_offsets
from rmbench.model.train import bradley_terry_loss


def test_the_bias_shifts_the_logit_and_is_never_trained():
    rc, rr = torch.tensor([2.0, 0.0], requires_grad=True), torch.tensor([1.0, 1.0])
    bias = torch.tensor([-1.0, 1.0])  # the logits become 0 and 0
    assert bradley_terry_loss(rc, rr, bias=bias).item() == pytest.approx(math.log(2), abs=1e-6)
    # a vote the surface already explains (bias +8) hardly moves the reward model; one it
    # gets wrong (bias -8) moves it at full strength: the product of experts at work
    for b, small in ((8.0, True), (-8.0, False)):
        r = torch.tensor([0.0], requires_grad=True)
        bradley_terry_loss(r, torch.tensor([0.0]), bias=torch.tensor([b])).backward()
        assert (abs(r.grad.item()) < 1e-3) == small


def test_offsets_are_the_confound_logit_fitted_on_the_training_pairs(make_pairs):
    from rmbench.eval.confounds import fit_confounds

    train, val = make_pairs("askacademia", "train", 60), make_pairs("askacademia", "validation", 10)
    for r in train[::2]:  # make length tell: every other chosen answer much longer
        r["chosen"] = r["chosen"] + " more words here" * 20
    t, v, info = poe_offsets(train, val, use_delay=False)
    ref = fit_confounds(train, use_delay=False)
    c, r = ref.rewards(val)
    assert v == pytest.approx([a - b for a, b in zip(c, r)])
    assert len(t) == 60 and info["mode"] == "poe" and info["fit_pairs"] == 60
    assert "log_delay_min" not in info["coefficients"] and info["coefficients"]["log_chars"] > 0
    assert sum(x > 0 for x in t[::2]) > 25  # the long chosen answers are explained by the surface


def test_a_poe_run_trains_and_records_its_bias(tmp_path, tiny_bert_dir, make_pairs):
    from rmbench.model.train import fit
    from rmbench.run.config import RunConfig

    cfg = RunConfig()
    cfg.model.name = str(tiny_bert_dir(tmp_path / "tiny"))
    cfg.model.max_length = 32
    cfg.train.epochs, cfg.train.batch_size, cfg.train.debias = 1.0, 8, "poe"
    cfg.train.gradient_accumulation_steps = 1  # 32 pairs / 8 per update: 4 steps
    info = fit(cfg, make_pairs("askacademia", "train", 32), make_pairs("askacademia", "validation", 8),
               tmp_path / "work", tmp_path / "model", progress=False)
    assert info["steps"] == 4 and info["debias"]["mode"] == "poe" and info["debias"]["fit_pairs"] == 32
    assert (tmp_path / "model" / "model.safetensors").is_file()


def test_an_unknown_mode_is_a_config_error():
    from rmbench.run.config import resolve

    assert resolve(flags={"train.debias": "poe"}).train.debias == "poe"
    with pytest.raises(ConfigError, match="train.debias 'poo': one of none, poe"):
        resolve(flags={"train.debias": "poo"})
