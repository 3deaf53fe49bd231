"""Loading a causal LM, sampling stories with proper stopping, and scoring token log-probs."""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass

from rmbench.agent.format import end_of_turn_id, format_prompt
from rmbench.console import progress
from rmbench.fields import opt


@dataclass(frozen=True)
class GenerationConfig:
    max_new_tokens: int = opt(200, "longest story, in tokens; longer ones are cut (and flagged truncated)")
    temperature: float = opt(1.0, "sampling temperature; 1.0 samples the model's own distribution (KL estimates need that)")
    top_p: float = opt(1.0, "nucleus sampling mass; 1.0 keeps every token")
    # Decoding a small model on a CPU is bound by per-step overhead (smollm2: ~35 ms a step at
    # any batch size, ~4 ms a story), and a story leaves its batch when it ends, so larger
    # batches pay the overhead for fewer steps: 150 stories of up to 192 tokens took 96 s at 32,
    # 79 s at 64, 67 s at 160 (BENCHMARKS.md). The KV cache grows with it (~0.8 GB at 64).
    batch_size: int = opt(64, "stories decoded together (a larger batch is faster and holds a larger KV cache)")


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


def story_seed(seed: int, prompt: int, k: int) -> int:
    """The random stream of story ``k`` of prompt number ``prompt``: a function of these three only."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{prompt}:{k}".encode()).digest()[:8], "big") >> 1


def sample(model, tok, prompts: list[str], cfg: GenerationConfig, *, n: int = 1, seed: int = 0,
           desc: str = "generating") -> list[list[Sample]]:
    """``n`` stories per raw prompt; each stops at EOS or after ``max_new_tokens``.

    Every story draws its tokens from its own random stream (``story_seed``), so a story is
    the same whatever the batch size and whichever other prompts share its batch (up to the
    last bits of batched arithmetic). A story leaves its batch when it stops (``decode``)."""
    import torch

    tok.padding_side = "left"
    eos = _eos_ids(model, tok)
    device = next(model.parameters()).device
    warp = logit_warpers(cfg)
    out: list[list[Sample | None]] = [[None] * n for _ in prompts]
    jobs = [(i, k, format_prompt(p, tok)) for i, p in enumerate(prompts) for k in range(n)]
    with progress(desc) as bar, torch.no_grad():
        task = bar.add_task(desc, total=len(jobs))
        for start in range(0, len(jobs), cfg.batch_size):
            chunk = jobs[start:start + cfg.batch_size]
            enc = tok([text for *_, text in chunk], return_tensors="pt", padding=True, add_special_tokens=False).to(device)
            streams = [torch.Generator(device).manual_seed(story_seed(seed, i, k)) for i, k, _ in chunk]

            def pick(logits, rows):
                probs = torch.softmax(warp(None, logits), dim=-1)
                return torch.cat([torch.multinomial(probs[j], 1, generator=streams[r]) for j, r in enumerate(rows)])

            for r, ids in decode(model, enc["input_ids"], enc["attention_mask"], pick, eos, cfg.max_new_tokens,
                                 pad_id=tok.pad_token_id):
                stopped = bool(ids) and ids[-1] in eos
                text = tok.decode(ids[:-1] if stopped else ids, skip_special_tokens=True).strip()
                i, k, _ = chunk[r]
                out[i][k] = Sample(text=text, token_ids=tuple(ids), truncated=not stopped)
                bar.advance(task, 1)
    return out


def logit_warpers(cfg: GenerationConfig):
    """Temperature, then nucleus: transformers' own warpers, in the order ``generate`` applies them."""
    from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopPLogitsWarper

    warp = LogitsProcessorList()
    if cfg.temperature != 1.0:
        warp.append(TemperatureLogitsWarper(cfg.temperature))
    if cfg.top_p < 1.0:
        warp.append(TopPLogitsWarper(cfg.top_p))
    return warp


def cut_at_end(row: list[int], eos: list[int]) -> list[int]:
    """A ``generate`` output row up to and including its first end token (all of it without one)."""
    for n, t in enumerate(row):
        if t in eos:
            return row[:n + 1]
    return row


class NoKVCache(RuntimeError):
    """The model gave no KV cache back (``decode`` needs one)."""


def can_drop_rows(cache) -> bool:
    """Whether finished rows can leave this KV cache (transformers' ``Cache`` classes can)."""
    return hasattr(cache, "batch_select_indices")


def decode(model, ids, mask, pick, eos: list[int], max_new_tokens: int, *, pad_id: int | None = None):
    """Decode a left-padded batch with the KV cache; yield ``(row, token ids)`` as each row ends.

    ``pick(logits, rows)`` chooses the next token of every live row from its fp32 logits
    (``rows``: their indices in the batch). A row ends at an ``eos`` token (kept) or after
    ``max_new_tokens``. Unlike ``generate``, which computes every row until the batch's
    longest story stops, a row that ended leaves the batch and its cache: stories of ~70
    tokens in batches cut at 192 cost about two-thirds the CPU (BENCHMARKS.md)."""
    import torch

    # Positions count real tokens only, as generate's do under left padding.
    pos = (mask.long().cumsum(-1) - 1).clamp_min(0)
    params = inspect.signature(model.forward).parameters
    last_only = {"logits_to_keep": 1} if "logits_to_keep" in params else {}  # the prompt's logits are not needed
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, **last_only)
    # transformers 5 calls the KV cache ``cache`` (``past_key_values`` is deprecated), 4.x the old name.
    name = "cache" if "cache" in params else "past_key_values"
    cache, last = out.get(name), pos[:, -1]
    if cache is None:  # e.g. an older transformers drops the cache of a model training with checkpointing
        raise NoKVCache(f"{type(model).__name__} returned no KV cache: decoding without one would be wrong")
    can_drop = can_drop_rows(cache)
    rows = list(range(ids.shape[0]))
    done = [False] * len(rows)
    story: list[list[int]] = [[] for _ in rows]
    eos_t = torch.tensor(eos, device=ids.device)
    for step in range(max_new_tokens):
        nxt = pick(out.logits[:, -1, :].float(), rows)
        ended = torch.isin(nxt, eos_t) if eos else torch.zeros_like(nxt, dtype=torch.bool)
        for r, t, e in zip(rows, nxt.tolist(), ended.tolist()):
            if done[r]:
                continue
            story[r].append(t)
            if e or step == max_new_tokens - 1:
                done[r] = True
                yield r, story[r]
        if all(done):
            return
        if can_drop:
            keep = [j for j, r in enumerate(rows) if not done[r]]
            if len(keep) < len(rows):
                index = torch.tensor(keep, device=ids.device)
                cache.batch_select_indices(index)
                mask, nxt, last = mask[index], nxt[index], last[index]
                rows = [rows[j] for j in keep]
        else:  # a cache that cannot drop rows: finished rows go on with padding, as in generate
            nxt = nxt.masked_fill(torch.tensor([done[r] for r in rows], device=ids.device), pad_id or 0)
        mask = torch.cat([mask, mask.new_ones(len(rows), 1)], dim=1)
        last = last + 1
        out = model(input_ids=nxt[:, None], attention_mask=mask, position_ids=last[:, None], use_cache=True,
                    **{name: cache})


def sequence_logprobs(model, tok, prompts: list[str], completions: list[tuple[int, ...]], *,
                      batch_size: int = 8, desc: str = "scoring") -> list[float]:
    """log p(completion | formatted prompt), summed over the completion's tokens."""
    import torch

    device = next(model.parameters()).device
    out = [0.0] * len(prompts)
    with progress(desc) as bar, torch.no_grad():
        task = bar.add_task(desc, total=len(prompts))
        for rows in by_length(tok, prompts, completions, batch_size):
            ids, mask, spans = completion_batch(tok, [prompts[i] for i in rows], [completions[i] for i in rows], device)
            logits = model(input_ids=ids, attention_mask=mask).logits.float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
            for r, row, (a, b) in zip(rows, logp, spans):
                out[r] = float(row[a - 1:b - 1].sum())
            bar.advance(task, len(spans))
    return out


def by_length(tok, prompts: list[str], completions: list[tuple[int, ...]], batch_size: int) -> list[list[int]]:
    """Indices in batches of similar prompt + completion length, so a scoring pass computes little
    padding (stories run from a few tokens to the limit); callers put results back by index."""
    lengths = [len(tok(format_prompt(p, tok), add_special_tokens=False)["input_ids"]) + len(c)
               for p, c in zip(prompts, completions)]
    order = sorted(range(len(prompts)), key=lambda i: (lengths[i], i))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


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
