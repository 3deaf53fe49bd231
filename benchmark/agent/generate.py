"""Loading a causal LM, sampling stories with proper stopping, and scoring token log-probs."""

from __future__ import annotations

from dataclasses import dataclass

from rmbench.agent.format import end_of_turn_id, format_prompt
from rmbench.console import progress
from rmbench.fields import opt


@dataclass(frozen=True)
class GenerationConfig:
    max_new_tokens: int = opt(200, "longest story, in tokens; longer ones are cut (and flagged truncated)")
    temperature: float = opt(1.0, "sampling temperature; 1.0 samples the model's own distribution (KL estimates need that)")
    top_p: float = opt(1.0, "nucleus sampling mass; 1.0 keeps every token")
    # Decoding a small model on a CPU is bound by per-step overhead, not arithmetic: one call
    # of 32 stories writes more tokens a second than four calls of 8.
    batch_size: int = opt(32, "prompts per generate() call")


@dataclass(frozen=True)
class Sample:
    text: str
    token_ids: tuple[int, ...]  # completion tokens, including the EOS when the model stopped
    truncated: bool  # hit max_new_tokens without an EOS


def load_causal_lm(name_or_path: str, device: str | None = None):
    """Model and tokenizer, ready to generate: ``rmbench.model.load``'s loader (presets, a
    clear error for a missing lm_head), then left padding and the device."""
    import torch

    from rmbench.model.load import load_causal_lm as load

    model, tok = load(name_or_path)
    tok.padding_side = "left"  # decoder-only models continue from the last real token
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device).eval()
    return model, tok


def _eos_ids(model, tok) -> list[int]:
    ids = model.generation_config.eos_token_id
    ids = [] if ids is None else ([ids] if isinstance(ids, int) else list(ids))
    for extra in (tok.eos_token_id, end_of_turn_id(tok)):  # a chat model also stops at end of turn
        if extra is not None and extra not in ids:
            ids.append(extra)
    return ids


def sample(model, tok, prompts: list[str], cfg: GenerationConfig, *, n: int = 1, seed: int = 0,
           desc: str = "generating") -> list[list[Sample]]:
    """``n`` stories per raw prompt; each stops at EOS or after ``max_new_tokens``."""
    import torch

    tok.padding_side = "left"
    eos = _eos_ids(model, tok)
    device = next(model.parameters()).device
    torch.manual_seed(seed)
    out: list[list[Sample]] = [[] for _ in prompts]
    jobs = [(i, format_prompt(p, tok)) for i, p in enumerate(prompts) for _ in range(n)]
    with progress(desc) as bar, torch.no_grad():
        task = bar.add_task(desc, total=len(jobs))
        for start in range(0, len(jobs), cfg.batch_size):
            chunk = jobs[start:start + cfg.batch_size]
            enc = tok([text for _, text in chunk], return_tensors="pt", padding=True, add_special_tokens=False).to(device)
            gen = model.generate(**enc, do_sample=True, temperature=cfg.temperature, top_p=cfg.top_p, top_k=0,
                                 max_new_tokens=cfg.max_new_tokens, eos_token_id=eos, pad_token_id=tok.pad_token_id)
            for (i, _), row in zip(chunk, gen[:, enc["input_ids"].shape[1]:].tolist()):
                ids = []
                for t in row:
                    ids.append(t)
                    if t in eos:
                        break
                stopped = bool(ids) and ids[-1] in eos
                text = tok.decode(ids[:-1] if stopped else ids, skip_special_tokens=True).strip()
                out[i].append(Sample(text=text, token_ids=tuple(ids), truncated=not stopped))
            bar.advance(task, len(chunk))
    return out


def sequence_logprobs(model, tok, prompts: list[str], completions: list[tuple[int, ...]], *,
                      batch_size: int = 8, desc: str = "scoring") -> list[float]:
    """log p(completion | formatted prompt), summed over the completion's tokens."""
    import torch

    device = next(model.parameters()).device
    out: list[float] = []
    with progress(desc) as bar, torch.no_grad():
        task = bar.add_task(desc, total=len(prompts))
        for start in range(0, len(prompts), batch_size):
            ids, mask, spans = completion_batch(tok, prompts[start:start + batch_size],
                                                completions[start:start + batch_size], device)
            logits = model(input_ids=ids, attention_mask=mask).logits.float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
            for row, (a, b) in zip(logp, spans):
                out.append(float(row[a - 1:b - 1].sum()))
            bar.advance(task, len(spans))
    return out


def completion_batch(tok, prompts: list[str], completions: list[tuple[int, ...]], device):
    """Formatted prompt + completion token ids, right-padded, with each completion's (start, end)."""
    import torch

    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    rows, spans = [], []
    for p, c in zip(prompts, completions):
        pids = tok(format_prompt(p, tok), add_special_tokens=False)["input_ids"]
        rows.append(pids + list(c))
        spans.append((len(pids), len(pids) + len(c)))
    width = max(len(r) for r in rows)
    # Right padding: positions stay 0..len-1, as in generation's real tokens.
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=device)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=device)
    return ids, mask, spans
