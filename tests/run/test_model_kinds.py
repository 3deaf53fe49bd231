"""`rmbench run|evaluate --model-kind classifier|dpo|judge` end to end on tiny Llama-style models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.eval.results import schema_problems

QUICK = ["--quiet", "--set", "eval.bootstrap_samples=100"]
FAST = ["--max-length", "48", "--epochs", "1", "--batch-size", "8", *QUICK, "--set", "train.learning_rate=1e-3"]


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_prepared) -> Path:
    sizes = {t: {"train": 32, "validation": 8, "test": 12, "test_hard": 6} for t in ("writingprompts", "askacademia", "gradschool")}
    return write_prepared(tmp_path_factory.mktemp("prepared") / "data", sizes)


@pytest.fixture(scope="module")
def lms(tmp_path_factory, tiny_llama_lm_dir):
    root = tmp_path_factory.mktemp("lms")
    return tiny_llama_lm_dir(root / "policy", seed=0), tiny_llama_lm_dir(root / "reference", seed=1)


def invoke(args):
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result


def evaluate(out, model, data, *extra):
    result = invoke(["evaluate", "--model", str(model), "--tasks", "writingprompts", "--data", str(data),
                     "--out", str(out), *QUICK, *extra])
    assert result.exit_code == 0, result.output
    return json.loads((out / "results.json").read_text())


def predictions(out):
    return [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]


def test_evaluate_a_judge(tmp_path, data, lms):
    doc = evaluate(tmp_path / "judge", lms[0], data, "--max-length", "256")  # auto: a causal LM is a judge
    assert not schema_problems(doc)
    model = doc["model"]
    assert model["model_kind"] == "judge" and doc["config"]["model"]["kind"] == "judge"
    inp = model["input"]
    assert inp["input_format"] == "chat" and inp["max_length"] == 256 and inp["dtype"] == "float32"
    assert inp["judge"]["prompt_version"] == "1" and inp["judge"]["labels"] == ["A", "B"]
    example = inp["examples"]["writingprompts"]["chosen_first"]
    assert example.startswith("<s><|user|>\nHere is a post") and example.endswith("<|assistant|>\n")
    for split in ("test", "test_hard"):
        card = doc["results"]["writingprompts"]["splits"][split]
        assert card["judge"]["first_position_baseline"] == 0.5 and 0 <= card["judge"]["position_consistency"]["accuracy"] <= 1
    rows = predictions(tmp_path / "judge")
    assert rows and all(r["model"] == str(lms[0]) and set(r["truncated"]) == {"prompt", "chosen", "rejected"} for r in rows)


def test_evaluate_a_judge_prints_its_position_check_beside_its_accuracy(tmp_path, data, lms):
    out = tmp_path / "judge"
    result = invoke(["evaluate", "--model", str(lms[0]), "--tasks", "writingprompts", "--data", str(data), "--out",
                     str(out), *QUICK, "--max-length", "256", "--set", "eval.min_report_pairs=1",
                     "--set", "eval.min_report_posts=1"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "results.json").read_text())["results"]["writingprompts"]["splits"]["heldout_all"]["judge"]
    said = f"the same verdict in both orders on {100 * card['position_consistency']['accuracy']:.1f}%"
    assert f"judge {lms[0]} on writingprompts/heldout_all: {said}" in result.output.replace("\n", " ") or \
        f"{lms[0]} judges by position on writingprompts/heldout_all: {said}" in result.output.replace("\n", " ")
    assert said in (out / "report.md").read_text()


def test_evaluate_a_dpo_policy(tmp_path, data, lms):
    doc = evaluate(tmp_path / "dpo", lms[0], data, "--ref-model", str(lms[1]), "--max-length", "32", "--dpo-beta", "0.5")  # 32: some responses are cut
    assert not schema_problems(doc)
    assert doc["model"]["model_kind"] == "dpo"
    assert doc["model"]["input"]["dpo"] == {**doc["model"]["input"]["dpo"], "ref_model": str(lms[1]), "beta": 0.5}
    assert len(doc["model"]["input"]["dpo"]["ref_weights_sha256"]) == 64
    card = doc["results"]["writingprompts"]["splits"]["test"]
    assert card["truncated"]["prompt"] >= 0
    # the breakdown by response cut follows predictions.jsonl's per-pair flags
    rows = [r for r in predictions(tmp_path / "dpo") if r["task"] == "writingprompts" and r["split"] == "test"]
    cut = sum(bool(r["truncated"]["chosen"] or r["truncated"]["rejected"]) for r in rows)
    parts = card["by_response_cut"]
    assert cut and parts["cut"]["n"] == cut and parts["whole"]["n"] + cut == card["n"] == len(rows)


def test_run_trains_a_chat_classifier_and_evaluate_reads_it_back(tmp_path, data, tiny_llama_classifier_dir):
    backbone = tiny_llama_classifier_dir(tmp_path / "backbone", head=False)
    out = tmp_path / "run"
    result = invoke(["run", "--holdout", "writingprompts", "--data", str(data), "--model", str(backbone),
                     "--out", str(out), *FAST])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "results.json").read_text())
    assert not schema_problems(doc)
    assert doc["model"]["model_kind"] == "classifier" and doc["model"]["input"]["input_format"] == "chat"
    saved = json.loads((out / "model" / "config.json").read_text())["rmbench_input"]
    assert saved == {"kind": "classifier", "input_format": "chat", "max_length": 48,
                     "trained_on": sorted(doc["train_tasks"])}
    ev = evaluate(tmp_path / "ev", out / "model", data)  # auto: the format and length it was trained with
    assert ev["config"]["model"]["max_length"] == 48 and ev["model"]["input"]["input_format"] == "chat"
    ran = {(r["split"], r["pair_id"]): r["reward_chosen"] for r in predictions(out) if r["task"] == "writingprompts"}
    again = {(r["split"], r["pair_id"]): r["reward_chosen"] for r in predictions(tmp_path / "ev")}
    assert again == pytest.approx(ran, abs=1e-5)
    # the same classifier read as a text pair: another rendering, other numbers, recorded as such
    pair = evaluate(tmp_path / "pair", out / "model", data, "--input-format", "pair")
    assert pair["model"]["input"]["template_sha256"] != ev["model"]["input"]["template_sha256"]
    assert pair["model"]["input"]["examples"]["writingprompts"]["chosen"].count("<|user|>") == 0


def test_run_trains_a_dpo_policy_against_its_start_and_evaluate_reads_it_back(tmp_path, data, lms):
    out = tmp_path / "run-dpo"
    result = invoke(["run", "--holdout", "writingprompts", "--data", str(data), "--model", str(lms[0]),
                     "--model-kind", "dpo", "--mixed-precision", "no", "--dpo-beta", "0.5", "--out", str(out),
                     *FAST, "--epochs", "2"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "results.json").read_text())
    assert not schema_problems(doc)
    training = doc["model"]["training"]
    assert training["objective"] == "dpo" and training["ref_model"] == str(lms[0]) and training["steps"] > 0
    # the policy started as its own reference: every implicit reward started at 0, the loss at log 2
    assert training["train_loss"] < 0.6931 and training["best_validation_accuracy"] is not None
    assert doc["model"]["model_kind"] == "dpo" and doc["model"]["path"] == "model/"
    assert doc["model"]["input"]["dpo"]["ref_model"] == str(lms[0]) and doc["config"]["model"]["max_length"] == 48
    saved = json.loads((out / "model" / "config.json").read_text())["rmbench_input"]
    assert saved == {"kind": "dpo", "input_format": "chat", "max_length": 48, "ref_model": str(lms[0]),
                     "dpo_beta": 0.5, "trained_on": sorted(doc["train_tasks"])}
    # evaluate reads kind, reference, beta and length back from the saved policy: the same rewards
    ev = evaluate(tmp_path / "ev", out / "model", data)
    assert ev["model"]["model_kind"] == "dpo" and ev["model"]["input"]["dpo"] == doc["model"]["input"]["dpo"]
    assert ev["config"]["model"]["dpo_beta"] == 0.5
    ran = {(r["split"], r["pair_id"]): r["reward_chosen"] for r in predictions(out) if r["task"] == "writingprompts"}
    again = {(r["split"], r["pair_id"]): r["reward_chosen"] for r in predictions(tmp_path / "ev")}
    assert again == pytest.approx(ran, abs=1e-5) and any(abs(v) > 1e-3 for v in ran.values())
    shown = invoke(["models", str(out / "model")])
    assert shown.exit_code == 0 and "kind dpo" in shown.output and f"dpo reference: {lms[0]}, beta 0.5" in shown.output
    # a beta given on the command line wins: it scales every reward, and ranks them the same
    evaluate(tmp_path / "ev2", out / "model", data, "--dpo-beta", "0.1")
    scaled = {(r["split"], r["pair_id"]): r["reward_chosen"] for r in predictions(tmp_path / "ev2")}
    assert scaled == pytest.approx({k: v / 5 for k, v in ran.items()}, abs=1e-5)
    # the card says what it is, and its code gives the implicit reward rmbench scores
    card = (out / "model" / "README.md").read_text()
    assert "pipeline_tag: text-generation" in card and "A DPO policy (`AutoModelForCausalLM`)" in card
    code = card.split("```python\n", 1)[1].split("```", 1)[0]
    import torch

    from rmbench.model.dpo import DpoScorer
    from rmbench.model.load import load_causal_lm

    policy, tok = load_causal_lm(str(out / "model"))
    post, response = "A post about rain", "good kind careful words"
    scope = {"torch": torch, "load_causal_lm": load_causal_lm, "model": policy, "tokenizer": tok, "post": post,
             "response": response}
    exec(code, scope)
    scorer = DpoScorer(policy, load_causal_lm(str(lms[0]))[0], tok, beta=0.5, max_length=512)
    assert scope["reward"] == pytest.approx(scorer.score([post], [response])[0], abs=1e-4)


def test_a_dpo_run_with_lora_saves_a_merged_policy_that_names_its_reference_from_anywhere(tmp_path, data, lms,
                                                                                         monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(lms[0], tmp_path / "start")  # a reference named by a relative path
    result = invoke(["run", "--holdout", "writingprompts", "--data", str(data), "--model", "start", "--model-kind",
                     "dpo", "--lora", "--out", "run", *FAST])
    assert result.exit_code == 0, result.output
    saved = tmp_path / "run" / "model"
    assert not list(saved.glob("adapter_*")) and (saved / "model.safetensors").is_file()  # merged
    assert json.loads((saved / "config.json").read_text())["rmbench_input"]["ref_model"] == str(tmp_path / "start")
    monkeypatch.chdir(tmp_path / "run")
    ev = evaluate(tmp_path / "ev", saved, data)  # another folder: the reference is still found
    assert ev["model"]["input"]["dpo"]["ref_model"] == str(tmp_path / "start")


def test_dpo_refuses_an_encoder_and_the_classifier_only_training_settings(tmp_path, data, lms, tiny_bert_dir):
    encoder = tiny_bert_dir(tmp_path / "bert")
    result = CliRunner().invoke(main, ["run", "--holdout", "writingprompts", "--data", str(data), "--model",
                                       str(encoder), "--model-kind", "dpo", "--out", str(tmp_path / "x"), *QUICK])
    assert result.exit_code == 1 and "needs a causal LM with a chat template" in result.output
    result = CliRunner().invoke(main, ["run", "--holdout", "writingprompts", "--data", str(data), "--model",
                                       str(lms[0]), "--model-kind", "dpo", "--set", "train.debias=poe",
                                       "--out", str(tmp_path / "x"), *QUICK])
    assert result.exit_code == 1 and "train.debias=poe" in result.output and "--model-kind dpo" in result.output
    assert not (tmp_path / "x").exists()  # refused before the run directory, not after loading the model


def test_run_scores_a_judge_without_training(tmp_path, data, lms):
    out = tmp_path / "run-judge"
    result = invoke(["run", "--holdout", "writingprompts", "--data", str(data), "--model", str(lms[0]),
                     "--model-kind", "judge", "--max-length", "256", "--out", str(out), *QUICK])
    assert result.exit_code == 0, result.output
    assert not (out / "model").exists()
    assert json.loads((out / "train_info.json").read_text())["trained"] is False
    doc = json.loads((out / "results.json").read_text())
    assert doc["results"]["askacademia"]["role"] == "in_domain" and "judge" in doc["results"]["askacademia"]["splits"]["test"]


def test_a_headless_checkpoint_is_not_scored_as_a_classifier(tmp_path, data, tiny_llama_classifier_dir):
    backbone = tiny_llama_classifier_dir(tmp_path / "backbone", head=False)
    result = CliRunner().invoke(main, ["evaluate", "--model", str(backbone), "--model-kind", "classifier",
                                       "--data", str(data), "--out", str(tmp_path / "x"), *QUICK])
    assert result.exit_code != 0 and "no trained reward head" in result.output
    assert not (tmp_path / "x").exists()


def test_models_lists_presets_and_resolves_a_directory(tmp_path, lms):
    result = invoke(["models"])
    assert result.exit_code == 0 and "armorm" in result.output and "smollm2" in result.output
    shown = invoke(["models", str(lms[0])])
    assert shown.exit_code == 0 and "kind judge" in shown.output.replace("\n", " ")


def test_a_model_dequantised_from_gguf_records_its_source(tmp_path, data, lms):
    import shutil

    copy = tmp_path / "from-gguf"
    shutil.copytree(lms[0], copy)
    marker = {"gguf": "m.Q4_1.gguf", "size": 123, "sha256": "0" * 64, "transformers": "x", "dtype": "float32"}
    (copy / "rmbench-gguf.json").write_text(json.dumps(marker))
    doc = evaluate(tmp_path / "g", copy, data, "--max-length", "256", "--limit", "2")
    assert doc["model"]["source"] == marker


@pytest.mark.parametrize("kind", ["judge", "dpo"])
def test_a_classifier_is_not_scored_as_a_language_model(tmp_path, data, tiny_llama_classifier_dir, kind, lms):
    """Its lm_head would be random: refused in one line, nothing left behind."""
    clf = tiny_llama_classifier_dir(tmp_path / "clf")
    extra = ["--ref-model", str(lms[1])] if kind == "dpo" else []
    result = CliRunner().invoke(main, ["evaluate", "--model", str(clf), "--model-kind", kind, *extra,
                                       "--data", str(data), "--out", str(tmp_path / "x"), *QUICK])
    assert result.exit_code == 1 and "no trained language-model weights for lm_head.weight" in result.output
    assert not (tmp_path / "x").exists()


def test_an_interrupted_dpo_run_resumes_to_the_policy_an_uninterrupted_run_trains(tmp_path, data, lms,
                                                                                 stop_after_first_checkpoint):
    def args(out):
        return ["run", "--holdout", "writingprompts", "--data", str(data), "--model", str(lms[0]), "--model-kind",
                "dpo", "--mixed-precision", "no", "--out", str(out), *FAST, "--epochs", "2"]

    whole = invoke(args(tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output
    stop_after_first_checkpoint()
    cut = CliRunner().invoke(main, args(tmp_path / "cut"))
    assert cut.exit_code != 0 and list((tmp_path / "cut" / "checkpoints").glob("checkpoint-*"))
    stop_after_first_checkpoint.undo()
    resumed = invoke(args(tmp_path / "cut") + ["--resume"])
    assert resumed.exit_code == 0, resumed.output
    info = json.loads((tmp_path / "cut" / "train_info.json").read_text())
    assert info["objective"] == "dpo" and info["resumed_from"].startswith("checkpoint-")
    # the reference pass is done again on resume, and the rest of training continues from the checkpoint
    first = {(r["split"], r["pair_id"]): r["reward_chosen"] for r in predictions(tmp_path / "whole")}
    again = {(r["split"], r["pair_id"]): r["reward_chosen"] for r in predictions(tmp_path / "cut")}
    assert again == pytest.approx(first, abs=1e-4) and any(abs(v) > 1e-3 for v in first.values())
