#!/usr/bin/env bash
# Configures and builds hardy with Ninja: Release into ./build unless told otherwise.
#   BUILD_DIR   build directory (default: build)
#   BUILD_TYPE  CMAKE_BUILD_TYPE (default: Release)
#   CMAKE_ARGS  extra configure arguments, split on spaces (e.g. -DHARDY_SANITIZE=ON)
# Sanitizer build (docs/testing.md):
#   BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo CMAKE_ARGS=-DHARDY_SANITIZE=ON scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_ARGS:-} \
  >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
