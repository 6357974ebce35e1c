"""PII and secret redaction: emails, public IP addresses, API keys and tokens become placeholders."""

from __future__ import annotations

import ipaddress
import re

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from codemill.datasets.format import set_turns

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# (pattern, markers): a pattern can only match a text holding one of its literal markers, and a
# substring test is far cheaper than the regex scan, so the regex runs only when a marker is there.
SECRETS = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL), ("-----BEGIN ",)),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), ("AKIA",)),  # AWS access key id
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),  # GitHub tokens
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,}\b"), ("github_pat_",)),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"), ("xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-")),  # Slack
    (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b"), ("sk-",)),  # OpenAI / Anthropic style keys
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), ("AIza",)),  # Google API key
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), ("hf_",)),  # Hugging Face token
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"), ("eyJ",)),  # JWT
]
# `api_key = "..."`, `password: '...'`: keep the name, hide the quoted value.
ASSIGNED_SECRET = re.compile(
    r"(?i)((?:api[_-]?key|secret(?:[_-]?key)?|access[_-]?token|auth[_-]?token|password|passwd)\s*[:=]\s*)([\"'])([^\"'\s]{8,})\2"
)
# Necessary parts of a match, found by a quick scan before the full pattern runs.
_ASSIGNMENT = re.compile(r"[:=]\s*[\"']")
_DOTTED_DIGITS = re.compile(r"\d\.\d{1,3}\.\d")


def _redact_ip(match: re.Match) -> str:
    try:
        address = ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)  # 999.1.1.1 and version strings are not addresses
    return "<IP_ADDRESS>" if address.is_global else match.group(0)  # keep 127.0.0.1, 10.x, 192.168.x


def redact_text(text: str, emails: bool = True, ips: bool = True, secrets: bool = True) -> tuple[str, int]:
    """The redacted text and how many spans were replaced."""
    total = 0
    if secrets:
        for pattern, markers in SECRETS:
            if any(marker in text for marker in markers):
                text, n = pattern.subn("<SECRET>", text)
                total += n
        if _ASSIGNMENT.search(text):
            text, n = ASSIGNED_SECRET.subn(lambda m: f"{m.group(1)}{m.group(2)}<SECRET>{m.group(2)}", text)
            total += n
    if emails and "@" in text:
        text, n = EMAIL.subn("<EMAIL>", text)
        total += n
    if ips and _DOTTED_DIGITS.search(text):
        redacted = IPV4.sub(_redact_ip, text)
        total += redacted.count("<IP_ADDRESS>") - text.count("<IP_ADDRESS>")
        text = redacted
    return text, total


class Redact(PipelineStep):
    """Redact every turn of every sample; counts replaced spans and touched samples."""

    type = "codemill"
    name = "redact"

    def __init__(self, emails: bool, ips: bool, secrets: bool):
        super().__init__()
        self.options = {"emails": emails, "ips": ips, "secrets": secrets}

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                turns, spans = [], 0
                for turn in doc.metadata["turns"]:
                    content, n = redact_text(turn["content"], **self.options)
                    turns.append(dict(turn, content=content))
                    spans += n
                if spans:
                    set_turns(doc, turns)
                    self.stat_update("redacted_samples")
                    self.stat_update("redacted_spans", value=spans)
            yield doc
