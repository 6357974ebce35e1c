from codemill.datasets.redact import SECRETS, redact_text


def test_emails_public_ips_and_keys_are_redacted():
    text = ("mail ada@example.org, server 8.8.8.8, local 127.0.0.1 and 192.168.1.4, "
            "key AKIAABCDEFGHIJKLMNOP, token ghp_" + "a" * 36 + ", api_key = 'abcdef123456'")
    out, count = redact_text(text)
    assert "ada@example.org" not in out and "<EMAIL>" in out
    assert "8.8.8.8" not in out and "127.0.0.1" in out and "192.168.1.4" in out
    assert "AKIA" not in out and "ghp_" not in out
    assert "api_key = '<SECRET>'" in out
    assert count == 5


def test_version_numbers_are_not_addresses():
    out, count = redact_text("cardano-node 1.30.1 and ghc 8.10.7 and build 1.2.3.4.5")
    assert count == 0 and out == "cardano-node 1.30.1 and ghc 8.10.7 and build 1.2.3.4.5"


def test_every_secret_kind_is_redacted_past_its_marker_check():
    samples = ["-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "AKIA" + "A" * 16,
               "gho_" + "b" * 30, "github_pat_" + "c" * 30, "xoxb-" + "1" * 12, "sk-proj-" + "d" * 24,
               "AIza" + "e" * 35, "hf_" + "f" * 30, "eyJ" + "g" * 12 + "." + "h" * 12 + "." + "i" * 12]
    assert len(samples) == len(SECRETS)
    for sample, (pattern, markers) in zip(samples, SECRETS):
        assert pattern.search(sample) and any(marker in sample for marker in markers), sample
        out, count = redact_text(f"config: {sample} end")
        assert out == "config: <SECRET> end" and count == 1, sample
    assert redact_text('PASSWORD : "hunter2hunter2"')[0] == 'PASSWORD : "<SECRET>"'
    assert redact_text("mail me at a.b@c.io or 1.1.1.1")[0] == "mail me at <EMAIL> or <IP_ADDRESS>"
