"""Loading: a missing reward head is an error when scoring, the INF-ORM head loads whole, causal LMs load."""

from __future__ import annotations

import pytest
import torch

from rmbench.errors import UnknownModelError
from rmbench.model.heads import Mlp2LlamaForSequenceClassification
from rmbench.model.load import load_causal_lm, load_reward_model


def test_scoring_refuses_a_checkpoint_without_a_reward_head(tmp_path, tiny_llama_classifier_dir):
    backbone = tiny_llama_classifier_dir(tmp_path / "lm", head=False)
    with pytest.raises(UnknownModelError, match="no trained reward head"):
        load_reward_model(str(backbone), for_training=False)
    model, _ = load_reward_model(str(backbone), for_training=True)  # training draws a fresh head
    assert model.config.num_labels == 1


def test_the_mlp2_head_loads_completely(tmp_path, tiny_chat_tokenizer):
    from transformers import LlamaConfig

    tok = tiny_chat_tokenizer()
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, num_labels=1, pad_token_id=tok.eos_token_id)
    Mlp2LlamaForSequenceClassification(cfg).save_pretrained(tmp_path / "inf")
    tok.save_pretrained(tmp_path / "inf")
    model, info = Mlp2LlamaForSequenceClassification.from_pretrained(tmp_path / "inf", output_loading_info=True)
    assert not info["missing_keys"] and isinstance(model.score, torch.nn.Sequential)
    # read as a plain Llama classifier, its trained head would be replaced by a random one: refused
    with pytest.raises(UnknownModelError, match="no trained reward head"):
        load_reward_model(str(tmp_path / "inf"), for_training=False)


def test_load_causal_lm_gives_an_eval_model_with_a_pad_token(tmp_path, tiny_llama_lm_dir):
    model, tok = load_causal_lm(str(tiny_llama_lm_dir(tmp_path / "lm")))
    assert not model.training and tok.pad_token is not None and tok.padding_side == "right"
    with pytest.raises(UnknownModelError):
        load_causal_lm(str(tmp_path / "missing"))


def _drop_weight(model_dir, prefix: str) -> None:
    from safetensors.torch import load_file, save_file

    path = next(model_dir.glob("*.safetensors"))
    tensors = load_file(path)
    kept = {k: v for k, v in tensors.items() if not k.startswith(prefix)}
    assert len(kept) < len(tensors)
    save_file(kept, path, metadata={"format": "pt"})


def test_a_causal_lm_without_its_lm_head_is_refused(tmp_path, tiny_llama_lm_dir, tiny_llama_classifier_dir):
    """A judge or DPO policy with a random lm_head scores noise: refused, naming the weights."""
    lm = tiny_llama_lm_dir(tmp_path / "lm")
    _drop_weight(lm, "lm_head")
    with pytest.raises(UnknownModelError, match=r"no trained language-model weights for lm_head\.weight"):
        load_causal_lm(str(lm))
    classifier = tiny_llama_classifier_dir(tmp_path / "clf")  # a reward model read as a causal LM
    with pytest.raises(UnknownModelError, match="--model-kind classifier"):
        load_causal_lm(str(classifier))


def test_a_tied_lm_head_is_not_missing(tmp_path, tiny_chat_tokenizer):
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = tiny_chat_tokenizer()
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=True,
                      pad_token_id=tok.eos_token_id)
    LlamaForCausalLM(cfg).save_pretrained(tmp_path / "tied")
    tok.save_pretrained(tmp_path / "tied")
    model, _ = load_causal_lm(str(tmp_path / "tied"))
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()


def test_a_preset_that_cannot_be_downloaded_is_named_as_one_not_as_a_typo():
    from rmbench.model.load import _unknown

    msg = str(_unknown("steamshp", OSError("We couldn't connect to 'https://huggingface.co'")))
    assert "preset steamshp-flan-t5-large" in msg and "stanfordnlp/SteamSHP-flan-t5-large" in msg
    assert "not a preset" not in msg and "hf download" in msg
    assert "not a preset or alias" in str(_unknown("steamshpp")) and "Did you mean steamshp" in str(_unknown("steamshpp"))
