"""``/admin``: what has been collected so far, for the person running the page.

Votes per item, raters, inter-rater agreement (``rmbench.feedback.tally``) and the requests
the server refused since it started, as a JSON document (``/admin.json``) and the same as a
small HTML page (``/admin``). Every value that came from a rater (their name) is escaped.
The server decides who may see it (``rmbench.feedback.server``: this machine only).
"""

from __future__ import annotations

import html
import time

from rmbench.feedback.store import CHOICES, Click
from rmbench.feedback.tally import agreement, per_item, per_rater

LABELS = {"A": "A better", "B": "B better", "tie": "tie", "both_bad": "both bad", "skip": "skip"}


def admin_doc(votes: list[Click], items: list[dict], rejected: dict[str, int]) -> dict:
    """Everything /admin shows, as plain data (items in page order, unvoted ones included)."""
    tally = per_item(votes)
    empty = {**{c: 0 for c in CHOICES}, "raters": 0}
    return {"items": len(items), "votes": len(votes),
            "choices": {c: sum(v.choice == c for v in votes) for c in CHOICES},
            "per_item": [{"item_id": it["item_id"], **tally.get(it["item_id"], empty)} for it in items],
            "raters": per_rater(votes), "agreement": agreement(votes),
            "rejected_requests": dict(sorted(rejected.items()))}


def _fmt(x) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def _table(head: list[str], rows: list[list]) -> list[str]:
    out = ["<table>", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows]
    return out + ["</table>"]


def admin_html(doc: dict) -> str:
    when = lambda t: time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))  # noqa: E731 - UTC, as the store keeps it
    a = doc["agreement"]
    lines = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>rater page: admin</title>',
             '<link rel="stylesheet" href="style.css"></head><body class="admin">', "<h1>Votes so far</h1>",
             f"<p>{doc['votes']} votes from {len(doc['raters'])} raters on {doc['items']} items: "
             + ", ".join(f"{LABELS[c]} {n}" for c, n in doc["choices"].items()) + ".</p>",
             "<h2>Inter-rater agreement</h2>",
             f"<p>On {a['items']} items with two or more answers (skips left out; {a['rater_pairs']} pairs of raters): "
             f"percent agreement {_fmt(a['percent_agreement'])}, Krippendorff's alpha (nominal) "
             f"{_fmt(a['krippendorff_alpha'])} (1 = always agree, 0 = chance).</p>", "<h2>Raters</h2>"]
    lines += _table(["rater", "votes", *(LABELS[c] for c in CHOICES), "browsers", "first (UTC)", "last (UTC)"],
                    [[r, v["votes"], *(v[c] for c in CHOICES), v["sessions"], when(v["first_utc"]), when(v["last_utc"])]
                     for r, v in doc["raters"].items()])
    lines += ["<h2>Votes per item</h2>"]
    lines += _table(["item", "raters", *(LABELS[c] for c in CHOICES)],
                    [[it["item_id"], it["raters"], *(it[c] for c in CHOICES)] for it in doc["per_item"]])
    lines += ["<h2>Refused requests since the server started</h2>"]
    lines += _table(["reason", "count"], [[k, v] for k, v in doc["rejected_requests"].items()]) \
        if doc["rejected_requests"] else ["<p>none</p>"]
    lines += ['<p><a href="admin.json">admin.json</a> has the same numbers.</p>', "</body></html>"]
    return "\n".join(lines) + "\n"
