#!/usr/bin/env bash
# The whole test suite on a fresh machine: sets up .venv (with Graphviz and Chromium where apt-get
# can install them, and PyTorch only where its CPU wheel is already on this disk), then runs pytest.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -k steps
# --fast skips the tests marked slow (the million-node chain, the examples, CIFAR-sized gradient
# checks): the same as passing -m "not slow". The default run, and CI, include them.
args=()
for arg in "$@"; do
    if [ "$arg" = "--fast" ]; then args+=(-m "not slow"); else args+=("$arg"); fi
done
set -- "${args[@]}"
CIRCUITGRAD_EXTRAS="examples,test,serve" CIRCUITGRAD_APT="graphviz chromium" \
    source "$(dirname "$0")/setup-env.sh"
if ! python -c "import torch" >/dev/null 2>&1; then
    # Optional: compare against PyTorch, but only from a CPU wheel already on this disk (pip's
    # find-links folders); a plain `pip install torch` would download gigabytes.
    links="${PIP_FIND_LINKS:-} $(python -m pip config list 2>/dev/null | sed -n "s/.*find-links='\(.*\)'/\1/p")"
    tag="cp$(python -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
    wheel=""
    for dir in $links; do
        for candidate in "${dir#file://}"/torch-2.13.0*-"$tag"-*.whl; do
            [ -f "$candidate" ] && wheel="$candidate" && break 2
        done
    done
    if [ -n "$wheel" ] && python -m pip install -q --disable-pip-version-check "$wheel" >/dev/null 2>&1; then
        echo "setup: installed $(basename "$wheel") for the PyTorch comparisons"
    else
        echo "setup: no local torch wheel; the PyTorch comparisons will be skipped"
    fi
fi
exec python -m pytest "$@"
