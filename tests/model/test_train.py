"""The Bradley-Terry loss by hand, the pair collator, and training under a 2-process `accelerate launch`."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import warnings

import pytest
import torch

from rmbench.model.inputs import PairEncoder
from rmbench.model.train import PairCollator, bradley_terry_loss, encode_pairs


def test_loss_on_a_hand_checked_example():
    rc, rr = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    # -log sigma(1) = log(1 + e^-1) = 0.31326; -log sigma(-1) = log(1 + e) = 1.31326
    expected = (math.log(1 + math.exp(-1)) + math.log(1 + math.e)) / 2
    assert bradley_terry_loss(rc, rr).item() == pytest.approx(expected, abs=1e-6)
    # a margin of 1 on the first pair: -log sigma(0) = log 2
    margin = torch.tensor([1.0, 0.0])
    assert bradley_terry_loss(rc, rr, margin).item() == pytest.approx((math.log(2) + math.log(1 + math.e)) / 2, abs=1e-6)
    # centering adds coef * mean((rc + rr)^2) = 0.1 * (9 + 1) / 2
    assert bradley_terry_loss(rc, rr, center_coef=0.1).item() == pytest.approx(expected + 0.5, abs=1e-6)


def test_collator_puts_chosen_then_rejected_in_one_padded_batch(tiny_bert):
    _, tok = tiny_bert()
    pairs = [{"prompt": "q one", "chosen": "a b c d e", "rejected": "f", "score_ratio": math.e},
             {"prompt": "q two", "chosen": "g", "rejected": "h i", "score_ratio": 2.0}]
    rows, cut = encode_pairs(pairs, PairEncoder(tok, 32), margin_weight=1.0)
    assert cut == {"prompt": 0, "response": 0}
    assert rows[0]["margin"] == pytest.approx(1.0)
    batch = PairCollator(tok.pad_token_id, True)(rows)
    assert batch["input_ids"].shape[0] == 4
    assert batch["input_ids"][0].tolist()[: len(rows[0]["chosen_input_ids"])] == rows[0]["chosen_input_ids"]
    assert batch["input_ids"][2].tolist()[: len(rows[0]["rejected_input_ids"])] == rows[0]["rejected_input_ids"]
    assert batch["attention_mask"].sum(1).tolist() == [len(r[f"{s}_input_ids"]) for s in ("chosen", "rejected") for r in rows]


@pytest.mark.slow
def test_two_process_accelerate_launch_trains(tmp_path, tiny_bert_dir, write_prepared):
    if not shutil.which("accelerate"):
        pytest.skip("accelerate launcher not on PATH")
    data = write_prepared(tmp_path / "data")
    model = tiny_bert_dir(tmp_path / "tiny")
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    # `--cpu` selects accelerate's single-process launcher; the multi-process (torchrun)
    # launcher on a machine without GPUs gives CPU processes joined by gloo.
    cmd = [shutil.which("accelerate"), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "0",
           "-m", "rmbench.cli", "run", "--holdout", "writingprompts", "--data", str(data), "--model", str(model),
           "--max-length", "48", "--epochs", "1", "--batch-size", "4", "--out", str(out), "--quiet",
           "--set", "eval.bootstrap_samples=100", "--set", "train.gradient_accumulation_steps=1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads((out / "train_info.json").read_text())
    assert info["world_size"] == 2
    # 96 pairs, 4 per process per step, 2 processes: 12 optimizer steps in one epoch
    assert info["steps"] == 12
    results = json.loads((out / "results.json").read_text())
    assert results["results"]["writingprompts"]["splits"]["test"]["n"] == 24
    from transformers import AutoModelForSequenceClassification

    assert AutoModelForSequenceClassification.from_pretrained(out / "model").config.num_labels == 1


def test_lora_with_gradient_checkpointing_saves_a_plain_merged_model(tmp_path, tiny_bert_dir, make_pairs):
    from safetensors import safe_open
    from transformers import AutoModelForSequenceClassification

    from rmbench.run.config import RunConfig
    from rmbench.model.train import fit

    cfg = RunConfig()
    cfg.model.name = str(tiny_bert_dir(tmp_path / "tiny"))
    cfg.model.max_length, cfg.model.lora, cfg.model.gradient_checkpointing = 32, True, True
    cfg.train.epochs, cfg.train.batch_size, cfg.train.gradient_accumulation_steps = 1.0, 8, 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = fit(cfg, make_pairs("askacademia", "train", 16), make_pairs("askacademia", "validation", 8),
                   tmp_path / "work", tmp_path / "model", progress=False)
    assert info["steps"] == 2
    # peft's get_peft_model calls transformers' renamed gradient_checkpointing API: not the user's to act on
    assert not [str(w.message) for w in caught if "checkpointing" in str(w.message)]
    with safe_open(str(tmp_path / "model" / "model.safetensors"), "pt") as f:
        assert not [k for k in f.keys() if "lora" in k]
    assert AutoModelForSequenceClassification.from_pretrained(tmp_path / "model").config.num_labels == 1


def test_report_to_reaches_training_arguments_and_a_typo_is_a_config_error(monkeypatch):
    import transformers.integrations.integration_utils as iu

    from rmbench.errors import ConfigError
    from rmbench.model.config import ModelConfig, TrainConfig
    from rmbench.model.train import training_arguments

    assert training_arguments("out", TrainConfig(), ModelConfig(), 16, 0).report_to in ([], "none", ["none"])
    # wandb is not installed in the test environment: pretend it is, to see the value arrive
    monkeypatch.setattr(iu, "get_available_reporting_integrations", lambda: ["wandb", "tensorboard"])
    args = training_arguments("out", TrainConfig(report_to="WandB, tensorboard"), ModelConfig(), 16, 0)
    assert args.report_to == ["wandb", "tensorboard"]
    with pytest.raises(ConfigError, match="'tensorbord'.*Did you mean tensorboard"):
        training_arguments("out", TrainConfig(report_to="tensorbord"), ModelConfig(), 16, 0)
    monkeypatch.setattr(iu, "get_available_reporting_integrations", lambda: [])
    with pytest.raises(ConfigError, match="not installed here"):
        training_arguments("out", TrainConfig(report_to="mlflow"), ModelConfig(), 16, 0)


def _fit_small(tmp_path, tiny_bert_dir, make_pairs, **train):
    from rmbench.model.train import fit
    from rmbench.run.config import RunConfig

    cfg = RunConfig()
    cfg.model.name = str(tiny_bert_dir(tmp_path / "tiny"))
    cfg.model.max_length = 32
    cfg.train.epochs, cfg.train.batch_size = 1.0, 4
    for k, v in train.items():
        setattr(cfg.train, k, v)
    info = fit(cfg, make_pairs("askacademia", "train", 32), make_pairs("askacademia", "validation", 8),
               tmp_path / "work", tmp_path / "work" / "model", progress=False)
    return cfg, info


def test_the_log_history_has_the_loss_of_every_logging_step(tmp_path, tiny_bert_dir, make_pairs):
    from rmbench.eval.plots_run import training_curve
    from rmbench.model.train import training_arguments
    from rmbench.model.trainlog import LOG_FILE, read_log

    cfg, info = _fit_small(tmp_path, tiny_bert_dir, make_pairs)
    args = training_arguments("x", cfg.train, cfg.model, 32, 0)
    log = read_log(tmp_path / "work" / LOG_FILE)
    steps = info["steps"]
    assert [e["step"] for e in log if "loss" in e] == list(range(args.logging_steps, steps + 1, args.logging_steps))
    assert all(math.isfinite(e["loss"]) for e in log if "loss" in e)
    # a validation at every eval step, and the closing summary with the mean training loss
    assert [e["step"] for e in log if "eval_accuracy" in e] == list(range(args.eval_steps, steps + 1, args.eval_steps))
    assert log[-1]["train_loss"] == pytest.approx(info["train_loss"], abs=1e-6)
    png = tmp_path / "training.png"
    assert training_curve(log, png) == "training.png" and png.read_bytes()[:4] == b"\x89PNG"


def test_report_to_tensorboard_writes_event_files_in_the_run_directory(tmp_path, tiny_bert_dir, make_pairs):
    pytest.importorskip("tensorboard", reason="tensorboard is not installed (pip install tensorboard)")
    from rmbench.model.trainlog import TENSORBOARD_DIR

    _fit_small(tmp_path, tiny_bert_dir, make_pairs, report_to="tensorboard")
    events = list((tmp_path / "work" / TENSORBOARD_DIR).glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0


def test_the_run_says_which_precision_this_machine_gets(monkeypatch, tmp_path):
    """--mixed-precision auto follows the CPU's flags, and the line says which it got and why."""
    import rmbench.machine
    import rmbench.model.train as T

    monkeypatch.setattr(T.torch.cuda, "is_available", lambda: False)
    flags = tmp_path / "cpuinfo"
    monkeypatch.setattr(rmbench.machine, "CPUINFO", flags)
    flags.write_text("flags\t: fpu sse avx2 avx512f\n")
    line = T.precision_note("auto")
    assert line.startswith("precision: fp32") and "no fast bf16" in line
    flags.write_text("flags\t: fpu avx512f avx512_bf16 amx_bf16\n")
    assert T.precision_note("auto").startswith("precision: bf16 autocast for training on this CPU")
    assert "mixed_precision=no" in T.precision_note("no")
    assert T.precision_note("auto").endswith("scoring in fp32")
    assert T.precision_note("auto", "bfloat16").endswith("scoring in bfloat16 (--dtype)")
    assert T.precision_note("no", "bfloat16").startswith("precision: fp32 for training, scoring in bfloat16 (--dtype)")
