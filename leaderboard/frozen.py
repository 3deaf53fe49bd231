"""Per-pair blocks in leaderboard files: a track's frozen pairs and a submission's predictions.

Both are JSON Lines (one object per pair, keys sorted, compact), zlib-compressed at level 9
and base64-encoded, with the row count and the sha256 of the uncompressed text beside them:

    {"encoding": "zlib+base64", "rows": 338, "sha256": "...", "data": "eNq..."}

The same rows always give the same bytes, so a re-freeze of unchanged data is a no-op and
a diff of tracks.json shows only what changed. Reading is bounded: the decompressed size,
the row count and each row's size and depth are limited, so a crafted block (a zip bomb, a
deep row, a NaN) is a listed problem, never a crash or an exhausted machine.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import zlib

from rmbench.errors import LeaderboardError
from rmbench.jsonlimits import JSONLimitError, loads_bounded

ENCODING = "zlib+base64"
MAX_TEXT_BYTES = 64 * 1024 * 1024  # uncompressed rows of one block: ~400k pairs; far beyond any track
MAX_ROW_BYTES = 4096  # one pair's row is ~150 bytes
PREDICTION_KEYS = ("task", "split", "pair_id", "reward_chosen", "reward_rejected")
# whether the scorer's token budget cut each response (predictions.jsonl's "truncated"), in every
# row of a block or in none (a baseline reads no tokens; submissions made before 2026-12-06 lack them)
CUT_KEYS = ("cut_chosen", "cut_rejected")
PAIR_KEYS = ("pair_id", "post_id", "score_ratio")  # what the scorecard reads of a pair besides rewards
# what its controls read (rmbench.eval.controls.control_cells): the two lengths in characters and
# the two scores; in a track's rows when its split's baselines have "controls" (frozen since 2026-12-06)
CONTROL_KEYS = ("len_chosen", "len_rejected", "score_chosen", "score_rejected")


def pack(rows: list[dict]) -> dict:
    """The block for ``rows`` (deterministic: the same rows give the same block)."""
    text = "".join(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"
                   for r in rows).encode("utf-8")
    return {"encoding": ENCODING, "rows": len(rows), "sha256": hashlib.sha256(text).hexdigest(),
            "data": base64.b64encode(zlib.compress(text, 9)).decode("ascii")}


def unpack(block: object, what: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[dict]:
    """The rows of a block, each a dict with exactly ``keys``, or, with ``optional``, every row
    with exactly ``keys + optional``; ``LeaderboardError`` saying what is wrong."""
    if not isinstance(block, dict) or block.get("encoding") != ENCODING or not isinstance(block.get("data"), str):
        raise LeaderboardError(f"{what}: not a {ENCODING} block")
    try:
        raw = base64.b64decode(block["data"], validate=True)
        inflate = zlib.decompressobj()
        text = inflate.decompress(raw, MAX_TEXT_BYTES)
        if inflate.unconsumed_tail or not inflate.eof:
            raise LeaderboardError(f"{what}: decompresses to more than {MAX_TEXT_BYTES} bytes, or is cut short")
    except (binascii.Error, ValueError, zlib.error) as e:
        raise LeaderboardError(f"{what}: cannot decode ({e})") from None
    if hashlib.sha256(text).hexdigest() != block.get("sha256"):
        raise LeaderboardError(f"{what}: sha256 does not match the rows")
    rows = []
    for i, line in enumerate(text.splitlines(), 1):
        try:
            row = loads_bounded(line, max_bytes=MAX_ROW_BYTES, max_depth=1)
        except JSONLimitError as e:
            raise LeaderboardError(f"{what}: row {i}: {e}") from None
        if i == 1 and optional and isinstance(row, dict) and set(optional) <= set(row):
            keys = tuple(keys) + tuple(optional)  # the first row says which: every row the same
        if not isinstance(row, dict) or sorted(row) != sorted(keys):
            raise LeaderboardError(f"{what}: row {i} must have exactly the keys {', '.join(keys)}")
        rows.append(row)
    if len(rows) != block.get("rows"):
        raise LeaderboardError(f"{what}: {len(rows)} rows, the block says {block.get('rows')!r}")
    return rows


def predictions_by_split(block: object) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    """(task, split) -> pair id -> (reward of chosen, reward of rejected); every reward a finite number."""
    return read_predictions(block)[0]


def read_predictions(block: object) -> tuple[dict, dict]:
    """(rewards as ``predictions_by_split`` gives them, cut flags: (task, split) -> pair id ->
    (chosen cut, rejected cut), empty when the block has none)."""
    out: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    cuts: dict[tuple[str, str], dict[str, tuple[bool, bool]]] = {}
    for i, r in enumerate(unpack(block, "predictions", PREDICTION_KEYS, CUT_KEYS), 1):
        c, rr = r["reward_chosen"], r["reward_rejected"]
        try:
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (c, rr)):
                raise OverflowError
        except OverflowError:  # an integer too big for a float is not a reward either
            raise LeaderboardError(f"predictions: row {i}: rewards must be finite numbers") from None
        if not all(isinstance(r[k], str) for k in ("task", "split", "pair_id")):
            raise LeaderboardError(f"predictions: row {i}: task, split and pair_id must be strings")
        per = out.setdefault((r["task"], r["split"]), {})
        if r["pair_id"] in per:
            raise LeaderboardError(f"predictions: row {i}: pair {r['pair_id']!r} of {r['task']}/{r['split']} twice")
        per[r["pair_id"]] = (float(c), float(rr))
        if CUT_KEYS[0] in r:
            if not all(isinstance(r[k], bool) for k in CUT_KEYS):
                raise LeaderboardError(f"predictions: row {i}: {' and '.join(CUT_KEYS)} must be true or false")
            cuts.setdefault((r["task"], r["split"]), {})[r["pair_id"]] = (r[CUT_KEYS[0]], r[CUT_KEYS[1]])
    return out, cuts
