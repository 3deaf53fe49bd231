#!/usr/bin/env bash
# The none-vs-poe study of BENCHMARKS.md ("Confound-debiased training"), on a CPU, one job
# at a time. From the repository root, in the venv:
#   bench/debias_study.sh [OUT]        (default OUT=runs/debias-study)
# AskAcademia and GradSchool each held out (trained on the other three subreddits), once
# with plain Bradley-Terry (--debias none) and once as a product of experts with the frozen
# baseline:confounds logit (--debias poe). Same budget as BENCHMARKS (e): 2000 training
# pairs, 128 tokens, 1 epoch, 1000 post-clustered bootstrap resamples, seed 0. Resumable;
# each cell prints its wall and CPU seconds. bench/debias_table.py prints the table.
set -uo pipefail
OUT=${1:-runs/debias-study}
# shellcheck source=bench/real_common.sh
. "$(dirname "$0")/real_common.sh"
for held in askacademia gradschool; do
  for mode in none poe; do
    run="$OUT/$held-$mode"
    resume=(); [ -f "$run/config.json" ] && resume=(--resume)
    [ -f "$run/results.json" ] || step "$held-$mode" rmbench run --holdout "$held" --debias "$mode" "${COMMON[@]}" \
      --out "$run" "${resume[@]}"
  done
done
python bench/debias_table.py "$OUT"
