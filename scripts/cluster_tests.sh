#!/usr/bin/env bash
# The cluster tests (Ray and Slurm builds, kills and resumes): minutes on two cores, so not in the
# default suite. Installs ray and Debian's slurm-wlm + munge when missing (root), then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip --disable-pip-version-check -q install -e ".[ray]"
if [ "$(id -u)" = 0 ] && ! command -v slurmctld >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
exec .venv/bin/python -m pytest -m cluster tests/datasets/test_scale_out.py --durations=5 "$@"
