"""``rmbench agent compare``: one agent story and one generator story per prompt, for people to judge."""

from __future__ import annotations

from rmbench.agent.generate import GenerationConfig, load_causal_lm, sample


def build_comparisons(agent_dir: str, generator_dir: str, prompts: list[tuple[str, str]], *,
                      gen: GenerationConfig = GenerationConfig(), scorer=None, seed: int = 0) -> list[dict]:
    """``prompts``: (prompt_id, prompt). ``scorer`` (the evaluator) adds private rewards for agreement."""
    texts = [p for _, p in prompts]
    stories = {}
    for name, path, s in (("agent", agent_dir, seed), ("generator", generator_dir, seed + 1)):
        model, tok = load_causal_lm(path)
        stories[name] = [ss[0].text for ss in sample(model, tok, texts, gen, n=1, seed=s, desc=f"{name} stories")]
        del model
    rewards = {}
    if scorer is not None:
        r = scorer.score(texts + texts, stories["agent"] + stories["generator"])
        rewards = {"agent": r[:len(texts)], "generator": r[len(texts):]}
    out = []
    for i, (pid, prompt) in enumerate(prompts):
        out.append({"prompt": prompt, "prompt_id": pid, "stories": [
            {"model": m, "text": stories[m][i], "reward": rewards[m][i] if rewards else None,
             "sample_id": f"{pid}-{m}"} for m in ("agent", "generator")]})
    return out
