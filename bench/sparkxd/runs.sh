#!/usr/bin/env bash
# Regenerates every number of docs/results-sparkxd.md: `hardy sparkxd` runs into OUT (default
# build/sparkxd-results), then summarize.py prints the tables. Resumable: every run uses --resume
# on one shared work directory, so rerunning after an interruption (or for another vendor) redoes
# only what is missing; delete OUT to start over. Prints the wall and CPU time of each run (GNU
# time) and the total wall time.
#   bench/sparkxd/runs.sh [OUT] [GROUP...]     GROUP: curves table original n900 n1600 int8
# (default: all but n1600). The per-size table of the issue is `table original n900 int8`.
set -euo pipefail
cd "$(dirname "$0")/../.."
hardy="${HARDY:-build/hardy}"
out="${1:-build/sparkxd-results}"
shift || true
groups="${*:-curves table original n900 int8}"
mkdir -p "$out"
common=(--threads 2 --resume --work "$out/work" --seeds 3 --bers 1e-7:1e-2:2)
tuned=(--config configs/snn/fashion_mnist_tuned.yaml)
start=$(date +%s)

run() {  # run NAME ARGS...: one hardy sparkxd command, its log and its time
  local name="$1"
  shift
  local t0
  t0=$(date +%s)
  echo "== $name: $hardy sparkxd $*" >&2
  /usr/bin/time -o "$out/$name.time" -f "%e s wall, %U s user, %S s sys" \
    "$hardy" sparkxd "$@" "${common[@]}" --json "$out/$name.json" --csv "$out/$name.csv" \
    > "$out/$name.table.md" 2> "$out/$name.log"
  echo "== $name: $(cat "$out/$name.time")" >&2
}

vendors=("B median" "B worst" "A median" "C median")
for g in $groups; do
  case "$g" in
    curves)  # accuracy vs BER, with and without FAT, both formats, N100 and N400
      for fmt in fp32 q8; do
        run "fm_tuned_${fmt}_B-median" --dataset fashion-mnist --neurons 100,400 "${tuned[@]}" \
          --weight-format "$fmt" --vendor B
        run "mnist_${fmt}_B-median" --dataset mnist --neurons 100,400 --weight-format "$fmt" \
          --vendor B
      done ;;
    table)  # the per-size table, tuned configuration, every vendor curve
      for v in "${vendors[@]}"; do
        set -- $v
        run "table_tuned_fp32_$1-$2" --dataset fashion-mnist --neurons 100,400 "${tuned[@]}" \
          --weight-format fp32 --vendor "$1" --vendor-statistic "$2"
      done ;;
    original)  # the original Diehl & Cook parameters
      for v in "${vendors[@]}"; do
        set -- $v
        run "table_original_fp32_$1-$2" --dataset fashion-mnist --neurons 100,400 \
          --weight-format fp32 --vendor "$1" --vendor-statistic "$2"
      done ;;
    n900|n1600)  # one larger size, both configurations
      n="${g#n}"
      for v in "${vendors[@]}"; do
        set -- $v
        run "table_tuned_fp32_N${n}_$1-$2" --dataset fashion-mnist --neurons "$n" "${tuned[@]}" \
          --weight-format fp32 --vendor "$1" --vendor-statistic "$2"
        run "table_original_fp32_N${n}_$1-$2" --dataset fashion-mnist --neurons "$n" \
          --weight-format fp32 --vendor "$1" --vendor-statistic "$2"
      done ;;
    int8)  # the int8 LeNet-5, no retraining
      for v in "${vendors[@]}"; do
        set -- $v
        run "int8_lenet5_$1-$2" --model models/lenet5_fmnist.onnx --dataset fashion-mnist \
          --vendor "$1" --vendor-statistic "$2"
      done ;;
    *) echo "unknown group $g" >&2; exit 2 ;;
  esac
done
echo "== total: $(( $(date +%s) - start )) s" >&2
