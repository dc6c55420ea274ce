#!/bin/bash
# Differential test of the NVF analysis on random architectures: draws random networks
# (scripts/random_models.py), then for each runs bench/compare_nvf_injection.py, which checks that
# `hardy nvf` and the four exhaustive `hardy inject` campaigns (single and double bit flips,
# stuck-at-0, stuck-at-1) count the same critical faults on every neuron.
#
# usage: scripts/fuzz_nvf.sh [--count N] [--first-seed S] [--images I] [--threads T] [--work DIR]
#                            [--hardy BINARY]
# Needs Debian's python3-torch and python3-onnx (scripts/setup.sh --zoo; without them: exit 77, the
# code ctest reads as skipped) and a built hardy (scripts/build.sh; default build/hardy).
# Each model is drawn and compared in turn; finished ones are skipped when the same --work is given
# again (resumable). Prints one line per model (critical counts, the comparison's last line) and,
# last, how many agreed; exits 2 at the first disagreement or failure. The architectures drawn are
# in DIR/random_<seed>.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=10 first=1 images=2 threads=2 work="" hardy="$root/build/hardy"
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --first-seed) first=$2; shift 2 ;;
    --images) images=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --hardy) hardy=$2; shift 2 ;;
    *) echo "error: unknown option '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
if ! /usr/bin/python3 -c "import torch, onnx" 2> /dev/null; then
  echo "error: /usr/bin/python3 lacks torch or onnx (scripts/setup.sh --zoo installs them)" >&2
  exit 77
fi
if [ ! -x "$hardy" ]; then
  echo "error: no hardy binary at $hardy (scripts/build.sh, or --hardy)" >&2
  exit 2
fi
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
agreed=0
for ((seed = first; seed < first + count; ++seed)); do
  model="$work/random_$seed.onnx"
  if [ ! -f "$work/random_$seed.done" ]; then
    /usr/bin/python3 "$root/scripts/random_models.py" --out "$work" --count 1 --first-seed "$seed" \
      > /dev/null 2>> "$work/export.log"
    if ! python3 "$root/bench/compare_nvf_injection.py" --hardy "$hardy" --model "$model" --images "$images" \
        --threads "$threads" --work "$work/cmp_$seed" > "$work/random_$seed.log" 2>&1; then
      echo "error: random_$seed ($(tr '\n' ';' < "$work/random_$seed.txt")): $(tail -3 "$work/random_$seed.log")" >&2
      exit 2
    fi
    touch "$work/random_$seed.done"
  fi
  echo "random_$seed: $(grep '^nvf' "$work/random_$seed.log" | sed 's/ *(bytes.*//')" \
    "($(tail -1 "$work/random_$seed.log"))"
  agreed=$((agreed + 1))
done
echo "agreed: $agreed of $count random models"
