#!/usr/bin/env bash
# Installs everything hardy needs on a fresh Debian 12 machine (idempotent), then fetches data.
#   scripts/setup.sh            build + run dependencies, datasets, python3-onnx and ONNX Runtime
#                               (npm onnxruntime-node) for the hardened-ONNX tests
#   scripts/setup.sh --zoo      also PyTorch + onnx (retraining the model zoo, PyTorch comparisons)
#   scripts/setup.sh --peers    also PyTorch and Brian2 (cross-checks and speed comparisons)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ pkg-config libgtest-dev libgmock-dev libbenchmark-dev
          libonnx-dev libprotobuf-dev protobuf-compiler libcli11-dev nlohmann-json3-dev
          libfmt-dev libyaml-cpp-dev zlib1g-dev libgemmlowp-dev dataset-fashion-mnist
          libopenmpi-dev openmpi-bin python3-onnx)
for arg in "$@"; do
  case "$arg" in
    --zoo) packages+=(python3-torch python3-onnx python3-numpy) ;;
    --peers) packages+=(python3-torch python3-onnx python3-numpy python3-brian) ;;
    *) echo "error: unknown option '$arg' (expected --zoo or --peers)" >&2; exit 2 ;;
  esac
done
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

scripts/fetch_mnist.sh
if [ ! -d tests/node_modules/onnxruntime-node ]; then
  # The version range is tests/package.json's; --no-save keeps that tracked file as it is.
  (cd tests && npm install --no-save --ignore-scripts --no-audit --no-fund --silent)
fi
echo "setup: ok"
