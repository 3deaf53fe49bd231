"""What a compared run differs in from the first, besides its predictions.

A paired difference is read against what changed between the runs: a config key, the model,
the code, or only the machine. ``rmbench compare`` lists these for every run against the first
(compare.json's ``runs[i].differs``, and a note each). Where nothing is listed, the runs had the
same settings on the same kind of machine, where a rerun reproduces a run byte for byte
(docs/harness.md, "Reproducing a run").
"""

from __future__ import annotations

import json

from rmbench.eval.results import flat_items

# Where a run put things, not what it did: never a difference worth a line.
IGNORED = {"config.out", "config.data.cache_dir", "config.train.resume"}
# results.json's hardware keys that a rerun's last bits depend on (eval/results.py, hardware()).
MACHINE = ("device", "torch", "cpu", "cpu_bf16", "torch_threads", "gpu", "gpu_count")
SHOWN = 8  # differences named in a note; the rest counted
# An adapted cell's fine-tuning (sweep --adapt: train_info.json's adapt block), its settings only.
ADAPT = ("k", "seed", "epochs", "learning_rate", "select", "start")


def settings(doc: dict) -> dict:
    """A results.json's settings, one flat key each: the config, the model, the data, the code,
    the training precision and the machine (a key the document lacks is left out, not None)."""
    model = doc.get("model") or {}
    hw = doc.get("hardware") or {}
    out = {k: v for k, v in flat_items(doc.get("config") or {}, "config") if k not in IGNORED}
    out["model"] = model.get("id")  # not its weights' hash: what training gave is an outcome, like the predictions
    training = model.get("training") or {}
    if training.get("mixed_precision"):
        out["training precision"] = training["mixed_precision"]
    adapt = training.get("adapt") or {}
    out.update({f"adapt.{k}": adapt[k] for k in ADAPT if k in adapt})
    if model.get("start_weights_sha256"):
        # A fine-tuned cell's config.model.name is the folder of the model it started from, which
        # differs between two sweeps even when their base cells trained the same weights: the
        # starting weights' hash says whether they did.
        out.pop("config.model.name", None)
        out["adapt.start_weights"] = model["start_weights_sha256"][:16]
    out["data"] = ((doc.get("data") or {}).get("manifest_fingerprint") or "")[:16] or None
    out["rmbench"] = f"{doc.get('rmbench_version')} ({(doc.get('git_commit') or 'no commit')[:12]})"
    out.update({f"hardware.{k}": hw[k] for k in MACHINE if k in hw})
    return out


_MISSING = object()  # a key one document lacks differs from any value the other records, None included


def differences(first: dict, other: dict) -> list[dict] | None:
    """Every setting whose value differs between two results.json documents (or that only one
    records), in key order: {"key", "first", "this"}; None where either records no config (a
    hand-made or partial document: nothing to say)."""
    if not (first.get("config") and other.get("config")):
        return None
    a, b = settings(first), settings(other)
    return [{"key": k, "first": a.get(k), "this": b.get(k)}
            for k in sorted(set(a) | set(b)) if a.get(k, _MISSING) != b.get(k, _MISSING)]


def _show(value) -> str:
    # An empty string (evaluate's unset data.holdout) is shown quoted, never as a blank before "->".
    return "absent" if value is None else value if isinstance(value, str) and value else json.dumps(value)


def difference_note(label: str, first: str, differs: list[dict]) -> str:
    """One line: what ``label`` differs in from ``first``, or that it differs in nothing recorded."""
    if not differs:
        return (f"{label}: the same config, model, data, code and machine as {first} (a rerun on them "
                "reproduces a run byte for byte: docs/harness.md)")
    named = "; ".join(f"{d['key']} {_show(d['first'])} -> {_show(d['this'])}" for d in differs[:SHOWN])
    more = f"; and {len(differs) - SHOWN} more (compare.json)" if len(differs) > SHOWN else ""
    only_machine = all(d["key"].startswith("hardware.") or d["key"] == "training precision" for d in differs)
    why = " -- only where it ran, so the difference is the machine's" if only_machine else ""
    return f"{label} differs from {first} in: {named}{more}{why}"
