#!/usr/bin/env bash
# The whole test suite on a fresh machine: sets up .venv (with Graphviz and Chromium where apt-get
# can install them, and PyTorch only where its CPU wheel is already on this disk), then runs pytest.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -k steps
CIRCUITGRAD_EXTRAS="examples,test" CIRCUITGRAD_APT="graphviz chromium" \
    source "$(dirname "$0")/setup-env.sh"
if ! python -c "import torch" >/dev/null 2>&1; then
    # Optional: compare against PyTorch, but only from a wheel on this disk (never a download).
    python -m pip install -q --disable-pip-version-check --no-index torch==2.13.0 >/dev/null 2>&1 \
        && echo "setup: installed torch 2.13.0 from a local wheel" \
        || echo "setup: no local torch wheel; the PyTorch comparisons will be skipped"
fi
exec python -m pytest "$@"
