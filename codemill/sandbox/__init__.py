"""The sandbox: isolated, rate-limited execution of untrusted programs (benchmark completions, synthetic samples).

A bottom package: evals and data synthesis both run programs in it; it imports no stage.
"""

from codemill.sandbox.isolation import Isolation, SandboxUnavailable, detect
from codemill.sandbox.pool import Job, Limits, Outcome, SandboxPool

__all__ = ["Isolation", "Job", "Limits", "Outcome", "SandboxPool", "SandboxUnavailable", "detect"]
