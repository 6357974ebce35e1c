from codemill.datasets.redact import redact_text


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
