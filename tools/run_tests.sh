#!/usr/bin/env bash
# Installs the package with its test extras into .venv (created if missing),
# installs the npm packages the JavaScript tests use, and runs the test suite
# on the TensorFlow backend, then on JAX. Extra arguments go to both pytest
# runs, e.g. `bash tools/run_tests.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# The TF.js reference reader/writer: its own dependencies pin TF 2.19, so only the package itself.
.venv/bin/python -m pip install --quiet --no-deps tensorflowjs==4.22.0
if [ -f package.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
export TF_CPP_MIN_LOG_LEVEL=3
echo "=== Keras backend: tensorflow"
KERAS_BACKEND=tensorflow .venv/bin/python -m pytest -ra "$@"
echo "=== Keras backend: jax"
KERAS_BACKEND=jax .venv/bin/python -m pytest -ra "$@"
