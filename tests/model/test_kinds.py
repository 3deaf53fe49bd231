"""resolve_spec: every auto of the model section settled from the preset, the checkpoint and the flags."""

from __future__ import annotations

import json

import pytest

from rmbench.errors import ConfigError
from rmbench.model.config import ModelConfig
from rmbench.model.kinds import TRAIN_MAX_LENGTH, resolve_spec


@pytest.fixture(scope="module")
def dirs(tmp_path_factory, tiny_llama_classifier_dir, tiny_llama_lm_dir, tiny_bert_dir):
    root = tmp_path_factory.mktemp("kinds")
    return {"cls": tiny_llama_classifier_dir(root / "cls"), "lm": tiny_llama_lm_dir(root / "lm"),
            "bert": tiny_bert_dir(root / "bert")}


def spec(name, training=False, **kw):
    return resolve_spec(ModelConfig(name=str(name), **kw), training=training)


def test_the_checkpoint_decides_the_kind(dirs):
    assert spec(dirs["cls"]).kind == "classifier"
    assert spec(dirs["lm"]).kind == "judge"
    assert spec(dirs["lm"], ref_model=str(dirs["lm"])).kind == "dpo"
    assert spec(dirs["lm"], training=True).kind == "classifier"  # run trains a head on any backbone
    with pytest.raises(ConfigError, match="ref-model"):
        spec(dirs["lm"], kind="dpo")


def test_input_format_and_max_length(dirs):
    s = spec(dirs["cls"])
    assert s.input_format == "chat" and s.max_length == 512  # the model's own 512 positions, under the cap
    assert spec(dirs["cls"], max_length_cap=100).max_length == 100
    assert spec(dirs["cls"], input_format="pair", max_length=64).input_format == "pair"
    assert spec(dirs["bert"]).input_format == "pair"
    assert spec(dirs["bert"], training=True).max_length == TRAIN_MAX_LENGTH
    assert spec(dirs["lm"], kind="judge", input_format="pair").input_format == "chat"  # a judge is always asked in chat


def test_values_are_written_back_into_the_config(dirs):
    cfg = ModelConfig(name=str(dirs["cls"]))
    resolve_spec(cfg, training=False)
    assert (cfg.kind, cfg.input_format, cfg.max_length, cfg.dtype) == ("classifier", "chat", 512, "float32")


def test_what_rmbench_trained_with_is_read_back(dirs, tmp_path):
    import shutil

    copy = tmp_path / "trained"
    shutil.copytree(dirs["cls"], copy)
    cfg = json.loads((copy / "config.json").read_text())
    cfg["rmbench_input"] = {"kind": "classifier", "input_format": "pair", "max_length": 96}
    (copy / "config.json").write_text(json.dumps(cfg))
    s = spec(copy)
    assert (s.input_format, s.max_length) == ("pair", 96)


def test_presets_set_dtype_and_kind():
    s = resolve_spec(ModelConfig(name="minilm"), training=True)
    assert s.preset.name == "minilm" and s.dtype == "float32" and s.input_format == "pair"


def test_bad_values_are_errors(dirs):
    with pytest.raises(ConfigError, match="model.kind"):
        spec(dirs["cls"], kind="ranker")
    with pytest.raises(ConfigError, match="model.dtype"):
        spec(dirs["cls"], dtype="int4")
