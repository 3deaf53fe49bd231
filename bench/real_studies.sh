#!/usr/bin/env bash
# The real-vote studies of BENCHMARKS.md ("Numbers a researcher can publish"), on a CPU, one
# job at a time. From the repository root, in the venv:
#   bench/real_studies.sh [OUT]        (default OUT=runs/real-studies)
# Each step is resumable (run it again: finished cells are reused). Every step prints its
# wall and CPU seconds (/usr/bin/time): the CPU seconds are what compares across a shared
# machine, the wall time is not.
#   1. few-shot curve for AskAcademia held out; its k = 0 cell is study 1 (trained on the
#      other three subreddits, scored on every AskAcademia post)
#   2. GradSchool held out, trained on the other three
#   3. the 2x2 transfer matrix AskAcademia <-> GradSchool with in-domain - held-out gaps
# Same settings everywhere so the cells compare: 2000 training pairs, 128 tokens, 1 epoch
# (what ~20 CPU-minutes allow on 2 cores), 1000 post-clustered bootstrap resamples.
set -uo pipefail
OUT=${1:-runs/real-studies}
# shellcheck source=bench/real_common.sh
. "$(dirname "$0")/real_common.sh"
step adapt-askacademia rmbench sweep --holdout askacademia --adapt 0,100,1000 "${COMMON[@]}" --out "$OUT/adapt-askacademia" --resume
step heldout-gradschool rmbench run --holdout gradschool "${COMMON[@]}" --out "$OUT/heldout-gradschool" --resume
step transfer-2x2 rmbench sweep --no-curves --transfer --tasks askacademia,gradschool "${COMMON[@]}" --out "$OUT/transfer-2x2" --resume
