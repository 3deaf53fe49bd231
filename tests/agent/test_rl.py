"""The pairwise RL update moves the policy toward the judge's preference while KL stays bounded."""

from __future__ import annotations

import math

import pytest

from rmbench.agent.generate import GenerationConfig, load_causal_lm, sample, sequence_logprobs
from rmbench.agent.rl import PairwisePreference, RLSettings, sigmoid, train_agent


def test_pairwise_preference_is_sigmoid_of_reward_difference(word_judge):
    reward = PairwisePreference(word_judge("gold"))
    out = reward(prompts=["p", "p", "q", "q"], completions=["gold gold", "sea", "sun", "sun"])
    assert out[0] == pytest.approx(sigmoid(2.0)) and out[1] == pytest.approx(1 - sigmoid(2.0))
    assert out[2] == out[3] == pytest.approx(0.5)


def test_pairwise_preference_refuses_unpaired_completions(word_judge):
    reward = PairwisePreference(word_judge())
    with pytest.raises(ValueError, match="same prompt"):
        reward(prompts=["p", "q"], completions=["a", "b"])
    with pytest.raises(ValueError, match="pairs"):
        reward(prompts=["p"], completions=["a"])


def test_rl_raises_judged_token_frequency_with_bounded_kl(tmp_path, tiny_generator_dir, prompts, word_judge,
                                                          word_frequency, target_word):
    gen_dir = tiny_generator_dir(tmp_path / "gen")
    ps = prompts(16)
    cfg = GenerationConfig(max_new_tokens=12, batch_size=32)
    settings = RLSettings(steps=40, prompts_per_step=4, beta=0.05, learning_rate=5e-3, max_new_tokens=12,
                          logging_steps=10, seed=0)
    card = train_agent(str(gen_dir), word_judge(target_word), ps, str(tmp_path / "agent"), settings, {"kind": "word_judge"})

    gen, gtok = load_causal_lm(str(gen_dir), "cpu")
    agent, atok = load_causal_lm(str(tmp_path / "agent"), "cpu")
    before = word_frequency(sample(gen, gtok, ps, cfg, n=4, seed=1), target_word)
    after_samples = sample(agent, atok, ps, cfg, n=4, seed=1)
    after = word_frequency(after_samples, target_word)
    # KL(agent || generator) per token, estimated on the agent's own samples.
    flat = [p for p, ss in zip(ps, after_samples) for _ in ss]
    ids = [s.token_ids for ss in after_samples for s in ss]
    kl = [a - b for a, b in zip(sequence_logprobs(agent, atok, flat, ids), sequence_logprobs(gen, gtok, flat, ids))]
    kl_per_token = sum(kl) / sum(len(i) for i in ids)
    print(f"{target_word!r} frequency {before:.3f} -> {after:.3f}; KL/token {kl_per_token:.3f}; "
          f"judge reward {card['evaluator_reward']}; log {card['log']}")

    assert after > 3 * before and after > 0.1, (before, after)
    # Bounded: far below log(vocab) per token, the KL of a policy that collapsed onto one word.
    assert math.isfinite(kl_per_token) and kl_per_token < 0.5 * math.log(len(atok))
    assert card["trainer"] == "trl.RLOOTrainer" and card["log"][-1]["kl"] < 1.0
    assert card["evaluator_reward"]["last_tenth"] > card["evaluator_reward"]["first_tenth"]
    assert (tmp_path / "agent" / "config.json").is_file() and not list(tmp_path.glob("agent.tmp-*"))


def test_sampling_runs_outside_accelerates_bf16_autocast(tmp_path, tiny_generator_dir):
    """accelerate wraps a bf16 model's forward in autocast; fp32_sampling samples through the
    plain forward and puts the wrapper back for the loss."""
    import torch
    from accelerate import Accelerator

    from rmbench.agent.rl import fp32_sampling

    model, tok = load_causal_lm(str(tiny_generator_dir(tmp_path / "g")), "cpu")
    accelerator = Accelerator(mixed_precision="bf16", cpu=True)
    model = accelerator.prepare_model(model)
    seen = []
    model.transformer.register_forward_hook(lambda *_: seen.append(torch.is_autocast_enabled("cpu")))

    class Sampler:
        def __init__(self):
            self.accelerator, self.model_wrapped = accelerator, model

        def _generate_single_turn(self):
            ids = tok(["[WP] a dragon"], return_tensors="pt")["input_ids"]
            return self.model_wrapped.generate(ids, max_new_tokens=3, min_new_tokens=3, do_sample=False,
                                               pad_token_id=tok.pad_token_id)

    wrapped = model.forward
    Sampler()._generate_single_turn()
    assert seen and all(seen)  # the plain sampler goes through the autocast wrapper
    seen.clear()
    fp32_sampling(Sampler)()._generate_single_turn()
    assert seen and not any(seen) and model.forward == wrapped


def test_rl_samples_through_rmbenchs_decoder_where_it_covers_trls_settings(tmp_path, tiny_generator_dir, prompts,
                                                                            word_judge, monkeypatch):
    from types import SimpleNamespace

    from rmbench.agent import rl

    calls = []

    def spy(trainer, model, prompt_ids):
        out = real(trainer, model, prompt_ids)
        calls.append((prompt_ids, out, list(trainer.eos_token_ids)))
        return out

    real = rl._decode_prompts
    monkeypatch.setattr(rl, "_decode_prompts", spy)
    settings = RLSettings(steps=2, prompts_per_step=2, max_new_tokens=6, logging_steps=1, seed=0)
    train_agent(str(tiny_generator_dir(tmp_path / "gen")), word_judge(), prompts(4), str(tmp_path / "agent"), settings)
    assert len(calls) == 2
    for prompt_ids, completions, eos in calls:
        assert len(completions) == len(prompt_ids) == 4  # two stories of each of two prompts
        for c in completions:  # as TRL cuts them: up to and including the first end token
            assert 1 <= len(c) <= 6 and all(t not in eos for t in c[:-1]) and (c[-1] in eos or len(c) == 6)

    ours = dict(use_vllm=False, top_k=0, min_p=None, repetition_penalty=1.0, args=SimpleNamespace(generation_kwargs=None))
    assert rl.decodes_for(SimpleNamespace(**ours))
    for other in (dict(top_k=50), dict(min_p=0.1), dict(repetition_penalty=1.2), dict(use_vllm=True),
                  dict(use_transformers_continuous_batching=True), dict(args=SimpleNamespace(generation_kwargs={"x": 1}))):
        assert not rl.decodes_for(SimpleNamespace(**{**ours, **other})), other


def test_fewer_prompts_than_a_step_takes_is_an_error_not_zero_steps(tmp_path, tiny_generator_dir, prompts, word_judge):
    settings = RLSettings(steps=1, prompts_per_step=4, max_new_tokens=4)
    with pytest.raises(ValueError, match="3 prompts.*a step takes 4"):
        train_agent(str(tiny_generator_dir(tmp_path / "gen")), word_judge(), prompts(3), str(tmp_path / "agent"), settings)
    assert not (tmp_path / "agent").exists()


def test_rl_falls_back_to_trls_sampling_when_the_decoder_cannot_run(tmp_path, tiny_generator_dir, prompts, word_judge,
                                                                    monkeypatch):
    from rmbench.agent import rl

    tried = []
    monkeypatch.setattr(rl, "_decode_prompts", lambda *a: tried.append(1))  # None: e.g. the model gave no KV cache
    settings = RLSettings(steps=1, prompts_per_step=2, max_new_tokens=4, logging_steps=1, seed=0)
    card = train_agent(str(tiny_generator_dir(tmp_path / "gen")), word_judge(), prompts(4), str(tmp_path / "agent"), settings)
    assert tried and card["log"] and 1 <= card["log"][-1]["completions/mean_length"] <= 4


def test_rl_log_has_no_deprecation_warnings_from_trls_checkpointing_calls(tmp_path, tiny_generator_dir, prompts,
                                                                          word_judge):
    """TRL's RLOOTrainer calls transformers' old ``gradient_checkpointing`` names on every
    generation; those FutureWarnings are not the user's to act on and stay out of the log."""
    import warnings

    settings = RLSettings(steps=1, prompts_per_step=2, max_new_tokens=4, logging_steps=1, seed=0,
                          gradient_checkpointing=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_agent(str(tiny_generator_dir(tmp_path / "gen")), word_judge(), prompts(4), str(tmp_path / "agent"), settings)
    assert not [str(w.message) for w in caught if "checkpointing" in str(w.message)]
