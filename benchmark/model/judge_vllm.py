"""The vLLM judge backend: the same prompts and the same label read-out, on a GPU.

Used only when ``vllm`` is importable and a GPU is present (``vllm_usable``); otherwise
the transformers backend runs. The prompt token ids come from ``JudgeEncoder`` exactly as
for transformers; vLLM scores ``prompt + [label]`` for each label and its
``prompt_logprobs`` give log p(label | prompt) -- the full-vocabulary log-probability,
whatever the label's rank, so the verdict is read the same way as on transformers.
"""

from __future__ import annotations

import importlib.util


def vllm_usable() -> bool:
    import torch

    return importlib.util.find_spec("vllm") is not None and torch.cuda.is_available()


class VllmJudge:
    name = "vllm"

    def __init__(self, path: str, *, dtype: str = "bfloat16", max_length: int = 2048,
                 trust_remote_code: bool = False):
        from vllm import LLM

        # +1: each request is the prompt plus one label token.
        self.llm = LLM(model=path, dtype=dtype, max_model_len=max_length + 1, enable_prefix_caching=True,
                       trust_remote_code=trust_remote_code)

    def label_logprobs(self, batch: dict, rows: list, label_ids: list[int]) -> list[tuple[float, ...]]:
        from vllm import SamplingParams

        params = SamplingParams(max_tokens=1, prompt_logprobs=0)  # 0: only the prompt's own tokens
        requests = [{"prompt_token_ids": list(r.input_ids) + [label]} for r in rows for label in label_ids]
        outs = self.llm.generate(requests, params, use_tqdm=False)
        values = [o.prompt_logprobs[-1][req["prompt_token_ids"][-1]].logprob for o, req in zip(outs, requests)]
        k = len(label_ids)
        return [tuple(values[i * k : (i + 1) * k]) for i in range(len(rows))]
