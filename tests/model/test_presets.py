"""The presets table: it parses, its checks bite, and names resolve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmbench.errors import ConfigError, UnknownModelError
from rmbench.model.load import (check_model_name, load_causal_lm, load_reward_model, load_tokenizer,
                                resolve_model_path)
from rmbench.model.presets import KINDS, find_preset, load_presets, presets


def test_the_table_has_the_named_reward_models():
    table = presets()
    hub = {p.hub_id for p in table.values()}
    for wanted in ("Skywork/Skywork-Reward-V2-Llama-3.1-8B", "RLHFlow/ArmoRM-Llama3-8B-v0.1", "infly/INF-ORM-Llama3.1-70B"):
        assert wanted in hub
    assert {p.kind for p in table.values()} >= set(KINDS)  # a classifier, a dpo policy and a judge
    assert find_preset("zephyr").ref_model  # a dpo preset names its reference


@pytest.mark.parametrize("name", ["armorm", "ARMORM", "armorm-llama3-8b", "rlhflow/armorm-llama3-8b-v0.1"])
def test_alias_name_and_hub_id_find_the_same_preset(name):
    assert find_preset(name).name == "armorm-llama3-8b"


def test_unknown_names_are_not_presets():
    assert find_preset("my-org/my-rm") is None and find_preset("runs/x/model") is None


def test_package_presets_resolve_to_their_directory():
    assert (Path(resolve_model_path("minilm")) / "config.json").is_file()
    assert resolve_model_path("skywork-v2") == "Skywork/Skywork-Reward-V2-Llama-3.1-8B"
    assert resolve_model_path("some/hub-id") == "some/hub-id"
    check_model_name("armorm")  # a hub preset passes the offline check


def test_a_typo_suggests_the_preset(tmp_path):
    with pytest.raises(UnknownModelError, match="Did you mean smollm2"):
        check_model_name("smolm2")
    with pytest.raises(UnknownModelError, match="no such file or directory"):
        check_model_name(str(tmp_path / "nothing-here"))
    check_model_name("gpt2")  # a bare hub id far from every preset is left to the hub


def test_a_local_path_that_is_not_a_model_says_what_it_is_before_anything_runs(tmp_path):
    """A run folder holds a config.json too (its settings): it used to pass the early check and
    fail after data preparation with a tokenizer error; now it names the model inside it."""
    run = tmp_path / "run"
    (run / "model").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"data": {}, "model": {}, "train": {}}))
    (run / "results.json").write_text("{}")
    (run / "model" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(UnknownModelError, match=f"a run folder, not a model: its trained model is {run / 'model'}"):
        check_model_name(str(run))
    check_model_name(str(run / "model"))  # passes the check; loading is from_pretrained's
    (run / "results.json").unlink()  # not a run: a folder whose config.json is not a model's
    with pytest.raises(UnknownModelError, match="names no model_type or architectures"):
        check_model_name(str(run))
    (run / "model" / "config.json").write_text("{")
    with pytest.raises(UnknownModelError, match="config.json cannot be read"):
        check_model_name(str(run / "model"))
    with pytest.raises(UnknownModelError, match="a directory without config.json"):
        check_model_name(str(tmp_path))
    with pytest.raises(UnknownModelError, match="a file, not a model directory"):
        check_model_name(str(run / "config.json"))
    (run / "results.json").write_text("{}")
    for load in (load_tokenizer, load_reward_model, load_causal_lm):  # the loaders say the same
        with pytest.raises(UnknownModelError, match="a run folder"):
            load(str(run))


@pytest.mark.parametrize("body, error", [
    ("x:\n  hub_id: a/b\n  input_format: chat\n  colour: red\n", "unknown key"),
    ("x:\n  hub_id: a/b\n  package: p/d\n  input_format: chat\n", "exactly one"),
    ("x:\n  hub_id: a/b\n  input_format: chat\n  kind: ranker\n", "kind"),
    ("x:\n  hub_id: a/b\n", "input_format"),
    ("x:\n  hub_id: a/b\n  input_format: chat\ny:\n  hub_id: c/d\n  input_format: chat\n  aliases: [x]\n", "names both"),
    ("x:\n  hub_id: a/b\n  input_format: chat\n  kind: judge\n  ref_model: c/d\n", "ref_model"),
    ("x:\n  hub_id: a/b\n  input_format: text\n  kind: judge\n", "input_format text is a judge's"),
    ("x:\n  hub_id: a/b\n  input_format: chat\n  kind: judge\n  judge_prompt: missing.yaml\n", "names a file"),
    ("x:\n  hub_id: a/b\n  input_format: chat\n  kind: classifier\n  judge_prompt: presets.yaml\n", "is for kind judge"),
])
def test_malformed_tables_are_errors(tmp_path, body, error):
    path = tmp_path / "presets.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=error):
        load_presets(path)
