"""RewardScorer: input order, de-duplication, batch-size invariance, truncation, causal LMs."""

from __future__ import annotations

import pytest
import torch

from rmbench.model.inputs import PairEncoder
from rmbench.model.scoring import RewardScorer

PROMPTS = ["why is the sky blue", "tell me a story about a dragon " * 6, "q"] * 4
RESPONSES = [("because of scattering " * (i + 1)).strip() for i in range(12)]


@pytest.fixture(scope="module")
def scorer(tiny_bert):
    model, tok = tiny_bert()
    return RewardScorer(model, tok, device="cpu", max_length=48, batch_size=3)


def test_batch_size_does_not_change_scores(scorer):
    reference = scorer.score(PROMPTS, RESPONSES)
    for bs in (1, 2, 5, 64):
        scorer.batch_size = bs
        got = scorer.score(PROMPTS, RESPONSES)
        assert got == pytest.approx(reference, abs=1e-5)
    scorer.batch_size = 3


def test_each_unique_pair_scored_once_and_results_in_input_order(scorer):
    calls = []
    prompts = ["p one", "p two", "p one", "p one"]
    responses = ["r a", "r b", "r a", "r c"]
    got = scorer.score(prompts, responses, progress=calls.append)
    assert scorer.unique_scored == 3 and sum(calls) == 3
    assert got[0] == got[2]
    single = [scorer.score([p], [r])[0] for p, r in zip(prompts, responses)]
    assert got == pytest.approx(single, abs=1e-5)


def test_truncation_cuts_the_post_first_then_the_response(tiny_bert):
    _, tok = tiny_bert()
    enc = PairEncoder(tok, max_length=32)
    long_post, short_answer = "word " * 100, "short answer here"
    e = enc.encode(long_post, short_answer)
    assert len(e.input_ids) == 32 and e.prompt_cut and not e.response_cut
    assert tok.decode(e.input_ids).endswith("short answer here [SEP]")
    e2 = enc.encode(long_post, "answer " * 100)
    assert len(e2.input_ids) == 32 and e2.prompt_cut and e2.response_cut
    # the post keeps its floor (a quarter of the text budget) before the response is cut
    assert e2.token_type_ids.count(0) - 2 == int(enc.budget * 0.25)
    e3 = enc.encode("tiny post", "answer " * 100)
    assert not e3.prompt_cut and e3.response_cut and "tiny post" in tok.decode(e3.input_ids)


def test_truncation_is_counted(scorer):
    scorer.score(["word " * 200, "short"], ["fine", "answer " * 200])
    assert scorer.truncated == {"prompt": 1, "response": 1}


def test_load_by_directory_and_by_loaded_model_agree(tmp_path, tiny_bert, tiny_bert_dir):
    path = tiny_bert_dir(tmp_path / "m")
    a = RewardScorer(str(path), max_length=48).score(PROMPTS, RESPONSES)
    model, tok = tiny_bert()
    b = RewardScorer(model, tok, max_length=48).score(PROMPTS, RESPONSES)
    assert a == pytest.approx(b, abs=1e-6)


def test_causal_lm_reads_the_last_real_token(tmp_path, tiny_gpt2_dir):
    path = tiny_gpt2_dir(tmp_path / "gpt2")
    scorer = RewardScorer(str(path), max_length=64, batch_size=4)
    assert scorer.tokenizer.pad_token is not None and scorer.model.config.pad_token_id is not None
    prompts = ["prompt about idea", "post question"] * 3
    responses = ["clear kind answer", "lazy", "the story about time place person idea reason way thing day",
                 "warm", "cold dull", "a"]
    batched = scorer.score(prompts, responses)
    scorer.batch_size = 1
    alone = scorer.score(prompts, responses)
    assert batched == pytest.approx(alone, abs=1e-5)


def test_loaded_model_without_tokenizer_is_an_error(tiny_bert):
    model, _ = tiny_bert()
    with pytest.raises(ValueError, match="tokenizer"):
        RewardScorer(model)


def test_unknown_model_suggests_the_alias():
    from rmbench.errors import UnknownModelError

    with pytest.raises(UnknownModelError, match="minilm"):
        RewardScorer("./no/such/minilmm/dir")


def test_memo_scores_shared_inputs_once_across_calls(scorer):
    plain = scorer.score(PROMPTS, RESPONSES)
    scorer.memo = {}
    try:
        first = scorer.score(PROMPTS[:6], RESPONSES[:6])
        again = scorer.score(PROMPTS, RESPONSES)
        assert scorer.unique_scored == 6  # only the six new inputs
        assert first + again[6:] == pytest.approx(plain, abs=1e-5) and again[:6] == first
    finally:
        scorer.memo = None


def test_compact_encodings_give_the_same_batches_and_scores(scorer, monkeypatch):
    # The scorer stores encodings as C arrays (memory, issue 23): the padded tensors and the
    # rewards must be exactly those of the plain lists.
    import rmbench.model.scoring as scoring
    from rmbench.model.inputs import compact, pad_batch

    enc = [scorer.encoder.encode(p, r) for p, r in zip(PROMPTS, RESPONSES)]
    plain = pad_batch(enc, 0, True)
    packed = pad_batch([compact(scorer.encoder.encode(p, r)) for p, r in zip(PROMPTS, RESPONSES)], 0, True)
    assert plain.keys() == packed.keys() and plain["token_type_ids"].any()
    for k in plain:
        assert torch.equal(plain[k], packed[k]) and packed[k].dtype == torch.long
    compacted = scorer.score(PROMPTS, RESPONSES)
    monkeypatch.setattr(scoring, "compact", lambda e: e)
    assert scorer.score(PROMPTS, RESPONSES) == compacted


def test_batch_size_defaults_to_the_devices(tiny_bert):
    """No batch (or eval.batch_size's 0): 8 on a CPU (bigger batches only add padding there),
    64 on a GPU or an external backend; an explicit batch is kept; a negative one is refused."""
    from rmbench.eval.config import EvalConfig
    from rmbench.model.scoring import default_batch_size

    model, tok = tiny_bert()
    assert RewardScorer(model, tok, device="cpu", max_length=48).batch_size == 8
    assert RewardScorer(model, tok, device="cpu", max_length=48, batch_size=EvalConfig().batch_size).batch_size == 8
    assert RewardScorer(model, tok, device="cpu", max_length=48, batch_size=5).batch_size == 5
    assert default_batch_size(torch.device("cuda")) == 64 and default_batch_size(torch.device("cpu"), external=True) == 64
    with pytest.raises(ValueError, match="at least 1"):
        RewardScorer(model, tok, device="cpu", max_length=48, batch_size=-2)
