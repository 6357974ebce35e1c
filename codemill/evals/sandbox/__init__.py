"""The sandbox: isolated, rate-limited execution of untrusted benchmark programs."""

from codemill.evals.sandbox.isolation import Isolation, SandboxUnavailable, detect
from codemill.evals.sandbox.pool import Job, Limits, Outcome, SandboxPool

__all__ = ["Isolation", "Job", "Limits", "Outcome", "SandboxPool", "SandboxUnavailable", "detect"]
