"""Prompt layout, story rows from prepared pairs, and `rmbench agent sft` on a tiny model."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rmbench.agent.format import format_completion, format_prompt, story_rows


def _pair(post, c, r, chosen="A good story.", rejected="A worse story."):
    return {"post_id": post, "prompt": f"[WP] prompt {post}", "chosen": chosen, "rejected": rejected,
            "chosen_id": c, "rejected_id": r}


def test_story_rows_dedupe_and_choose_sides():
    pairs = [_pair("p1", "a", "b"), _pair("p1", "a", "c", rejected="Third."), _pair("p2", "d", "e", chosen="  ")]
    rows, skipped = story_rows(pairs, "chosen")
    assert [r.story_id for r in rows] == ["a"] and skipped == {"duplicate_story": 1, "empty_story": 1}
    rows, _ = story_rows(pairs, "all")
    assert sorted(r.story_id for r in rows) == ["a", "b", "c", "e"]


def test_prompt_layout_ends_where_the_story_starts():
    assert format_prompt("  [WP] A dragon.  ").endswith("[WP] A dragon.\n\nStory:")
    assert format_completion(" Once. ") == " Once."


def test_sft_cli_saves_a_generator_that_stops(tmp_path):
    from rmbench.agent.cli import agent_group
    from rmbench.agent.generate import GenerationConfig, load_causal_lm, sample
    from rmbench.prepare import prepare

    data = tmp_path / "data"
    prepare("demo", data, tasks=["writingprompts"], progress=False)
    result = CliRunner().invoke(agent_group, ["sft", "--data", str(data), "--model", "tiny", "--out",
                                              str(tmp_path / "gen"), "--epochs", "1", "--learning-rate", "5e-3",
                                              "--limit", "16", "--max-length", "64"])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "gen" / "rmbench_agent.json").read_text())
    assert card["role"] == "generator" and card["stories"] == 16 and card["settings"]["stories"] == "chosen"
    model, tok = load_causal_lm(str(tmp_path / "gen"), "cpu")
    out = sample(model, tok, ["[WP] A test prompt."], GenerationConfig(max_new_tokens=5), n=3)
    assert all(len(s.token_ids) <= 5 for s in out[0])
    assert all(s.truncated == (tok.eos_token_id not in s.token_ids) for s in out[0])


def test_sft_cli_reports_missing_data(tmp_path):
    from rmbench.agent.cli import agent_group

    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(agent_group, ["sft", "--data", str(tmp_path / "empty"), "--model", "tiny",
                                              "--out", str(tmp_path / "gen")])
    assert result.exit_code != 0 and "manifest" in result.output
    assert not (tmp_path / "gen").exists()


def test_sft_set_emptied_by_filtering_is_a_clear_error(tmp_path):
    """Every prompt fills max_length, so no story token is left to learn: one line, exit 1, no
    sampler traceback and no output directory."""
    from rmbench.agent.cli import agent_group
    from rmbench.prepare import prepare

    data = tmp_path / "data"
    prepare("demo", data, tasks=["writingprompts"], progress=False)
    result = CliRunner().invoke(agent_group, ["sft", "--data", str(data), "--model", "tiny", "--out",
                                              str(tmp_path / "gen"), "--limit", "8", "--max-length", "8"])
    assert result.exit_code == 1 and "filtered out" in result.output and "prompt_fills_max_length" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "gen").exists()


def test_chat_models_get_their_template_and_stop_at_end_of_turn(tiny_chat_tokenizer):
    from rmbench.agent.format import end_of_turn_id

    tok = tiny_chat_tokenizer()
    text = format_prompt(" [WP] A dragon. ", tok)
    assert text.startswith("<s><|user|>") and "[WP] A dragon.<|end|>" in text and text.endswith("<|assistant|>\n")
    assert "Write a very short story of about 100 words" in text  # the request measured in format.py
    assert end_of_turn_id(tok) == tok.convert_tokens_to_ids("<|end|>") != tok.eos_token_id
    assert format_completion(" Once. ", tok) == "Once."
    plain = tiny_chat_tokenizer(chat_template=None)
    assert format_prompt("[WP] A dragon.", plain).endswith("Story:") and end_of_turn_id(plain) is None


def test_lora_sft_saves_merged_weights_that_moved(tmp_path):
    """--mode lora trains adapters and merges them: a plain HF dir (no adapter files, no
    lora_ keys) whose weights differ from the base it started from."""
    import torch

    from rmbench.agent.cli import agent_group
    from rmbench.agent.tiny import build_tiny
    from rmbench.agent.format import story_rows
    from rmbench.prepare import prepare
    from rmbench.prepared.load import load_prepared
    from transformers import AutoModelForCausalLM

    data = tmp_path / "data"
    prepare("demo", data, tasks=["writingprompts"], progress=False)
    result = CliRunner().invoke(agent_group, ["sft", "--data", str(data), "--model", "tiny", "--mode", "lora",
                                              "--out", str(tmp_path / "gen"), "--learning-rate", "5e-2",
                                              "--limit", "16", "--max-length", "64"])
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "gen" / "rmbench_agent.json").read_text())
    assert card["settings"]["mode"] == "lora" and not list((tmp_path / "gen").glob("adapter_*"))
    trained = AutoModelForCausalLM.from_pretrained(tmp_path / "gen")
    assert not any("lora_" in k for k in trained.state_dict())
    rows, _ = story_rows(load_prepared(str(data), "writingprompts")["train"], "chosen")
    base, _ = build_tiny([r.prompt + " " + r.story for r in rows[:16]], seed=0)  # what SFT started from
    moved = [k for k, v in base.state_dict().items() if not torch.allclose(v, trained.state_dict()[k])]
    # Adapters sit on the blocks' projections only: the embeddings are the base's, bit for bit
    # (which also shows `base` is the model SFT started from).
    assert any(".attn." in k or ".mlp." in k for k in moved) and "transformer.wte.weight" not in moved


def test_lora_trains_at_its_own_rate_unless_one_is_given(tmp_path):
    """Adapters barely learn at the full model's rate (BENCHMARKS.md, generator SFT), so a LoRA
    run given no rate trains at sft_rate.LORA, and its card records the rate it used (and
    whether --gradient-checkpointing was on)."""
    from rmbench.agent.cli import agent_group
    from rmbench.agent.sft_rate import FULL, LORA, PIPELINE_FULL, sft_learning_rate
    from rmbench.prepare import prepare
    from rmbench.registry import get_task

    assert LORA > FULL and sft_learning_rate("lora") == LORA and sft_learning_rate("full") == FULL
    assert sft_learning_rate("lora", 2e-4) == 2e-4
    agent = get_task("writingprompts-agent")
    assert agent.sft_rate() == PIPELINE_FULL  # sft 'none' never trains; 'full' keeps version 4's rate
    assert agent.with_options({"sft": "lora"}).sft_rate() == LORA
    assert agent.with_options({"sft": "lora", "sft_learning_rate": 3e-4}).sft_rate() == 3e-4
    data = tmp_path / "data"
    prepare("demo", data, tasks=["writingprompts"], progress=False)
    for mode, rate, checkpointing in (("lora", LORA, True), ("full", FULL, False)):
        out = tmp_path / mode
        result = CliRunner().invoke(agent_group, ["sft", "--data", str(data), "--model", "tiny", "--mode", mode,
                                                  "--out", str(out), "--limit", "8", "--max-length", "32"]
                                    + ["--gradient-checkpointing"] * checkpointing)
        assert result.exit_code == 0, result.output
        settings = json.loads((out / "rmbench_agent.json").read_text())["settings"]
        assert settings["learning_rate"] == rate and settings["gradient_checkpointing"] is checkpointing
    result = CliRunner().invoke(agent_group, ["sft", "--help"])
    assert f"with --mode lora {LORA:g}" in " ".join(result.output.split())
