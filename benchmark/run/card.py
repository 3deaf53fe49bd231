"""The model card (``README.md``) of every model a run saves, written after evaluation.

A saved reward model is a plain ``AutoModelForSequenceClassification`` directory, and
nothing in it said how to feed it: an encoder trained on (post, response) text pairs
with ``token_type_ids`` gives other rewards to a concatenated string. The card says it,
with a worked example -- the exact text one pair renders to, from the encoder that
trained it (``rmbench.model.inputs`` / ``rmbench.model.chat``, the owners of that text) --
and records the base model, the training data's tasks and fingerprints, the held-out
results with their intervals beside every baseline (copied from results.json), and what
the model is for and not for. The YAML front matter is the hub's model-card metadata.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

CARD = "README.md"


def fence(text: str, lang: str = "") -> str:
    """A code block around ``text`` whose fence no backtick run inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}"


def example_pair(doc: dict, pairs_by: dict) -> tuple[str, str, int] | None:
    """(task, split, index) of the shortest pair of the first held-out task's test split
    (else of any scored split): short enough to read whole in the card."""
    keys = [k for k in pairs_by if pairs_by[k]]
    held = [k for k in keys if k[0] in doc.get("holdout", [])]
    pool = [k for k in held if k[1] == "test"] or held or keys
    if not pool:
        return None
    task, split = pool[0]
    pairs = pairs_by[(task, split)]
    i = min(range(len(pairs)), key=lambda j: (len(pairs[j]["prompt"]) + len(pairs[j]["chosen"])
                                               + len(pairs[j]["rejected"]), pairs[j]["pair_id"]))
    return task, split, i


def render_example(model_dir: Path, pair: dict, with_delay: bool) -> dict:
    """What the saved model reads for both sides of ``pair``: the encoder it was trained with
    (format and max length from its config), the decoded tokens with special tokens."""
    from transformers import AutoTokenizer

    from rmbench.model.chat import make_encoder, rendered_text
    from rmbench.model.inputs import response_text
    from rmbench.model.kinds import META_KEY

    meta = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get(META_KEY) or {}
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    encoder = make_encoder(tok, meta.get("input_format", "auto"), int(meta.get("max_length") or 512))
    out = {"input_format": encoder.input_format, "max_length": encoder.max_length,
           "token_type_ids": bool(encoder.has_token_types)}
    for side in ("chosen", "rejected"):
        e = encoder.encode(pair["prompt"], response_text(pair, side, with_delay))
        out[side] = {"text": rendered_text(tok, e.input_ids), "tokens": len(e.input_ids),
                     "segments": [e.token_type_ids.count(0), e.token_type_ids.count(1)] if e.token_type_ids else None,
                     "cut": bool(e.prompt_cut or e.response_cut)}
    return out


def _acc(card: dict) -> str:
    acc, ci = card.get("accuracy"), card.get("ci95")
    if acc is None:
        return "n/a"
    return f"{acc:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]" if ci and ci[0] is not None else f"{acc:.4f}"


def results_rows(doc: dict) -> list[str]:
    """One table row per scored split: the model and every baseline beside it."""
    names = list(dict.fromkeys(b for r in doc["results"].values() for c in r["splits"].values() for b in c["baselines"]))
    rows = ["| task | role | split | pairs | posts | model accuracy [95% CI] | " + " | ".join(names) + " |",
            "|---|---|---|---:|---:|---|" + "---|" * len(names)]
    order = sorted(doc["results"].items(), key=lambda kv: (kv[1]["role"] == "in_domain", kv[0]))
    for task, r in order:
        for split, c in r["splits"].items():
            base = [_acc(c["baselines"][n]) + (" (best)" if n == c.get("best_baseline") else "")
                    if n in c["baselines"] else "" for n in names]
            scope = f" ({c['sample']['label']})" if c.get("sample") else ""  # a --limit sample, not every post
            rows.append(f"| {task} | {r['role']} | {split}{scope}{' (too small)' if c.get('too_small') else ''} | "
                        f"{c['n']} | {c.get('posts', '')} | {_acc(c)} | " + " | ".join(base) + " |")
    return rows


def front_matter(doc: dict) -> dict:
    """library_name, base_model (a hub id only), tags, datasets (hub ids only), model-index."""
    from rmbench.model.presets import find_preset

    m = doc["model"]
    base = m.get("base_model") or ""
    preset = find_preset(base) if base else None
    hub_base = preset.hub_id if preset else (base if base.count("/") == 1 and not Path(base).exists() else None)
    source = str(doc["data"].get("source", ""))
    fmt = (m.get("input") or {}).get("input_format")
    dpo = m.get("model_kind") == "dpo"
    head = {"library_name": "transformers", "pipeline_tag": "text-generation" if dpo else "text-classification"}
    if hub_base:
        head["base_model"] = hub_base
    head["tags"] = ["rmbench", "reward-model", "dpo" if dpo else "bradley-terry"] + ([f"input-{fmt}"] if fmt else []) + \
        (["synthetic-data"] if doc.get("synthetic_data") else [])
    if source.startswith("hf:"):
        head["datasets"] = [source[3:]]
    results = [{"task": {"type": "text-classification", "name": "Pairwise preference accuracy"},
                "dataset": {"name": f"{task} (rmbench, {r['role']})", "type": f"rmbench/{task}", "split": split},
                "metrics": [{"type": "accuracy", "value": c["accuracy"], "name": "pairwise accuracy",
                             "verified": False}]}
               for task, r in sorted(doc["results"].items()) if r["role"] != "in_domain"
               for split, c in r["splits"].items() if c.get("accuracy") is not None]
    if results:
        head["model-index"] = [{"name": model_name(m), "results": results}]
    return head


def model_name(m: dict) -> str:
    """The model's name for people: a local base model's folder name, else its id, + "-rmbench"."""
    base = str(m.get("base_model") or m["id"])
    return (Path(base).name if Path(base).exists() else base.rsplit("/", 1)[-1]) + "-rmbench"


def _num(x) -> str:
    return "n/a (too small or absent)" if x is None else str(x)


def input_section(doc: dict, ex: dict | None, pair: dict | None, rewards: tuple | None) -> list[str]:
    if ex is None:
        return ["No pair was scored, so there is no worked example.", ""]
    dpo = (doc["model"].get("input") or {}).get("dpo")
    if dpo:
        how = ["It reads the tokenizer's **chat template** (the post is the user turn, the response the assistant "
               "turn), and its reward is its **implicit DPO reward**: beta times the sum, over the response's tokens "
               "and the end of turn, of log pi (this model) minus log pi_ref (the reference it was trained against).",
               "", fence(f"BETA, reference = {dpo['beta']}, load_causal_lm({dpo['ref_model']!r})[0]  # rmbench.model.load\n"
                         'msgs = [{"role": "user", "content": post}, {"role": "assistant", "content": response}]\n'
                         "ids = torch.tensor([tokenizer.apply_chat_template(msgs, tokenize=True, return_dict=False)])\n"
                         "start = len(tokenizer.apply_chat_template(msgs[:1], tokenize=True, return_dict=False,\n"
                         "                                          add_generation_prompt=True))\n"
                         "def logp(lm):  # log p of the response's tokens and the end of turn\n"
                         "    lp = lm(input_ids=ids).logits[0, :-1].float().log_softmax(-1)\n"
                         "    return lp[start - 1:].gather(-1, ids[0, start:, None]).sum().item()\n"
                         "reward = BETA * (logp(model) - logp(reference))", "python")]
    elif ex["input_format"] == "chat":
        how = ["It reads the tokenizer's **chat template**: the post is the user turn, the response the "
               "assistant turn (`tokenizer.apply_chat_template(messages)`); the reward is the one logit.", "",
               fence('messages = [{"role": "user", "content": post}, {"role": "assistant", "content": response}]\n'
                     'ids = tokenizer.apply_chat_template(messages, return_tensors="pt")\n'
                     "reward = model(input_ids=ids).logits[0, 0].item()", "python")]
    else:
        types = ("with `token_type_ids` (0 for the post's segment, 1 for the response's): pass the tokenizer "
                 "both texts, never one joined string" if ex["token_type_ids"] else "(this tokenizer has no token types)")
        how = [f"It reads **(post, response) as a text pair** {types}; the reward is the one logit.", "",
               fence('inputs = tokenizer(post, response, return_tensors="pt")   # a text pair\n'
                     "reward = model(**inputs).logits[0, 0].item()", "python")]
    lines = how + ["", f"At most {ex['max_length']} tokens: rmbench cuts the post first (to a quarter of the "
                   "budget at least), then the response; " + ("`rmbench evaluate --model PATH` (which reads the reference "
                   "from config.json) or `rmbench.model.dpo.DpoScorer`" if dpo else "`rmbench.model.scoring.RewardScorer(PATH)`")
                   + " reads the model exactly as it was trained and scored (`tokenizer(post, response, truncation=True)` cuts "
                   "differently on long inputs). Rewards compare responses to the same post: only differences "
                   "mean anything.", "", "### Worked example", "",
                   f"Pair `{pair['pair_id']}` (the shortest of its split). The post:", "", fence(pair["prompt"]), ""]
    for i, side in enumerate(("chosen", "rejected")):
        e = ex[side]
        seg = f", segments of {e['segments'][0]} and {e['segments'][1]} tokens" if e["segments"] else ""
        reward = f"; this model's reward {rewards[i]:.4f}" if rewards else ""
        lines += [f"The {side} response ({pair.get(f'{side}_score')} points) is read as these {e['tokens']} "
                  f"tokens{seg}{' (cut)' if e['cut'] else ''}{reward}:", "", fence(e["text"]), ""]
    return lines


def model_card(doc: dict, model_dir: Path, pairs_by: dict, rewards_by: dict) -> str:
    from rmbench.prepare.card import source_name

    m, cfg, info = doc["model"], doc.get("config", {}), doc["model"].get("training") or {}
    at = example_pair(doc, pairs_by)
    pair = pairs_by[at[:2]][at[2]] if at else None
    with_delay = bool(cfg.get("data", {}).get("with_delay"))
    ex = render_example(model_dir, pair, with_delay) if pair else None
    rw = rewards_by.get(at[:2]) if at else None
    rewards = (rw[0][at[2]], rw[1][at[2]]) if rw else None
    train_tasks = doc.get("train_tasks", [])
    data = doc["data"]
    s = doc.get("summary") or {}
    head = front_matter(doc)
    dpo = (m.get("input") or {}).get("dpo")
    what = (f"A DPO policy (`AutoModelForCausalLM`) trained by DPO against the frozen `{dpo['ref_model']}` "
            f"(beta {dpo['beta']}), its implicit reward the reward," if dpo else
            "A Bradley-Terry reward model (`AutoModelForSequenceClassification`, one output: the reward)")
    body = [f"# {model_name(m)}: a reward model trained by rmbench", "",
            f"{what} fine-tuned from `{m.get('base_model')}` on Reddit vote pairs of {', '.join(train_tasks) or 'no task'}, "
            f"and evaluated on the held-out {', '.join(doc.get('holdout', [])) or 'none'} by rmbench "
            f"{doc['rmbench_version']}" + ("" if head.get("base_model") else
                                           " (the base model is no hub id, so the metadata names none)") + ".", ""]
    if doc.get("synthetic_data"):
        body += ["**Trained and evaluated on rmbench's synthetic demo data**: it shows the machinery; it is "
                 "not a reward model for real text.", ""]
    body += ["## Input format", ""] + input_section(doc, ex, pair, rewards)
    body += ["## Training data", "",
             f"Source `{source_name(data.get('source'))}`, manifest fingerprint `{data.get('manifest_fingerprint')}`, split rule "
             f"`{json.dumps(data.get('split_by'))}`.", "",
             "| task | version | train fingerprint | validation fingerprint |", "|---|---|---|---|"]
    body += [f"| {t} | {data['tasks'][t]['version']} | `{data['tasks'][t]['fingerprints'].get('train')}` | "
             f"`{data['tasks'][t]['fingerprints'].get('validation')}` |" for t in train_tasks if t in data["tasks"]]
    tr = cfg.get("train", {})
    body += ["", f"{info.get('train_pairs')} training pairs, {info.get('validation_pairs')} validation pairs, "
             f"{info.get('epochs')} epoch(s), {info.get('steps')} steps at learning rate {tr.get('learning_rate')} "
             f"and batch size {tr.get('batch_size')}, max length {(cfg.get('model') or {}).get('max_length')}, seed "
             f"{cfg.get('seed')}; best validation accuracy {info.get('best_validation_accuracy')}, mean training loss "
             f"{info.get('train_loss')}. The run directory holds the training curve (`train_log.jsonl`, "
             "`plots/training.png`) and the resolved config (`config.json`).", ""]
    if (info.get("debias") or {}).get("mode") == "poe":
        d = info["debias"]
        body += [f"Trained confound-debiased (`--debias poe`): a product of experts with `baseline:confounds` fitted "
                 f"on the {d.get('fit_pairs')} training pairs (its training accuracy {d.get('bias_train_accuracy')}), "
                 "frozen; the model's scores here are its own, without the bias expert.", ""]
    body += ["## Results", "",
             "Pairwise accuracy (the chosen response gets the higher reward) with 95% intervals from posts "
             "resampled with all their pairs, beside every baseline on the same pairs (from the run's "
             "results.json; role `heldout`: no post of that task was trained on). `later` and `earlier` can be "
             "right by construction under the later-but-higher pairing rule.", ""] + results_rows(doc)
    body += ["", f"Held-out mean accuracy on `test`: {_num(s.get('heldout_mean_accuracy'))} (best baseline mean "
             f"{_num(s.get('best_baseline_mean'))}, margin {_num(s.get('margin_over_best_baseline'))}); in-domain "
             f"mean {_num(s.get('in_domain_mean_accuracy'))}. Every post of the held-out task: " +
             (", ".join(f"`{k}` {_num(v.get('mean_accuracy'))}" for k, v in (s.get("headline") or {}).items())
              or "not scored") + ".", ""]
    if doc.get("flags"):
        body += [f"Flags: {', '.join(doc['flags'])}.", ""]
    body += ["## Intended use and limits", "",
             "- For research on reward models: comparing responses to the same Reddit post, and measuring how "
             "a preference learned on some communities transfers to another.",
             "- Reddit votes reward timing, length and visibility as well as quality; the baselines above show "
             "how far those alone go. A high reward is not truth, safety or helpfulness.",
             "- English Reddit text of the tasks above; other domains, languages and chat formats are untested.",
             "- Not for decisions about people, and not a content filter.", ""]
    return "---\n" + yaml.safe_dump(head, sort_keys=False, allow_unicode=True) + "---\n\n" + "\n".join(body) + "\n"


def write_model_card(model_dir: str | Path, doc: dict, pairs_by: dict, rewards_by: dict) -> None:
    """``model_dir/README.md`` for the run ``doc`` (results.json), atomically; outside the
    weights hash (``rmbench.model.load.HASHED_FILES``), so the card never changes the model's id."""
    from rmbench.atomic import write_text

    write_text(Path(model_dir) / CARD, model_card(doc, Path(model_dir), pairs_by, rewards_by))


__all__ = ["CARD", "example_pair", "model_card", "render_example", "write_model_card"]
