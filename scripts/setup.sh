#!/usr/bin/env bash
# Sets up a fresh clone: system packages (Debian), npm dependencies, build.
#   bash scripts/setup.sh          for running sweeps (Fashion-MNIST from Debian)
#   bash scripts/setup.sh --test   also what the test suite needs (Optuna, PostgreSQL, psycopg2 for the interop and storage tests)
# System packages are installed only where apt-get is available and we are
# root (or have sudo); elsewhere the script says what is missing and goes on.
set -euo pipefail
cd "$(dirname "$0")/.."

# libopenblas-dev: the native GEMM addon (binding.gyp, built by node-gyp through
# scripts/build-native.mjs, which npm runs on install) that makes training on
# the wasm backend ~2.4x faster.
want=(dataset-fashion-mnist libopenblas-dev)
# --test: Optuna for the interop tests; postgresql (server binaries: the
# PostgreSQL storage tests initdb a temporary server) and python3-psycopg2
# (Optuna on PostgreSQL).
if [[ "${1:-}" == "--test" ]]; then want+=(python3-optuna python3-psycopg2 postgresql tmux); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if command -v apt-get >/dev/null; then
    SUDO=""
    [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null && SUDO="sudo"
    if [[ $(id -u) -eq 0 || -n "$SUDO" ]]; then
      echo "setup: installing ${missing[*]} (apt-get)"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "setup: please install ${missing[*]} (not root, no sudo)" >&2
    fi
  else
    echo "setup: no apt-get here; Fashion-MNIST: put the IDX files in data/fashion-mnist/ or set FASHION_MNIST_DIR" >&2
  fi
fi

# npm ci builds (its install script compiles the native addon, prepare runs tsc). The optional @tensorflow/tfjs-node(-gpu)
# packages fail to install without internet access to their binaries; npm skips them.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
else
  node scripts/build-native.mjs
  npm run build --silent
fi
