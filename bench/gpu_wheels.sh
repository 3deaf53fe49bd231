#!/usr/bin/env bash
# Here (with PyPI), before a lent GPU is used: fetch into .whl/ the wheels that the GPU image
# lacks (/work/.library/device/KINDS.md lists what it holds: torch, transformers, accelerate,
# pandas, pyarrow, ... but not datasets, trl, msgspec, zstandard, ...), at this venv's versions,
# for the image's Python 3.12 on x86-64. bench/gpu_bench.sh and bench/gpu_real.sh install them
# there. datasets is 4.8.5, not this venv's 5.x: 5.x asks for pyarrow >= 24, and a pyarrow wheel
# (55 MB) would not fit beside the working tree in the 64 MiB the device tool carries; 4.8.5 asks
# for >= 21 and still meets trl's >= 4.7. About 7 MB in all.
#   bash bench/gpu_wheels.sh            then, with the device tool:
#   run(command="bash bench/gpu_bench.sh", carry=[".whl"], timeout_s=600)
# PYVER=3.11 fetches for another Python (to try gpu_bench.sh here with --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
version() { python3 -c "import importlib.metadata as m; print(m.version('$1'))"; }
WANT=(trl evaluate msgspec zstandard jsonlines jsonschema jsonschema-specifications referencing
      rpds-py dill multiprocess)
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux2014_x86_64 --platform manylinux1_x86_64)
fetch() {  # DIR NAME==VERSION ...
  local dir=$1; shift
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version "${PYVER:-3.12}" --implementation cp \
      "${PLATFORMS[@]}" -d "$dir" "$@"
}
rm -rf .whl && mkdir -p .whl
specs=(datasets==4.8.5); for n in "${WANT[@]}"; do specs+=("$n==$(version "$n")"); done
fetch .whl "${specs[@]}"
du -sh .whl
ls .whl
