"""The story sampler: the same tokens as transformers' generate, rows that end leave the batch,
each story its own random stream, and draws from the model's own next-token distribution."""

from __future__ import annotations

import pytest

from rmbench.agent.format import format_prompt
from rmbench.agent import generate
from rmbench.agent.generate import GenerationConfig, cut_at_end, decode, load_causal_lm, sample


@pytest.fixture
def tiny(tmp_path, tiny_generator_dir):
    """The tiny random generator with its (tied) embeddings scaled up: its next-token
    distributions are near-uniform otherwise (max p ~0.05), where a sampler that ignored the
    temperature or the context would pass the same tests."""
    import torch

    model, tok = load_causal_lm(str(tiny_generator_dir(tmp_path / "g", seed=4)), "cpu")
    with torch.no_grad():
        model.get_input_embeddings().weight.mul_(4.0)
    return model, tok


def _left_padded(tok, texts):
    tok.padding_side = "left"
    return tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)


class Noise:
    """A fixed random offset per (row, step, token), added to the logits before the argmax: a
    random tiny model's plain argmax repeats one word forever, with this the stories vary and
    end at different steps, and the choice stays deterministic so that two decoders can be
    compared token for token. ``generate`` applies it as a logits processor (its rows never
    leave, so the batch index is the row), ``decode`` through ``pick`` (given the rows)."""

    def __init__(self, rows, steps, vocab, prompt_len, scale):
        import torch

        self.table = torch.randn(rows, steps, vocab, generator=torch.Generator().manual_seed(0)) * scale
        self.prompt_len, self.step = prompt_len, 0

    def __call__(self, input_ids, scores):  # transformers' LogitsProcessor interface
        return scores + self.table[:, input_ids.shape[1] - self.prompt_len]

    def pick(self, logits, rows):
        step, self.step = self.step, self.step + 1
        return (logits + self.table[rows, step]).argmax(-1)


def _generate(model, tok, enc, eos, n, noise):
    """transformers' generate, cut after each row's first end token."""
    from transformers import LogitsProcessorList

    rows = model.generate(**enc, do_sample=False, max_new_tokens=n, eos_token_id=eos, pad_token_id=tok.pad_token_id,
                          logits_processor=LogitsProcessorList([noise]))[:, enc["input_ids"].shape[1]:].tolist()
    return [cut_at_end(row, eos) for row in rows]


@pytest.mark.parametrize("drop_rows", [True, False])
def test_decode_gives_generates_tokens_as_rows_end_and_leave(tiny, prompts, monkeypatch, drop_rows):
    import torch

    model, tok = tiny
    # Prompts of different lengths (left padding); two common words end a story besides the
    # end token, so the rows end at different steps and leave the batch one by one.
    texts = [format_prompt(" ".join([p] * (1 + i % 3)), tok) for i, p in enumerate(prompts(12))]
    enc = _left_padded(tok, texts)
    eos = [tok.convert_tokens_to_ids("dragon"), tok.convert_tokens_to_ids("sea"), tok.eos_token_id]
    with torch.no_grad():  # noise on the scale of the logits' own spread: both decide
        spread = float(model(**enc).logits[:, -1].std())
    shape = (len(texts), 30, model.get_output_embeddings().weight.shape[0], enc["input_ids"].shape[1], spread)
    if not drop_rows:  # a cache that cannot drop rows: finished rows run on with padding
        monkeypatch.setattr(generate, "can_drop_rows", lambda cache: False)
    want = _generate(model, tok, enc, eos, 30, Noise(*shape))
    with torch.no_grad():
        got = dict(decode(model, enc["input_ids"], enc["attention_mask"], Noise(*shape).pick, eos, 30,
                          pad_id=tok.pad_token_id))
    assert [got[r] for r in range(len(texts))] == want
    lengths = [len(ids) for ids in want]
    assert len(set(lengths)) > 3 and max(lengths) == 30 and min(lengths) < 30  # rows ended at different steps


def test_a_story_does_not_depend_on_batch_size_or_its_neighbours(tiny, prompts):
    model, tok = tiny
    ps = prompts(6)
    cfg = GenerationConfig(max_new_tokens=12)
    runs = [sample(model, tok, ps, GenerationConfig(max_new_tokens=12, batch_size=b), n=3, seed=7) for b in (1, 4, 64)]
    assert runs[0] == runs[1] == runs[2]
    # The first prompt's stories are the same when it is sampled alone...
    assert sample(model, tok, ps[:1], cfg, n=3, seed=7)[0] == runs[0][0]
    # ...and a different seed gives other stories.
    assert sample(model, tok, ps, cfg, n=3, seed=8) != runs[0]
    for ss in runs[0]:
        assert len(ss) == 3
        for s in ss:
            ended = bool(s.token_ids) and s.token_ids[-1] == tok.eos_token_id
            assert s.truncated == (not ended) and (ended or len(s.token_ids) == 12)


@pytest.mark.parametrize("temperature,top_p", [(1.0, 1.0), (0.6, 1.0), (1.0, 0.7)])
def test_first_tokens_follow_the_models_distribution(tiny, temperature, top_p):
    import torch
    from scipy.stats import chisquare

    model, tok = tiny
    prompt = "[WP] the dragon saw the sea"
    with torch.no_grad():
        logits = model(**_left_padded(tok, [format_prompt(prompt, tok)])).logits[0, -1].double() / temperature
    p = torch.softmax(logits, -1)
    if top_p < 1.0:  # the nucleus: the most likely tokens until their mass reaches top_p
        order = p.argsort(descending=True)
        keep = order[: int((p[order].cumsum(0) < top_p).sum()) + 1]
        p = torch.zeros_like(p).index_fill(0, keep, 1.0) * p
        p = p / p.sum()
    n = 3000
    stories = sample(model, tok, [prompt], GenerationConfig(max_new_tokens=1, temperature=temperature, top_p=top_p),
                     n=n, seed=1)[0]
    counts = torch.bincount(torch.tensor([s.token_ids[0] for s in stories]), minlength=len(p)).double()
    assert counts[p == 0].sum() == 0  # never a token outside the nucleus
    # Pool the rare tokens so that every expected count is at least 5, then a chi-square test.
    common = p * n >= 5
    observed = torch.cat([counts[common], counts[~common].sum()[None]])
    expected = torch.cat([p[common] * n, (p[~common] * n).sum()[None]])
    if expected[-1] < 5:
        observed, expected = observed[:-1], expected[:-1]
        expected = expected * observed.sum() / expected.sum()
    assert common.sum() >= 5
    assert chisquare(observed.numpy(), expected.numpy()).pvalue > 1e-4


def test_sequence_logprobs_keep_each_storys_value_whatever_the_batching(tiny, prompts):
    from rmbench.agent.generate import sequence_logprobs

    model, tok = tiny
    ps = prompts(5)
    stories = sample(model, tok, ps, GenerationConfig(max_new_tokens=24), n=4, seed=2)
    flat = [p for p, ss in zip(ps, stories) for _ in ss]
    ids = [s.token_ids for ss in stories for s in ss]
    assert len({len(i) for i in ids}) > 2  # lengths vary, so the length order is not the input order
    one = sequence_logprobs(model, tok, flat, ids, batch_size=1)
    assert sequence_logprobs(model, tok, flat, ids, batch_size=4) == pytest.approx(one, rel=1e-4, abs=1e-5)


def test_a_model_that_gives_no_cache_back_is_refused_not_decoded_wrong(tiny, prompts):
    import torch

    from rmbench.agent.generate import NoKVCache

    model, tok = tiny

    class NoCache(torch.nn.Module):  # as an older transformers under gradient checkpointing
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, **kw):
            out = model(**kw)
            for name in ("cache", "past_key_values"):
                if name in out:
                    out[name] = None
            return out

    enc = _left_padded(tok, [format_prompt(p, tok) for p in prompts(2)])
    with pytest.raises(NoKVCache, match="no KV cache"):
        list(decode(NoCache(), enc["input_ids"], enc["attention_mask"], lambda logits, rows: logits.argmax(-1),
                    [tok.eos_token_id], 5))
