# Sourced by main.sh and test.sh: make .venv with circuitgrad and its extras, and the system
# programs it drives (Graphviz's dot; for the tests also Chromium). Safe to run again: it only
# installs what is missing.
#   CIRCUITGRAD_EXTRAS  pip extras to install (default: examples)
#   CIRCUITGRAD_APT     Debian packages wanted (default: graphviz)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

extras="${CIRCUITGRAD_EXTRAS:-examples}"
wanted_apt="${CIRCUITGRAD_APT:-graphviz}"

missing_apt=""
for pkg in $wanted_apt; do
    case "$pkg" in
        graphviz) command -v dot >/dev/null 2>&1 || missing_apt="$missing_apt graphviz" ;;
        chromium) command -v chromium >/dev/null 2>&1 || missing_apt="$missing_apt chromium" ;;
        *) missing_apt="$missing_apt $pkg" ;;
    esac
done
if [ -n "$missing_apt" ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "setup: installing$missing_apt with apt-get"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -qq $missing_apt >/dev/null; }; then
            echo "setup: apt-get could not install$missing_apt; tests that need it will skip" >&2
        fi
    else
        echo "setup: could not install$missing_apt (needs apt-get as root)." >&2
        echo "       Install Graphviz yourself: apt install graphviz | brew install graphviz | conda install graphviz" >&2
    fi
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$python" -m venv .venv
fi
stamp=".venv/.circuitgrad-$(cat pyproject.toml | cksum | cut -d' ' -f1)-${extras//,/_}"
if [ ! -f "$stamp" ]; then
    echo "setup: installing circuitgrad[$extras] into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"
    touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
