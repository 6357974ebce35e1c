#!/usr/bin/env bash
# Install (or update) codemill in ./.venv, then run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash scripts/system-deps.sh
exec .venv/bin/python -m pytest "$@"
