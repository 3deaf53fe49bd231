"""The model card every trained model of a run gets: written after evaluation, its worked
example what the encoder renders, its numbers those of results.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from rmbench.run.card import render_example


@pytest.fixture(scope="module")
def finished(tmp_path_factory, write_prepared, tiny_bert_dir) -> Path:
    from rmbench.run.config import resolve
    from rmbench.run.harness import run_holdout

    base = tmp_path_factory.mktemp("card")
    data, model = write_prepared(base / "data"), tiny_bert_dir(base / "tiny")
    cfg = resolve(None, {"data.source": str(data), "data.holdout": "writingprompts", "model.name": str(model),
                         "model.max_length": 48, "train.batch_size": 8, "eval.bootstrap_samples": 200})
    run_holdout(cfg, base / "run", progress=False)
    return base / "run"


def card(run: Path) -> tuple[dict, str]:
    _, head, body = (run / "model" / "README.md").read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body


def blocks_after(body: str, heading: str) -> str:
    """The first fenced block after the line starting with ``heading``."""
    rest = body[body.index(heading):]
    m = re.search(r"\n(`{3,})\n(.*?)\n\1\n", rest, flags=re.S)
    return m.group(2)


def test_the_card_exists_with_hub_metadata_and_the_results_of_results_json(finished):
    doc = json.loads((finished / "results.json").read_text())
    head, body = card(finished)
    assert head["library_name"] == "transformers" and "reward-model" in head["tags"] and "synthetic-data" in head["tags"]
    assert "base_model" not in head  # a local base model has no hub id to name
    metrics = {(r["dataset"]["type"], r["dataset"]["split"]): r["metrics"][0]["value"]
               for r in head["model-index"][0]["results"]}
    assert metrics == {(f"rmbench/{t}", s): c["accuracy"] for t, r in doc["results"].items() if r["role"] == "heldout"
                       for s, c in r["splits"].items()}
    for task, r in doc["results"].items():
        for split, c in r["splits"].items():
            row = next(line for line in body.splitlines() if line.startswith(f"| {task} | {r['role']} | {split}"))
            lo, hi = c["ci95"]
            assert f"| {c['n']} | {c['posts']} | {c['accuracy']:.4f} [{lo:.4f}, {hi:.4f}] |" in row
            for name, b in c["baselines"].items():
                assert (f"{b['accuracy']:.4f}" if b["accuracy"] is not None else "n/a") in row
    held = doc["summary"]["heldout_mean_accuracy"]  # None here: the fixture's test splits are too small
    assert f"Held-out mean accuracy on `test`: {'n/a' if held is None else held}" in body
    assert f"`heldout_all` {doc['summary']['headline']['heldout_all']['mean_accuracy']}" in body
    assert doc["data"]["manifest_fingerprint"] in body
    assert all(doc["data"]["tasks"][t]["fingerprints"]["train"] in body for t in doc["train_tasks"])
    assert "Intended use and limits" in body and "token_type_ids" in body


def test_the_worked_example_is_what_the_encoder_renders(finished):
    from transformers import AutoTokenizer

    from rmbench.model.chat import rendered_text
    from rmbench.model.inputs import PairEncoder

    doc = json.loads((finished / "results.json").read_text())
    _, body = card(finished)
    pair_id = re.search(r"Pair `([^`]+)`", body).group(1)
    pair = next(json.loads(line) for line in (Path(doc["data"]["source"]) / "writingprompts" / "test.jsonl")
                .read_text().splitlines() if json.loads(line)["pair_id"] == pair_id)
    tok = AutoTokenizer.from_pretrained(finished / "model")
    encoder = PairEncoder(tok, doc["config"]["model"]["max_length"])
    for side in ("chosen", "rejected"):
        ids = encoder.encode(pair["prompt"], pair[side]).input_ids
        assert blocks_after(body, f"The {side} response") == rendered_text(tok, ids)
    assert blocks_after(body, "Pair `") == pair["prompt"]
    # the rewards quoted are the run's predictions for that pair
    pred = next(json.loads(line) for line in (finished / "predictions.jsonl").read_text().splitlines()
                if json.loads(line)["pair_id"] == pair_id and json.loads(line)["split"] == "test")
    assert f"reward {pred['reward_chosen']:.4f}" in body and f"reward {pred['reward_rejected']:.4f}" in body


def test_the_card_leaves_the_weights_hash_alone(finished):
    from rmbench.model.load import weights_sha256

    doc = json.loads((finished / "results.json").read_text())
    assert weights_sha256(finished / "model") == doc["model"]["weights_sha256"]


def test_a_chat_model_example_is_its_chat_template_rendering(tmp_path, tiny_llama_classifier_dir, make_pairs):
    from transformers import AutoTokenizer

    from rmbench.model.chat import ChatEncoder, rendered_text

    model = tiny_llama_classifier_dir(tmp_path / "llama")
    pair = make_pairs("writingprompts", "test", 1)[0]
    ex = render_example(model, pair, with_delay=False)
    tok = AutoTokenizer.from_pretrained(model)
    assert ex["input_format"] == "chat" and not ex["token_type_ids"]
    assert ex["chosen"]["text"] == rendered_text(tok, ChatEncoder(tok, 512).encode(pair["prompt"], pair["chosen"]).input_ids)
