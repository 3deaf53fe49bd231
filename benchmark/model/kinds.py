"""Which kind of reward model ``--model`` is, how it reads its input, and its scorer.

``resolve_spec`` settles every ``auto`` of the model section before a run starts (the
resolved values are what config.json and results.json record):

- kind: the preset's; else a checkpoint whose architecture has a classification head is a
  ``classifier``, a causal LM is ``dpo`` when a reference model is given, else ``judge``, and an
  encoder-decoder LM (SteamSHP's T5) is a ``judge``.
  ``rmbench run`` trains classifiers (and, with ``--model-kind dpo``, DPO policies), so
  there ``auto`` is ``classifier``. A DPO policy's reference: ``--ref-model``, else the one
  its config.json names (rmbench trained it), else the preset's; in training, the start model.
- input format: what rmbench trained the model with (``rmbench_input`` in its config.json),
  else the preset's, else the chat template when the tokenizer has one, else the text pair;
  a judge's is its prompt's (``chat``, or ``text`` for a fixed format such as SteamSHP's).
- max length: training 128 (``TRAIN_MAX_LENGTH``, both trained kinds); scoring the trained-with value, else
  the preset's, else the model's own context, each capped by ``model.max_length_cap``.
- dtype: the preset's, else float32.

``build_scorer`` loads the model(s) of a spec; ``input_provenance`` is the results.json
record of how the inputs were rendered (enough to render the same tokens elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rmbench.errors import ConfigError
from rmbench.model.chat import INPUT_FORMATS, has_chat_template, rendered_text, resolve_input_format, template_sha256
from rmbench.model.load import load_tokenizer, resolve_model_path
from rmbench.model.presets import KINDS, DTYPES, Preset, find_preset

# 128: a CPU training step costs ~3x less than at 256 (see rmbench.model.config).
TRAIN_MAX_LENGTH = 128
# A tokenizer without a real limit reports a huge sentinel (1e30) as model_max_length.
NO_LIMIT = 1_000_000
META_KEY = "rmbench_input"  # what rmbench writes into the config.json of a model it trained


@dataclass
class ModelSpec:
    name: str
    path: str
    kind: str
    input_format: str
    max_length: int
    dtype: str
    preset: Preset | None = None
    ref_model: str | None = None
    output: str = "logits"
    trained_on: tuple[str, ...] = ()  # tasks whose training pairs rmbench trained it on (its config.json)


def _config(path: str, trust: bool):
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(path, trust_remote_code=trust)
    except (OSError, ValueError):
        return None  # the loader raises the clear error later


def own_context(config, tokenizer) -> int | None:
    limits = [getattr(config, k, None) for k in ("max_position_embeddings", "n_positions")] if config else []
    tok_max = getattr(tokenizer, "model_max_length", None)
    limits.append(tok_max if tok_max and tok_max < NO_LIMIT else None)
    limits = [int(x) for x in limits if isinstance(x, int) and x > 0]
    return min(limits) if limits else None


def infer_kind(config, ref_model: str | None) -> str:
    archs = list(getattr(config, "architectures", None) or [])
    if any("SequenceClassification" in a or "RewardModel" in a for a in archs):
        return "classifier"
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs):
        return "dpo" if ref_model else "judge"
    if getattr(config, "is_encoder_decoder", False):  # a T5 (SteamSHP) answers "A" or "B": a judge
        return "judge"
    return "classifier"


def resolve_spec(mcfg, *, training: bool, console=None, beta_given: bool = True) -> ModelSpec:
    """Settle ``mcfg``'s auto values (and write them back into ``mcfg``). ``beta_given``
    False: a DPO policy rmbench trained is scored with the beta its config.json records."""
    for key, allowed in (("kind", ("auto", *KINDS)), ("input_format", (*INPUT_FORMATS, "text")),  # text: a judge's
                         ("dtype", ("auto", *DTYPES)),
                         ("judge_backend", ("auto", "transformers", "vllm"))):
        if getattr(mcfg, key) not in allowed:
            raise ConfigError(f"model.{key} {getattr(mcfg, key)!r}: one of {', '.join(allowed)}")
    preset = find_preset(mcfg.name)
    path = resolve_model_path(mcfg.name, console)
    config = _config(path, mcfg.trust_remote_code)
    if config is None:
        load_tokenizer(mcfg.name, mcfg.trust_remote_code)  # raises the loader's clear error
        raise ConfigError(f"{mcfg.name!r} has a tokenizer but no readable config.json")
    meta = getattr(config, META_KEY, None) or {}
    # a policy rmbench trained by DPO names its reference in its config.json
    ref_model = mcfg.ref_model or meta.get("ref_model") or (preset.ref_model if preset else None) or None
    kind = mcfg.kind
    if kind == "auto":
        kind = (preset.kind if preset and preset.kind else None) or (
            "classifier" if training else meta.get("kind") or infer_kind(config, ref_model))
    if kind == "dpo" and not ref_model:
        if not training:
            raise ConfigError("--model-kind dpo needs --ref-model (the SFT model the DPO policy started from)")
        ref_model = mcfg.name  # DPO training starts from this model, which stays the frozen reference
    tokenizer = load_tokenizer(mcfg.name, mcfg.trust_remote_code)
    fmt = mcfg.input_format
    if fmt == "auto":
        fmt = meta.get("input_format") or (preset.input_format if preset else "auto")
    if kind == "judge":  # the judge prompt says how it renders: a chat turn, or a fixed text format
        from rmbench.model.judge import PROMPT_DIR, prompt_format

        if not mcfg.judge_prompt and preset and preset.judge_prompt:
            mcfg.judge_prompt = str(PROMPT_DIR / preset.judge_prompt)
        fmt = prompt_format(mcfg.judge_prompt or None)
    else:
        fmt = resolve_input_format(tokenizer, fmt)
    if kind == "dpo" and fmt != "chat":
        if not has_chat_template(tokenizer):
            raise ConfigError(f"--model-kind dpo needs a causal LM with a chat template, and {mcfg.name!r} has none "
                              "(an encoder like minilm is no policy: try --model smollm2)")
        raise ConfigError("--model-kind dpo reads the response span of the chat template: use --input-format chat")
    max_length = mcfg.max_length
    if max_length <= 0:
        if training and kind in ("classifier", "dpo"):
            max_length = TRAIN_MAX_LENGTH
        else:
            known = meta.get("max_length") or (preset.max_length if preset else None) or own_context(config, tokenizer)
            max_length = min(int(known or mcfg.max_length_cap), mcfg.max_length_cap)
    dtype = mcfg.dtype if mcfg.dtype != "auto" else (preset.dtype if preset else "float32")
    mcfg.kind, mcfg.input_format, mcfg.max_length, mcfg.dtype = kind, fmt, int(max_length), dtype
    if kind == "dpo":
        mcfg.ref_model = ref_model
        if not beta_given and meta.get("dpo_beta"):  # beta scales the rewards: the run's calibration, again
            mcfg.dpo_beta = float(meta["dpo_beta"])
    return ModelSpec(mcfg.name, path, kind, fmt, int(max_length), dtype, preset, ref_model,
                     preset.output if preset else "logits", tuple(meta.get("trained_on") or ()))


def build_scorer(spec: ModelSpec, mcfg, batch_size: int, console=None):
    """The scorer of ``spec``: RewardScorer, DpoScorer or JudgeScorer."""
    from rmbench.model.load import load_causal_lm, load_reward_model

    trust = mcfg.trust_remote_code
    if spec.kind == "classifier":
        from rmbench.model.scoring import RewardScorer

        model, tok = load_reward_model(spec.name, dtype=spec.dtype, trust_remote_code=trust, for_training=False,
                                       console=console)
        return RewardScorer(model, tok, max_length=spec.max_length, batch_size=batch_size,
                            input_format=spec.input_format, output=spec.output)
    if spec.kind == "dpo":
        from rmbench.model.dpo import DpoScorer

        policy, tok = load_causal_lm(spec.name, dtype=spec.dtype, trust_remote_code=trust, console=console)
        reference, ref_tok = load_causal_lm(spec.ref_model, dtype=spec.dtype, trust_remote_code=trust, console=console)
        if ref_tok.get_vocab() != tok.get_vocab():
            raise ConfigError(f"--ref-model {spec.ref_model!r} has another tokenizer than {spec.name!r}; "
                              "a DPO reference shares its policy's vocabulary")
        return DpoScorer(policy, reference, tok, beta=mcfg.dpo_beta, max_length=spec.max_length,
                         batch_size=batch_size, input_format=spec.input_format)
    from rmbench.model.judge import JudgeScorer, load_prompt
    from rmbench.model.judge_vllm import VllmJudge, vllm_usable

    prompt = load_prompt(mcfg.judge_prompt or None)
    backend = mcfg.judge_backend
    if backend == "vllm" and not vllm_usable():
        raise ConfigError("--judge-backend vllm needs the vllm package and a GPU")
    seq2seq = getattr(_config(spec.path, trust), "is_encoder_decoder", False)
    if backend == "vllm" and seq2seq:  # VllmJudge reads a causal LM's prompt log-probabilities
        raise ConfigError(f"--judge-backend vllm reads causal LMs; {spec.name!r} is an encoder-decoder (use transformers)")
    if backend == "vllm" or (backend == "auto" and vllm_usable() and not seq2seq):
        tok = load_tokenizer(spec.name, trust)
        engine = VllmJudge(spec.path, dtype=spec.dtype, max_length=spec.max_length, trust_remote_code=trust)
        return JudgeScorer(None, tok, prompt=prompt, max_length=spec.max_length, batch_size=batch_size,
                           backend=engine)
    model, tok = load_causal_lm(spec.name, dtype=spec.dtype, trust_remote_code=trust, console=console,
                                seq2seq=True)
    return JudgeScorer(model, tok, prompt=prompt, max_length=spec.max_length, batch_size=batch_size)


def _example(scorer, pair: dict, with_delay: bool) -> dict:
    from rmbench.model.inputs import response_text

    chosen, rejected = response_text(pair, "chosen", with_delay), response_text(pair, "rejected", with_delay)
    tok = scorer.tokenizer
    if scorer.kind == "judge":
        ids = scorer.encoder.encode(pair["prompt"], (chosen, rejected)).input_ids
        return {"pair_id": pair["pair_id"], "chosen_first": rendered_text(tok, ids), "tokens": len(ids)}
    c = scorer.encoder.encode(pair["prompt"], chosen).input_ids
    r = scorer.encoder.encode(pair["prompt"], rejected).input_ids
    return {"pair_id": pair["pair_id"], "chosen": rendered_text(tok, c), "rejected": rendered_text(tok, r),
            "tokens": [len(c), len(r)]}


def input_provenance(spec: ModelSpec, scorer, pairs_by: dict, *, with_delay: bool, mcfg) -> dict:
    """How the inputs were rendered: kind, format, template hash, one example pair per task, ..."""
    model = scorer.model
    first = {}
    for (task, _split), pairs in pairs_by.items():
        if pairs and task not in first:
            first[task] = pairs[0]
    block = {"model_kind": spec.kind, "input_format": spec.input_format, "template_sha256": template_sha256(scorer.encoder),
             "max_length": spec.max_length, "dtype": str(next(model.parameters()).dtype).removeprefix("torch.")
             if model is not None else spec.dtype,
             "attn_implementation": getattr(model.config, "_attn_implementation", None) if model is not None else "vllm",
             "batch_size": scorer.batch_size, "preset": spec.preset.name if spec.preset else None,
             "examples": {t: _example(scorer, p, with_delay) for t, p in sorted(first.items())}}
    if spec.kind == "classifier":
        block["output"] = spec.output
    if spec.kind == "dpo":
        from rmbench.model.load import weights_sha256

        ref = Path(resolve_model_path(spec.ref_model))
        block["dpo"] = {"ref_model": spec.ref_model, "beta": mcfg.dpo_beta,
                        "ref_weights_sha256": weights_sha256(ref) if ref.is_dir() else None}
    if spec.kind == "judge":
        p = scorer.prompt
        block["judge"] = {"prompt_version": p.version, "prompt_sha256": p.sha256, "labels": list(p.labels),
                          "label_token_ids": scorer.encoder.label_ids, "backend": scorer.backend.name,
                          "orders": ["chosen_first", "chosen_second"]}
    return block
