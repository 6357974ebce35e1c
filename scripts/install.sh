#!/usr/bin/env bash
# Install codemill into ./.venv. torch is installed first and pinned, so that no later package can pull
# a different torch build (on a CPU machine, several GB of CUDA wheels). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
torch_spec=${CODEMILL_TORCH:-torch==2.13.0}
extras=${CODEMILL_EXTRAS:-dev}

# The eval sandbox wants bubblewrap. Best effort: only as root with apt-get; without it, evals use the
# `unshare` backend where it can contain samples, and refuse to run them otherwise.
if ! command -v bwrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "codemill: installing bubblewrap for the eval sandbox" >&2
    apt_log=$(mktemp -t codemill-bubblewrap.XXXXXX.log)
    if { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap \
         || { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
              && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; }; } >"$apt_log" 2>&1; then
        rm -f "$apt_log"
    else
        echo "codemill: could not install bubblewrap (see $apt_log); evals will use another backend or refuse" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "is ignored: it is neither" >&2); }

echo "codemill: installing $torch_spec" >&2
pip install "$torch_spec"
echo "codemill: installing codemill[$extras] and its dependencies" >&2
pip install -e ".[$extras]"
# An editable install leaves our own modules uncompiled; where PYTHONDONTWRITEBYTECODE is set, every
# command would compile them again (~0.1 s a start). Python still reads these, and recompiles a stale one.
.venv/bin/python -m compileall -q codemill >/dev/null
.venv/bin/codemill --version >&2
