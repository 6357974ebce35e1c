#!/usr/bin/env bash
# Install codemill into ./.venv. torch is installed first and pinned, so that no later package can pull
# a different torch build (on a CPU machine, several GB of CUDA wheels). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
torch_spec=${CODEMILL_TORCH:-torch==2.13.0}
extras=${CODEMILL_EXTRAS:-dev}

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "is ignored: it is neither" >&2); }

echo "codemill: installing $torch_spec" >&2
pip install "$torch_spec"
echo "codemill: installing codemill[$extras] and its dependencies" >&2
pip install -e ".[$extras]"
.venv/bin/codemill --version >&2
