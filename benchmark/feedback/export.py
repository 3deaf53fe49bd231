"""``rmbench feedback export``: clicks -> preference pairs in the prepared-data format.

Output (docs/formats.md): ``DATA/manifest.json`` and ``DATA/human-feedback/<split>.jsonl``,
built in a temp dir and renamed into place, so ``rmbench run --data DATA`` (with the
registered task ``human-feedback``) and ``load_prepared(DATA, "human-feedback")`` read it
like any prepared task.

One pair per item: the story more people chose is ``chosen``, vote counts are the scores;
items with tied votes are dropped and counted. Splits follow the item id like a post id
(``rmbench.prepare.splits.split_of``), or everything goes to ``test`` with ``all_test`` (scarce
human labels used to evaluate, not to train). ``test_hard`` holds the test pairs whose
stories are of similar length.

Agreement: the fraction of clicks where the evaluator's reward (stored privately when the
page was written) is higher for the story the person chose.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from rmbench.atomic import atomic_dir
from rmbench.eval.metrics import accuracy_with_ci
from rmbench.feedback.page import db_path, load_items, load_provenance
from rmbench.feedback.store import ClickStore
from rmbench.prepare.splits import ALL_SPLITS, split_of
from rmbench.prepare.write import dict_rows, manifest_document, task_entry, write_manifest, write_splits
from rmbench.prepared.manifest import Prepared
from rmbench.task import length_ratio

TASK = "human-feedback"


def agreement(clicks, provenance: dict, *, seed: int = 0) -> dict:
    """How often the evaluator's reward agrees with a person's click (ties in reward: half)."""
    values, items, skipped = [], [], 0
    for c in clicks:
        prov = provenance["items"].get(c.item_id, {})
        ra, rb = (prov.get("A") or {}).get("reward"), (prov.get("B") or {}).get("reward")
        if ra is None or rb is None:
            skipped += 1
            continue
        mine, other = (ra, rb) if c.choice == "A" else (rb, ra)
        values.append(1.0 if mine > other else 0.0 if mine < other else 0.5)
        items.append(c.item_id)
    # several people's clicks on one item are correlated: resample items whole
    scored = accuracy_with_ci(values, seed=seed, clusters=items) if values else {"accuracy": None, "ci95": None}
    return {"clicks": len(values), "without_rewards": skipped, "fraction": scored["accuracy"], "ci95": scored["ci95"]}


def model_preference(clicks, provenance: dict) -> dict[str, int]:
    """Clicks won by each model (e.g. how often people preferred the agent)."""
    wins: Counter = Counter()
    for c in clicks:
        side = provenance["items"].get(c.item_id, {}).get(c.choice)
        if side:
            wins[side["model"]] += 1
    return dict(sorted(wins.items()))


def is_feedback_export(path: Path) -> bool:
    """A directory this command wrote (its manifest holds only the human-feedback task)."""
    try:
        return Prepared.open(path).tasks == [TASK]
    except Exception:  # noqa: BLE001 - anything unreadable is not ours
        return False


def export_feedback(page_dir: str, out_dir: str, *, all_test: bool = False, min_votes: int | None = None,
                    overwrite: bool = False) -> dict:
    """Write the pairs; returns the task's manifest entry (counts, drops, agreement).

    ``min_votes`` defaults to the registered task's rule, and ``test_hard`` uses its
    ``hard_max_length_ratio``: the rules ``rmbench tasks show human-feedback`` prints.
    """
    from rmbench.registry import get_task

    task = get_task(TASK)
    min_votes = task.min_votes if min_votes is None else min_votes

    items = {it["item_id"]: it for it in load_items(page_dir)}
    prov = load_provenance(page_dir)
    dbfile = db_path(page_dir)
    clicks = ClickStore(dbfile).clicks() if dbfile.is_file() else []
    votes: dict[str, Counter] = defaultdict(Counter)
    first: dict[str, int] = {}
    dropped: Counter = Counter()
    for c in clicks:
        if c.item_id not in items or c.item_id not in prov["items"]:
            dropped["click_unknown_item"] += 1
            continue
        votes[c.item_id][c.choice] += 1
        first.setdefault(c.item_id, c.created_utc)
    rows: dict[str, list[dict]] = {s: [] for s in ALL_SPLITS}
    side_models = []
    for item_id, v in sorted(votes.items()):
        if v["A"] + v["B"] < min_votes:
            dropped["too_few_votes"] += 1
            continue
        if v["A"] == v["B"]:
            dropped["tied_votes"] += 1
            continue
        win, lose = ("A", "B") if v["A"] > v["B"] else ("B", "A")
        texts = {s["side"]: s["text"] for s in items[item_id]["stories"]}
        p = prov["items"][item_id]
        cid, rid = str(p[win]["sample_id"]), str(p[lose]["sample_id"])
        split = "test" if all_test else split_of(item_id)
        t = first[item_id]
        row = {"pair_id": f"{item_id}:{cid}:{rid}", "task": TASK, "split": split, "subreddit": "WritingPrompts",
               "post_id": item_id, "prompt": items[item_id]["prompt"], "chosen": texts[win], "rejected": texts[lose],
               "chosen_id": cid, "rejected_id": rid, "chosen_score": v[win], "rejected_score": v[lose],
               "chosen_created_utc": t, "rejected_created_utc": t, "chosen_delay_s": None, "rejected_delay_s": None,
               "time_gap_s": 0, "score_ratio": v[win] / max(1, v[lose]),
               "length_ratio": len(texts[win]) / max(1, len(texts[lose])), "cross_task_dup": False,
               "synthetic": bool(prov.get("meta", {}).get("synthetic_data", False))}
        rows[split].append(row)
        if split == "test" and length_ratio(texts[win], texts[lose]) <= task.hard_max_length_ratio:
            rows["test_hard"].append({**row, "split": "test_hard"})
        side_models.append({"pair_id": row["pair_id"], "chosen_model": p[win]["model"],
                            "rejected_model": p[lose]["model"], "votes": dict(v)})
    with atomic_dir(out_dir, overwrite=overwrite, owned=is_feedback_export, what="feedback export",
                    command="feedback export", inputs=[page_dir]) as tmp:
        splits = write_splits(tmp / TASK, {s: dict_rows(rs) for s, rs in rows.items()})
        with open(tmp / TASK / "models.jsonl", "w", encoding="utf-8") as f:
            for m in sorted(side_models, key=lambda m: m["pair_id"]):
                f.write(json.dumps(m) + "\n")
        extra = {"subreddits": ["WritingPrompts"], "clicks": {"seen": len(clicks), "dropped": dict(sorted(dropped.items()))},
                 "pairs": {"items_voted": len(votes), "kept": sum(len(rows[s]) for s in ("train", "validation", "test"))},
                 "agreement_with_evaluator": agreement(clicks, prov),
                 "clicks_won_by_model": model_preference(clicks, prov)}
        entry = task_entry(task, splits, extra=extra)
        entry["rules"] = {**entry["rules"], "all_test": all_test, "min_votes": min_votes}
        write_manifest(tmp, manifest_document(
            source={"spec": f"feedback:{Path(page_dir).resolve()}", "synthetic": False, "files": {},
                    "page_created_utc": prov.get("created_utc"), "page_meta": prov.get("meta", {})},
            bad_input={}, tasks={TASK: entry}))
    return entry
