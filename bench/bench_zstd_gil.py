"""Would a read-ahead thread overlap zstd decompression with parsing? Only if the zstandard
module releases the GIL while it decompresses, so measure that, on the dumps themselves.

Issue 23 part 2 suggests overlapping the two ("zstandard releases the GIL"). On a CPU with a
spare core a thread could decompress the next block while the main thread splits and decodes
this one, saving up to the decompression time in wall clock. In one run, for each streaming
API prepare's reader could use (``decompressobj``, the one it uses, since it reports a file cut
inside a frame; and ``stream_reader``):
  alone      decompress every file in this thread
  spin       a pure-Python loop sized to take about as long (it holds the GIL throughout)
  together   the decompression in a second thread while this one spins
overlap = (alone + spin - together) / min(alone, spin): 1.0 when the two run fully in
parallel, ~0 when the decompressor holds the GIL (they take turns). Prints a JSON object on
stdout, a line per API on stderr. Best of ``--repeat`` runs of each.

    python bench/bench_zstd_gil.py [DUMPS] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import threading
import time
from pathlib import Path

import zstandard

HERE = Path(__file__).resolve().parent
DUMPS = HERE.parent.parent / "shared" / "data" / "reddit-dumps"
READ = 1 << 20  # compressed bytes per call, as rmbench.sources.lines reads them


def decompressobj(blobs: list[bytes]) -> None:
    for blob in blobs:
        d = zstandard.ZstdDecompressor(max_window_size=2**31).decompressobj()
        for i in range(0, len(blob), READ):
            d.decompress(blob[i:i + READ])


def stream_reader(blobs: list[bytes]) -> None:
    for blob in blobs:
        r = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(io.BytesIO(blob))
        while r.read(READ * 8):
            pass


def spin(n: int) -> None:
    x = 0
    for i in range(n):
        x += i


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def measure(api, blobs: list[bytes], repeat: int) -> dict:
    alone = best(lambda: api(blobs), repeat)
    t = best(lambda: spin(1_000_000), repeat)
    n = max(1, int(1_000_000 * alone / t))  # a loop about as long as the decompression

    def together() -> None:
        th = threading.Thread(target=api, args=(blobs,))
        th.start()
        spin(n)
        th.join()

    looped = best(lambda: spin(n), repeat)
    both = best(together, repeat)
    return {"alone_s": round(alone, 4), "spin_s": round(looped, 4), "together_s": round(both, 4),
            "overlap": round((alone + looped - both) / min(alone, looped), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dumps", nargs="?", type=Path, default=DUMPS)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = sorted(args.dumps.glob("*.zst"))
    if not files:
        raise SystemExit(f"no .zst files in {args.dumps}")
    blobs = [f.read_bytes() for f in files]  # read first: the disk is not what is measured
    out = {"zstandard": zstandard.__version__, "backend": zstandard.backend, "python": sys.version.split()[0],
           "files": len(files), "compressed_bytes": sum(map(len, blobs))}
    for api in (decompressobj, stream_reader):
        out[api.__name__] = r = measure(api, blobs, args.repeat)
        print(f"{api.__name__:14} alone {r['alone_s']:.3f} s  spin {r['spin_s']:.3f} s  together "
              f"{r['together_s']:.3f} s  overlap {r['overlap']:.2f}", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
