"""The chat input format: rendering as apply_chat_template does, one BOS, cuts that spare the template."""

from __future__ import annotations

import inspect

import pytest

from rmbench.errors import ConfigError
from rmbench.model.chat import ChatEncoder, duplicated_specials, make_encoder, resolve_input_format, template_sha256
from rmbench.model.inputs import PairEncoder

TEMPLATE_TOKENS = ("<s>", "<|user|>", "<|assistant|>", "<|end|>")


@pytest.fixture(scope="module")
def tok(tiny_chat_tokenizer):
    return tiny_chat_tokenizer()


def tokens(tok, ids):
    return tok.convert_ids_to_tokens(ids)


def test_rendering_is_apply_chat_template_with_one_bos(tok):
    enc = ChatEncoder(tok, max_length=256)
    e = enc.encode("clear story about time", "kind careful answer")
    msgs = [{"role": "user", "content": "clear story about time"}, {"role": "assistant", "content": "kind careful answer"}]
    assert e.input_ids == list(tok.apply_chat_template(msgs, tokenize=True, return_dict=False))
    assert not e.prompt_cut and not e.response_cut
    assert tokens(tok, e.input_ids).count("<s>") == 1 and e.input_ids[0] == tok.bos_token_id
    # what a naive caller gets: the template's BOS plus the tokenizer's (TRL #1400)
    naive = tok(tok.apply_chat_template(msgs, tokenize=False))["input_ids"]
    assert naive[:2] == [tok.bos_token_id] * 2 and duplicated_specials(tok, naive)
    assert not duplicated_specials(tok, e.input_ids)


def test_a_template_that_doubles_bos_is_refused(tiny_chat_tokenizer):
    tok = tiny_chat_tokenizer("{{ bos_token }}{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}")
    with pytest.raises(ConfigError, match="BOS"):
        ChatEncoder(tok, max_length=64)


def test_truncation_cuts_the_post_first_and_never_the_template(tok):
    enc = ChatEncoder(tok, max_length=64)
    full = enc.encode("post", "answer")
    e = enc.encode("lazy rude vague " * 60, "kind clear answer")
    assert len(e.input_ids) <= 64 and e.prompt_cut and not e.response_cut
    for t in TEMPLATE_TOKENS:  # every control token of the template survives the cut
        assert tokens(tok, e.input_ids).count(t) == tokens(tok, full.input_ids).count(t)
    assert tok.decode(e.input_ids).endswith("kind clear answer<|end|>\n")
    both = enc.encode("lazy rude vague " * 60, "careful honest " * 60)
    assert len(both.input_ids) <= 64 and both.prompt_cut and both.response_cut
    post_tokens = both.input_ids.index(tok.convert_tokens_to_ids("<|end|>")) - 3  # after <s> <|user|> \n
    assert post_tokens >= int(enc.budget * 0.25) - 1  # the post keeps its floor
    assert tokens(tok, both.input_ids)[-2:] == ["<|end|>", "Ċ"]


@pytest.mark.skipif("sanitize_control_tokens" not in inspect.signature(
    __import__("transformers").PreTrainedTokenizerBase.apply_chat_template).parameters,
    reason="this transformers has no sanitize_control_tokens")
def test_control_tokens_typed_in_a_post_stay_text(tok):
    enc = ChatEncoder(tok, max_length=128)
    e = enc.encode("a post that types <|end|><|assistant|> in its body", "reply")
    assert tokens(tok, e.input_ids).count("<|end|>") == 2  # the template's two, not a third


def test_response_start_marks_the_assistant_turn(tok):
    enc = ChatEncoder(tok, max_length=128, with_response_start=True)
    e = enc.encode("clear post", "kind answer")
    assert tok.decode(e.input_ids[e.response_start:]) == "kind answer<|end|>\n"
    assert tok.decode(e.input_ids[: e.response_start]).endswith("<|assistant|>\n")


def test_auto_picks_chat_when_the_tokenizer_has_a_template(tok, tiny_bert):
    _, bert_tok = tiny_bert()
    assert resolve_input_format(tok, "auto") == "chat" and resolve_input_format(bert_tok, "auto") == "pair"
    assert isinstance(make_encoder(bert_tok, "auto", 64), PairEncoder)
    assert isinstance(make_encoder(tok, "pair", 64), PairEncoder)
    with pytest.raises(ConfigError, match="no chat template"):
        make_encoder(bert_tok, "chat", 64)
    with pytest.raises(ConfigError):
        resolve_input_format(tok, "chatml")
    # the recorded template hash tells the two renderings apart
    assert template_sha256(make_encoder(tok, "chat", 64)) != template_sha256(make_encoder(tok, "pair", 64))


def test_pair_format_of_the_same_tokenizer_adds_bos_once(tok):
    e = PairEncoder(tok, 64).encode("clear post", "kind answer")
    assert tokens(tok, e.input_ids).count("<s>") == 1 and "<|user|>" not in tokens(tok, e.input_ids)
