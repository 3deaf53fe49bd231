"""``rmbench feedback export``: votes -> preference pairs in the prepared-data format.

Output (docs/formats.md): ``DATA/manifest.json`` and ``DATA/human-feedback/<split>.jsonl``,
built in a temp dir and renamed into place, so ``rmbench evaluate --data DATA --tasks
human-feedback`` and ``load_prepared(DATA, "human-feedback")`` read it like any prepared
task. Beside the splits: ``votes.jsonl`` (every stored vote with its rater, skips and ties
included, and the pair it went into) and ``models.jsonl`` (per pair: which model wrote each
story, the tally and the raters).

How votes become one pair per item (the rules ``docs/formats.md`` states):

- ``A`` / ``B``: a whole vote for that story;
- ``tie`` and ``both_bad``: half a vote to each story (both bad says neither is preferred,
  as Chatbot Arena's "tie (bothbad)"; it is counted apart in the tally). A half vote to each
  side never changes which story wins; it counts toward ``min_votes`` and lowers the margin
  (``score_ratio``);
- ``skip``: dropped and counted (the rater gave no answer);
- the story with more votes is ``chosen``; an item whose two sides are level is dropped and
  counted (``tied_votes``). ``chosen_score`` / ``rejected_score`` are the whole A/B votes.

Splits: everything goes to ``test`` by default (human labels are scarce: they evaluate, and
a hash split of 20 items would leave ``test`` empty), or by the item id like a post id with
``split_by="hash"``. ``test_hard`` holds the test pairs whose stories are of similar length.

Agreement with the evaluator: the fraction of A/B votes where the evaluator's reward (stored
privately when the page was written) is higher for the story the person chose.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rmbench.atomic import atomic_dir
from rmbench.eval.metrics import accuracy_with_ci
from rmbench.feedback.page import db_path, load_items, load_provenance, require_page
from rmbench.feedback.store import ClickStore
from rmbench.feedback.tally import agreement as rater_agreement
from rmbench.feedback.tally import per_item
from rmbench.prepare.splits import ALL_SPLITS, split_of
from rmbench.prepare.write import dict_rows, manifest_document, task_entry, write_manifest, write_splits
from rmbench.prepared.manifest import Prepared
from rmbench.task import length_ratio

TASK = "human-feedback"
SPLIT_BY = ("test", "hash")


def agreement(clicks, provenance: dict, *, seed: int = 0) -> dict:
    """How often the evaluator's reward agrees with a person's A/B vote (ties in reward: half)."""
    values, items, skipped = [], [], 0
    for c in clicks:
        if c.choice not in ("A", "B"):
            continue  # a tie, both bad or a skip prefers neither story
        prov = provenance["items"].get(c.item_id, {})
        ra, rb = (prov.get("A") or {}).get("reward"), (prov.get("B") or {}).get("reward")
        if ra is None or rb is None:
            skipped += 1
            continue
        mine, other = (ra, rb) if c.choice == "A" else (rb, ra)
        values.append(1.0 if mine > other else 0.0 if mine < other else 0.5)
        items.append(c.item_id)
    # several people's votes on one item are correlated: resample items whole
    scored = accuracy_with_ci(values, seed=seed, clusters=items) if values else {"accuracy": None, "ci95": None}
    return {"clicks": len(values), "without_rewards": skipped, "fraction": scored["accuracy"], "ci95": scored["ci95"]}


def model_preference(clicks, provenance: dict) -> dict[str, float]:
    """Votes won by each model (ties and both-bad: half to each), e.g. how often people preferred the agent."""
    wins: Counter = Counter()
    for c in clicks:
        p = provenance["items"].get(c.item_id, {})
        if c.choice in ("A", "B") and p.get(c.choice):
            wins[p[c.choice]["model"]] += 1
        elif c.choice in ("tie", "both_bad") and p.get("A") and p.get("B"):
            wins[p["A"]["model"]] += 0.5
            wins[p["B"]["model"]] += 0.5
    return dict(sorted(wins.items()))


def is_feedback_export(path: Path) -> bool:
    """A directory this command wrote (its manifest holds only the human-feedback task)."""
    try:
        return Prepared.open(path).tasks == [TASK]
    except Exception:  # noqa: BLE001 - anything unreadable is not ours
        return False


def _pair_row(item: dict, prov: dict, tally: dict, split: str, first_utc: int, synthetic: bool) -> tuple[dict, str]:
    half = (tally["tie"] + tally["both_bad"]) / 2
    win, lose = ("A", "B") if tally["A"] > tally["B"] else ("B", "A")
    texts = {s["side"]: s["text"] for s in item["stories"]}
    cid, rid = str(prov[win]["sample_id"]), str(prov[lose]["sample_id"])
    row = {"pair_id": f"{item['item_id']}:{cid}:{rid}", "task": TASK, "split": split, "subreddit": "WritingPrompts",
           "post_id": item["item_id"], "prompt": item["prompt"], "chosen": texts[win], "rejected": texts[lose],
           "chosen_id": cid, "rejected_id": rid, "chosen_score": tally[win], "rejected_score": tally[lose],
           "chosen_created_utc": first_utc, "rejected_created_utc": first_utc, "chosen_delay_s": None,
           "rejected_delay_s": None, "time_gap_s": 0,
           # a loser with no vote at all (not even half of a tie) counts as one: no division by zero
           "score_ratio": (tally[win] + half) / ((tally[lose] + half) or 1),
           "length_ratio": len(texts[win]) / max(1, len(texts[lose])), "cross_task_dup": False, "synthetic": synthetic}
    return row, win


def export_feedback(page_dir: str, out_dir: str, *, all_test: bool = False, split_by: str = "test",
                    min_votes: int | None = None, overwrite: bool = False) -> dict:
    """Write the pairs; returns the task's manifest entry (counts, drops, agreement).

    ``min_votes`` (rated answers: A, B, tie, both bad) defaults to the registered task's rule,
    and ``test_hard`` uses its ``hard_max_length_ratio``: the rules ``rmbench tasks show
    human-feedback`` prints. ``all_test`` is the older spelling of ``split_by="test"``.
    """
    from rmbench.registry import get_task

    if split_by not in SPLIT_BY:
        raise ValueError(f"split_by must be one of {SPLIT_BY}, got {split_by!r}")
    split_by = "test" if all_test else split_by
    task = get_task(TASK)
    min_votes = task.min_votes if min_votes is None else min_votes

    require_page(page_dir, private=True)  # one line, not [Errno 2] ... items.json
    items = {it["item_id"]: it for it in load_items(page_dir)}
    prov = load_provenance(page_dir)
    synthetic = bool(prov.get("meta", {}).get("synthetic_data", False))
    dbfile = db_path(page_dir)
    votes = ClickStore(dbfile).clicks() if dbfile.is_file() else []
    dropped: Counter = Counter()
    known = []
    for v in votes:
        if v.item_id not in items or v.item_id not in prov["items"]:
            dropped["click_unknown_item"] += 1
        elif v.choice == "skip":
            dropped["skip"] += 1
        else:
            known.append(v)
    first: dict[str, int] = {}
    for v in known:
        first.setdefault(v.item_id, v.created_utc)
    tallies = per_item(known)
    rows: dict[str, list[dict]] = {s: [] for s in ALL_SPLITS}
    pair_of: dict[str, str] = {}
    side_models = []
    raters: dict[str, list[str]] = {}
    for v in known:
        raters.setdefault(v.item_id, []).append(v.rater)
    for item_id, t in tallies.items():
        if t["A"] + t["B"] + t["tie"] + t["both_bad"] < min_votes:
            dropped["too_few_votes"] += 1
            continue
        if t["A"] == t["B"]:
            dropped["tied_votes"] += 1
            continue
        split = "test" if split_by == "test" else split_of(item_id)
        row, win = _pair_row(items[item_id], prov["items"][item_id], t, split, first[item_id], synthetic)
        rows[split].append(row)
        pair_of[item_id] = row["pair_id"]
        if split == "test" and length_ratio(row["chosen"], row["rejected"]) <= task.hard_max_length_ratio:
            rows["test_hard"].append({**row, "split": "test_hard"})
        p = prov["items"][item_id]
        side_models.append({"pair_id": row["pair_id"], "chosen_model": p[win]["model"],
                            "rejected_model": p["B" if win == "A" else "A"]["model"], "chosen_side": win,
                            "votes": {c: t[c] for c in ("A", "B", "tie", "both_bad")},
                            "raters": sorted(raters[item_id])})
    choices = Counter(v.choice for v in votes)
    with atomic_dir(out_dir, overwrite=overwrite, owned=is_feedback_export, what="feedback export",
                    command="feedback export", inputs=[page_dir]) as tmp:
        splits = write_splits(tmp / TASK, {s: dict_rows(rs) for s, rs in rows.items()})
        with open(tmp / TASK / "models.jsonl", "w", encoding="utf-8") as f:
            for m in sorted(side_models, key=lambda m: m["pair_id"]):
                f.write(json.dumps(m) + "\n")
        with open(tmp / TASK / "votes.jsonl", "w", encoding="utf-8") as f:
            for v in votes:  # every vote, in the order stored: the export loses nothing
                f.write(json.dumps({"rater": v.rater, "session": v.session, "item_id": v.item_id, "choice": v.choice,
                                    "created_utc": v.created_utc, "pair_id": pair_of.get(v.item_id)}) + "\n")
        extra = {"subreddits": ["WritingPrompts"],
                 "clicks": {"seen": len(votes), "dropped": dict(sorted(dropped.items())),
                            "choices": {c: choices[c] for c in ("A", "B", "tie", "both_bad", "skip")},
                            "raters": len({v.rater for v in votes}),
                            "legacy_anonymous": sum(v.legacy for v in votes)},
                 "pairs": {"items_voted": len(tallies), "kept": sum(len(rows[s]) for s in ("train", "validation", "test"))},
                 "rater_agreement": rater_agreement(known),
                 "agreement_with_evaluator": agreement(known, prov),
                 "clicks_won_by_model": model_preference(known, prov)}
        entry = task_entry(task, splits, extra=extra)
        entry["rules"] = {**entry["rules"], "split_by": split_by, "all_test": split_by == "test", "min_votes": min_votes,
                          "tie": "half a vote to each story", "both_bad": "half a vote to each story (a tie)",
                          "skip": "dropped and counted"}
        write_manifest(tmp, manifest_document(
            # synthetic when the page's stories answer prompts of the demo corpus (agent compare records it)
            source={"spec": f"feedback:{Path(page_dir).resolve()}", "synthetic": synthetic, "files": {},
                    "page_created_utc": prov.get("created_utc"), "page_meta": prov.get("meta", {})},
            bad_input={}, tasks={TASK: entry}))
    return entry
