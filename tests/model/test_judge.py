"""JudgeScorer: both orders, label probabilities, batch-size invariance, and what position bias looks like."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from rmbench.errors import ConfigError
from rmbench.eval.config import EvalConfig
from rmbench.eval.judge import judge_card
from rmbench.eval.scorecard import split_scorecard
from rmbench.model.judge import JudgeEncoder, JudgeScorer, load_prompt, plan_judge
from rmbench.model.load import load_causal_lm

EVAL = EvalConfig(bootstrap_samples=200)


@pytest.fixture(scope="module")
def judge(tmp_path_factory, tiny_llama_lm_dir):
    return load_causal_lm(str(tiny_llama_lm_dir(tmp_path_factory.mktemp("judge") / "lm")))


class AlwaysA(torch.nn.Module):
    """A judge that answers "A" whatever it reads."""

    def __init__(self, a_id: int, vocab: int):
        super().__init__()
        self.head = torch.nn.Linear(1, vocab)
        self.a_id, self.vocab = a_id, vocab
        self.config = SimpleNamespace(pad_token_id=None)

    def forward(self, input_ids, attention_mask=None, logits_to_keep=None, **_):
        logits = torch.zeros(int(logits_to_keep.sum()), self.vocab)
        logits[:, self.a_id] = 20.0
        return SimpleNamespace(logits=logits)


def test_a_judge_that_always_says_a_is_at_chance_and_never_consistent(judge, make_pairs):
    _, tok = judge
    a_id = tok.convert_tokens_to_ids("A")
    scorer = JudgeScorer(AlwaysA(a_id, len(tok)), tok, max_length=256, batch_size=4)
    pairs = make_pairs("askacademia", "test", 24)
    rc, rr = scorer.score_pairs([p["prompt"] for p in pairs], [p["chosen"] for p in pairs], [p["rejected"] for p in pairs])
    card = split_scorecard(pairs, rc, rr, cfg=EVAL, seed=0, preferred_later=True)
    assert card["accuracy"] == 0.5
    jc = judge_card(scorer.orders, EVAL, 0)
    assert jc["position_consistency"]["accuracy"] == 0.0 and jc["first_position_rate"] == 1.0
    assert jc["first_position_baseline"] == 0.5
    assert jc["accuracy_by_order"]["chosen_first"]["accuracy"] == 1.0
    assert jc["accuracy_by_order"]["chosen_second"]["accuracy"] == 0.0
    assert jc["label_mass"] > 0.9


def test_a_consistent_judge_card():
    orders = {"margin_chosen_first": [1.0, -2.0, 0.0, 3.0], "margin_chosen_second": [0.5, -1.0, 0.0, -1.0],
              "label_mass": [0.2] * 4}
    jc = judge_card(orders, EVAL, 0)
    assert jc["position_consistency"]["accuracy"] == 0.75  # the last pair flips with the order
    assert jc["verdict_accuracy"]["accuracy"] == pytest.approx((1 + 0 + 0.5 + 0.5) / 4)
    assert jc["first_position_rate"] == pytest.approx((1 + 0 + 0.5 + 1 + 0 + 1 + 0.5 + 1) / 8)


def test_verdicts_do_not_depend_on_the_batch_size(judge):
    model, tok = judge
    prompts = ["clear post about time", "lazy question " * 30, "q"] * 2
    chosen = ["kind answer", "careful honest reply " * 5, "warm"] * 2
    rejected = ["rude", "vague " * 20, "cold dull"] * 2
    scorer = JudgeScorer(model, tok, max_length=200, batch_size=1)
    one = scorer.score_pairs(prompts, chosen, rejected)
    orders = dict(scorer.orders)
    assert scorer.truncated["prompt"] > 0
    scorer.batch_size = 5
    many = scorer.score_pairs(prompts, chosen, rejected)
    for a, b in zip(one, many):
        assert a == pytest.approx(b, abs=1e-5)
    assert scorer.orders["margin_chosen_first"] == pytest.approx(orders["margin_chosen_first"], abs=1e-5)
    assert all(0 < m <= 1 for m in scorer.orders["label_mass"])


def test_the_judge_prompt_is_cut_in_its_contents(judge):
    _, tok = judge
    enc = JudgeEncoder(tok, load_prompt(), max_length=200)
    e = enc.encode("lazy rude " * 120, ("kind answer", "cold reply"))
    assert len(e.input_ids) <= 200 and e.cuts == (True, False, False)
    text = tok.decode(e.input_ids)
    assert text.endswith("<|assistant|>\n") and "REPLY A:\nkind answer" in text and "REPLY B:\ncold reply" in text
    e2 = enc.encode("post", ("careful " * 120, "warm"))
    assert e2.cuts == (False, True, False)


def test_plan_judge_cuts_the_post_then_the_longer_reply():
    assert plan_judge(10, 10, 10, 100) == (10, 10, 10)
    assert plan_judge(100, 10, 20, 80) == (50, 10, 20)
    assert plan_judge(100, 50, 300, 200) == (50, 50, 100)
    assert plan_judge(100, 300, 300, 200) == (50, 75, 75)


def test_prompt_files_are_checked(tmp_path, judge):
    prompt = load_prompt()
    assert prompt.version and len(prompt.sha256) == 64 and prompt.labels == ("A", "B")
    bad = tmp_path / "p.yaml"
    bad.write_text("version: '1'\nuser: 'Post {post} first {first}'\nlabels: [A, B]\n")
    with pytest.raises(ConfigError, match="second"):
        load_prompt(bad)
    bad.write_text("version: '1'\nuser: '{post} {first} {second}'\nlabels: [yes please, no]\n")
    _, tok = judge
    with pytest.raises(ConfigError, match="one token"):
        JudgeEncoder(tok, load_prompt(bad), max_length=256)


def test_the_vllm_backend_reads_the_same_verdicts(judge, tmp_path, tiny_llama_lm_dir, monkeypatch):
    """vLLM is not installed here: a stand-in with vLLM's generate/prompt_logprobs shapes, computed by
    the same tiny model, checks that the backend builds the same requests and reads them the same way."""
    import sys
    import types

    from rmbench.model.judge_vllm import VllmJudge

    path = tiny_llama_lm_dir(tmp_path / "lm")
    model, tok = load_causal_lm(str(path))

    class FakeLLM:
        def __init__(self, model, **kw):
            self.lm, _ = load_causal_lm(model)

        def generate(self, requests, params, use_tqdm=False):
            assert params.kw == {"max_tokens": 1, "prompt_logprobs": 0}
            outs = []
            for req in requests:
                ids = torch.tensor([req["prompt_token_ids"]])
                with torch.no_grad():
                    lp = self.lm(input_ids=ids).logits[0].log_softmax(-1)
                rows = [None] + [{int(ids[0, t]): SimpleNamespace(logprob=lp[t - 1, ids[0, t]].item())}
                                 for t in range(1, ids.shape[1])]
                outs.append(SimpleNamespace(prompt_logprobs=rows))
            return outs

    fake = types.ModuleType("vllm")
    fake.LLM, fake.SamplingParams = FakeLLM, lambda **kw: SimpleNamespace(kw=kw)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    args = (["clear post", "lazy question " * 10], ["kind answer", "careful reply"], ["rude", "vague vague"])
    hf = JudgeScorer(model, tok, max_length=200, batch_size=2)
    want = hf.score_pairs(*args)
    vl = JudgeScorer(None, tok, max_length=200, batch_size=2, backend=VllmJudge(str(path), max_length=200))
    got = vl.score_pairs(*args)
    for a, b in zip(got, want):
        assert a == pytest.approx(b, abs=1e-4)
    assert vl.orders["margin_chosen_second"] == pytest.approx(hf.orders["margin_chosen_second"], abs=1e-4)
