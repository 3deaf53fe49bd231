"""What a columnar reader could buy prepare: CPU seconds of each JSON parser on the same dump lines.

Issue 23 part 2 asks prepare to cost no more CPU than zstd + ``json.loads``; prepare's reader
alone already costs about that (``bench/bench_prepare.py``), so the rest of prepare would have
to be nearly free, or the parse much cheaper. This measures the parse floor of each candidate
on every ``*_comments`` / ``*_submissions`` file of the dumps, decompressed once beforehand
(zstd is measured on its own), in one process, each parser in turn, ``--repeat`` times
(the best CPU time is kept: the machine is shared):

  zstd          decompression alone (``zstandard``, the whole file)
  json.loads    one call per line (the issue's baseline, minus zstd)
  typed         rmbench's msgspec decoder (``rmbench.sources.typed``), one call per line
  pyarrow.json  ``pyarrow.json.read_json`` with an explicit schema of the fields a record needs
  polars        ``polars.read_ndjson`` with the same schema (only if polars is installed;
                not a dependency of rmbench)

and whether each columnar reader gives exactly ``json.loads``' values on a few odd lines
(``ODD``), because a reader that differs there cannot replace the per-record path without its
own screen. Prints one JSON object; BENCHMARKS.md quotes it.

    python bench/bench_parsers.py [--dumps ../shared/data/reddit-dumps] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import resource
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DUMPS = REPO.parent / "shared" / "data" / "reddit-dumps"
COMMENT_FIELDS = {"id": "str", "link_id": "str", "parent_id": "str", "body": "str", "created_utc": "int",
                  "subreddit": "str", "author": "str", "score": "int", "distinguished": "str",
                  "stickied": "bool", "is_submitter": "bool"}
POST_FIELDS = {"id": "str", "subreddit": "str", "title": "str", "selftext": "str", "created_utc": "int",
               "author": "str", "score": "int", "is_self": "bool", "over_18": "bool", "stickied": "bool",
               "distinguished": "str", "num_comments": "int"}
# Lines where a parser could answer differently from json.loads (the reader's contract).
ODD = {
    "duplicate key (json: the last wins)": b'{"id": "a", "score": 1, "score": 2}',
    "lone surrogate escape": b'{"id": "\\ud800", "score": 1}',
    "int where a string is expected": b'{"id": 1, "score": 1}',
    "float score": b'{"id": "a", "score": 1.5}',
}


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        c = cpu()
        fn()
        best = min(best, cpu() - c)
    return best


def _arrow_schema(fields: dict):
    import pyarrow as pa

    kinds = {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_()}
    return pa.schema([(k, kinds[v]) for k, v in fields.items()])


def _polars_schema(fields: dict):
    import polars as pl

    kinds = {"str": pl.String, "int": pl.Int64, "bool": pl.Boolean}
    return {k: kinds[v] for k, v in fields.items()}


def _arrow_table(data: bytes, fields: dict):
    import pyarrow.json as pj

    return pj.read_json(io.BytesIO(data), parse_options=pj.ParseOptions(
        explicit_schema=_arrow_schema(fields), unexpected_field_behavior="ignore"))


def _polars_frame(data: bytes, fields: dict):
    import polars as pl

    return pl.read_ndjson(io.BytesIO(data), schema=_polars_schema(fields))


def _read_arrow(data: bytes, fields: dict) -> list[dict]:
    return _arrow_table(data, fields).to_pylist()


def _read_polars(data: bytes, fields: dict) -> list[dict]:
    return _polars_frame(data, fields).to_dicts()


def _agrees(reader, fields: dict) -> dict:
    """Per odd line: 'same' as json.loads, 'differs' (a silently different value), or
    'refuses' (an error: the whole file would have to fall back)."""
    out = {}
    for name, line in ODD.items():
        want = {k: json.loads(line).get(k) for k in fields}
        try:
            (got,) = reader(line + b"\n", fields)
        except Exception:  # noqa: BLE001 - any refusal counts the same: the file falls back
            out[name] = "refuses"
            continue
        out[name] = "same" if {k: got.get(k) for k in fields} == want else "differs"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dumps", type=Path, default=DEFAULT_DUMPS)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import zstandard

    from rmbench.sources import typed

    have_polars = importlib.util.find_spec("polars") is not None
    files = sorted(args.dumps.glob("*_comments.zst")) + sorted(args.dumps.glob("*_submissions.zst"))
    if not files:
        raise SystemExit(f"no *_comments.zst / *_submissions.zst under {args.dumps}")
    totals: dict[str, float] = {}
    lines_total = 0
    for f in files:
        fields = COMMENT_FIELDS if f.name.endswith("_comments.zst") else POST_FIELDS
        raw = f.read_bytes()

        def unzstd(raw=raw):
            return zstandard.ZstdDecompressor(max_window_size=2**31).decompressobj().decompress(raw)

        data = unzstd()
        lines = data.splitlines()
        lines_total += len(lines)
        decode = typed.line_decoder(fields is POST_FIELDS)
        steps = {"zstd": unzstd, "json.loads": lambda: [json.loads(x) for x in lines],
                 "typed": lambda: [decode(x) for x in lines],
                 "pyarrow.json": lambda: _arrow_table(data, fields)}  # columns only: no Python objects
        if have_polars:
            steps["polars"] = lambda: _polars_frame(data, fields)
        for name, fn in steps.items():
            totals[name] = totals.get(name, 0.0) + _best(fn, args.repeat)
        print(f"{f.name}: {len(lines):,} lines", file=sys.stderr)
    base = totals["zstd"] + totals["json.loads"]
    result = {
        "files": len(files), "lines": lines_total, "repeat": args.repeat,
        "cpu_seconds": {k: round(v, 3) for k, v in totals.items()},
        # The baseline is zstd + json.loads; each parser's ratio is against the parse alone.
        "parse_ratio_to_json_loads": {k: round(totals["json.loads"] / v, 2) for k, v in totals.items() if k != "zstd"},
        "zstd_plus_json_loads": round(base, 3),
        "exact_like_json_loads": {"pyarrow.json": _agrees(_read_arrow, COMMENT_FIELDS),
                                  **({"polars": _agrees(_read_polars, COMMENT_FIELDS)} if have_polars else {})},
        "polars": "installed" if have_polars else "not installed: pip install polars to measure it",
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
