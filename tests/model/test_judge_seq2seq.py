"""An encoder-decoder judge in SteamSHP's text format: the input is the model card's string,
the verdict the decoder's first token, and `evaluate` reads such a checkpoint as a judge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.errors import ConfigError
from rmbench.model.judge import PROMPT_DIR, JudgeEncoder, JudgeScorer, load_prompt
from rmbench.model.load import load_causal_lm
from rmbench.model.presets import find_preset

STEAMSHP = PROMPT_DIR / "judge_prompt_steamshp.yaml"


def tiny_t5_dir(path: Path, tokenizer) -> Path:
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer.pad_token = "</s>"
    pad = tokenizer.pad_token_id
    cfg = T5Config(vocab_size=len(tokenizer), d_model=32, d_ff=64, d_kv=16, num_layers=2, num_decoder_layers=2,
                   num_heads=2, pad_token_id=pad, eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=pad)
    torch.manual_seed(0)
    T5ForConditionalGeneration(cfg).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return Path(path)


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory, tiny_chat_tokenizer) -> Path:
    return tiny_t5_dir(tmp_path_factory.mktemp("steamshp") / "t5", tiny_chat_tokenizer(None))


def _by_hand(model, tok, post: str, a: str, b: str) -> tuple[float, float]:
    """log p(A), log p(B) of the decoder's first token, normalised over the two, computed here."""
    text = f"POST: {post} \n\n RESPONSE A: {a}\n\n RESPONSE B: {b}\n\n Which response is better? RESPONSE"
    ids = torch.tensor([tok(text)["input_ids"]])
    start = torch.tensor([[model.config.decoder_start_token_id]])
    with torch.no_grad():
        logp = model(input_ids=ids, decoder_input_ids=start).logits[0, 0].float().log_softmax(-1)
    la, lb = (logp[tok.convert_tokens_to_ids(x)].item() for x in ("A", "B"))
    both = torch.logsumexp(torch.tensor([la, lb]), 0).item()
    return la - both, lb - both


def test_steamshp_format_and_the_decoders_first_token(t5_dir):
    model, tok = load_causal_lm(str(t5_dir), seq2seq=True)
    assert model.config.is_encoder_decoder
    prompt = load_prompt(STEAMSHP)
    assert prompt.format == "text" and prompt.labels == ("A", "B")
    enc = JudgeEncoder(tok, prompt, max_length=512)
    ids = enc.encode("why is the sky blue", ("light scatters", "it reflects the sea")).input_ids
    assert tok.decode(ids) == tok.decode(tok("POST: why is the sky blue \n\n RESPONSE A: light scatters\n\n RESPONSE B: "
                                             "it reflects the sea\n\n Which response is better? RESPONSE")["input_ids"])
    scorer = JudgeScorer(model, tok, prompt=prompt, max_length=512, batch_size=2)
    assert type(scorer.backend).__name__ == "Seq2SeqJudge"
    posts = ["why is the sky blue", "best pasta shape?", "how do I cite a preprint"]
    chosen = ["light scatters", "rigatoni holds sauce", "as a preprint, with its server"]
    rejected = ["it reflects the sea", "spaghetti", "you cannot"]
    rc, rr = scorer.score_pairs(posts, chosen, rejected)
    for i, (p, c, r) in enumerate(zip(posts, chosen, rejected)):
        first, second = _by_hand(model, tok, p, c, r), _by_hand(model, tok, p, r, c)
        assert rc[i] == pytest.approx((first[0] + second[1]) / 2, abs=1e-5)
        assert rr[i] == pytest.approx((first[1] + second[0]) / 2, abs=1e-5)
    # the same verdicts one pair at a time (padding in a batch changes nothing)
    alone = JudgeScorer(model, tok, prompt=prompt, max_length=512, batch_size=1).score_pairs(posts, chosen, rejected)
    assert alone[0] == pytest.approx(rc, abs=1e-5) and alone[1] == pytest.approx(rr, abs=1e-5)


def test_a_typed_special_token_stays_text_and_a_text_prompt_has_no_system_turn(t5_dir, tmp_path):
    model, tok = load_causal_lm(str(t5_dir), seq2seq=True)
    enc = JudgeEncoder(tok, load_prompt(STEAMSHP), max_length=512)
    ids = enc.encode("a post that types </s> in the middle", ("x", "y")).input_ids
    assert ids.count(tok.eos_token_id) == enc.frame[1].count(tok.eos_token_id)  # only the closing one
    bad = tmp_path / "p.yaml"
    bad.write_text('version: "1"\nformat: text\nsystem: be fair\nuser: "{post} {first} {second}"\nlabels: [A, B]\n')
    with pytest.raises(ConfigError, match="no system turn"):
        load_prompt(bad)
    with pytest.raises(ConfigError, match="or a text prompt"):
        JudgeEncoder(tok, load_prompt(), max_length=512)  # the default prompt is a chat turn: T5 has no template


def test_evaluate_reads_a_t5_checkpoint_as_a_judge(t5_dir, tmp_path):
    out = tmp_path / "ev"
    result = CliRunner().invoke(main, ["evaluate", "--model", str(t5_dir), "--judge-prompt", str(STEAMSHP),
                                       "--tasks", "askacademia", "--limit", "12", "--out", str(out), "--quiet",
                                       "--set", "eval.bootstrap_samples=100"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "results.json").read_text())
    block = doc["model"]["input"] if "input" in doc["model"] else doc["input"]
    assert block["model_kind"] == "judge" and block["input_format"] == "text"
    assert block["judge"]["prompt_version"] == "steamshp-1" and block["judge"]["backend"] == "transformers"
    card = doc["results"]["askacademia"]["splits"]["test"]
    assert card["n"] == 12 and "judge" in card
    example = block["examples"]["askacademia"]["chosen_first"].removeprefix("<s>")  # this tokenizer's BOS
    assert example.startswith("POST: ") and "RESPONSE B:" in example and example.endswith("Which response is better? RESPONSE")


def test_the_steamshp_presets_use_their_text_prompt():
    for name in ("steamshp", "steamshp-xl"):
        p = find_preset(name)
        assert p.kind == "judge" and p.input_format == "text" and (PROMPT_DIR / p.judge_prompt) == STEAMSHP
        assert p.max_length == 512 and p.hub_id.startswith("stanfordnlp/SteamSHP-flan-t5-")


def test_the_preset_loads_from_the_hub_cache_with_its_own_prompt(t5_dir, tmp_path, write_hub_cache):
    """``--model steamshp`` through the real hub code: the preset's hub id answered by a cache
    in the hub's exact layout (a tiny T5 in SteamSHP's place), its prompt taken from the preset."""
    cache = write_hub_cache(tmp_path / "hub", "stanfordnlp/SteamSHP-flan-t5-large", t5_dir, repo_type="model")
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    out = tmp_path / "ev"
    done = subprocess.run([sys.executable, "-m", "rmbench.cli", "evaluate", "--model", "steamshp", "--tasks",
                           "askacademia", "--limit", "8", "--out", str(out), "--quiet",
                           "--set", "eval.bootstrap_samples=50"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "results.json").read_text())
    block = doc["model"]["input"] if "input" in doc["model"] else doc["input"]
    assert block["preset"] == "steamshp-flan-t5-large" and block["input_format"] == "text"
    assert block["judge"]["prompt_version"] == "steamshp-1" and block["max_length"] == 512


def test_vllm_is_never_chosen_for_an_encoder_decoder(t5_dir, monkeypatch):
    import rmbench.model.judge_vllm as judge_vllm
    from rmbench.model.config import ModelConfig
    from rmbench.model.kinds import build_scorer, resolve_spec

    monkeypatch.setattr(judge_vllm, "vllm_usable", lambda: True)  # as on a GPU machine with vllm installed
    mcfg = ModelConfig(name=str(t5_dir), judge_prompt=str(STEAMSHP))
    spec = resolve_spec(mcfg, training=False)
    assert spec.kind == "judge" and spec.input_format == "text"
    assert type(build_scorer(spec, mcfg, batch_size=2).backend).__name__ == "Seq2SeqJudge"  # auto: transformers
    mcfg.judge_backend = "vllm"
    with pytest.raises(ConfigError, match="encoder-decoder"):
        build_scorer(spec, mcfg, batch_size=2)
