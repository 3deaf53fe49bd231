"""A policy TRL's DPOTrainer trained on `rmbench export --format trl-chat` is scored by rmbench
with TRL's own implicit reward: the same rewards pair for pair, from the same tokens."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow  # trains with TRL
def test_rmbench_scores_a_trl_dpo_policy_with_trls_own_rewards(tmp_path, write_prepared, tiny_llama_lm_dir):
    import torch
    from datasets import load_dataset
    from trl import DPOConfig, DPOTrainer

    from rmbench.model.dpo import DpoScorer
    from rmbench.model.dpo_train import LogprobScorer
    from rmbench.model.load import load_causal_lm
    from rmbench.prepared.export import export

    prep = write_prepared(tmp_path / "prep", {"gradschool": {"train": 16, "validation": 4, "test": 8, "test_hard": 2}})
    export(prep, tmp_path / "exp", "trl-chat", splits=["train"])
    train = tmp_path / "exp" / "gradschool" / "train.jsonl"
    start = tiny_llama_lm_dir(tmp_path / "start", seed=0)
    policy, tok = load_causal_lm(str(start))
    ds = load_dataset("json", data_files=str(train), split="train", cache_dir=str(tmp_path / "hf"))
    args = DPOConfig(output_dir=str(tmp_path / "trl"), max_steps=4, per_device_train_batch_size=4,
                     per_device_eval_batch_size=4, learning_rate=5e-3, beta=0.5, report_to="none", use_cpu=True,
                     save_strategy="no", logging_steps=1, dataset_num_proc=None)
    trainer = DPOTrainer(model=policy.train(), args=args, train_dataset=ds, eval_dataset=ds, processing_class=tok)
    trainer.train()
    metrics = trainer.evaluate()
    trained = tmp_path / "trained"
    trainer.save_model(str(trained))

    rows = [json.loads(line) for line in train.read_text().splitlines()]
    posts = [r["prompt"][0]["content"] for r in rows]
    scorer = DpoScorer(load_causal_lm(str(trained))[0], load_causal_lm(str(start))[0], tok, beta=0.5, max_length=2048)
    chosen, rejected = scorer.score_pairs(posts, [r["chosen"][0]["content"] for r in rows],
                                          [r["rejected"][0]["content"] for r in rows])
    chosen, rejected = torch.tensor(chosen), torch.tensor(rejected)
    assert chosen.abs().max() > 0.05  # the policy moved: the check below compares something
    assert metrics["eval_rewards/chosen"] == pytest.approx(chosen.mean().item(), abs=2e-3)
    assert metrics["eval_rewards/rejected"] == pytest.approx(rejected.mean().item(), abs=2e-3)
    assert metrics["eval_rewards/accuracies"] == pytest.approx((chosen > rejected).float().mean().item())
    # the policy's own log-probabilities of the responses (~ -100 nats each): one token more or less
    # in either reading would move them by nats, not hundredths
    logp = LogprobScorer(scorer.model, tok, scorer.encoder)
    c, r = logp.score_pairs(posts, [x["chosen"][0]["content"] for x in rows], [x["rejected"][0]["content"] for x in rows])
    assert metrics["eval_logps/chosen"] == pytest.approx(sum(c) / len(c), abs=1e-2)
    assert metrics["eval_logps/rejected"] == pytest.approx(sum(r) / len(r), abs=1e-2)
