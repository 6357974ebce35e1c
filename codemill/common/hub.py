"""Whether the Hugging Face Hub is off limits, read live: preflight sets the variable after a failed probe."""

from __future__ import annotations

import os


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE is set (the hub clients read the same variable)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
