"""The one settings fingerprint: canonical (key order, models, paths, sets), and stable across releases."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from codemill.common.digest import canonical_json, file_sha256, fingerprint
from codemill.recipe.pdf import PdfOptions


def test_key_order_does_not_matter_and_values_do():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert fingerprint([1, 2]) != fingerprint([2, 1])


def test_plain_settings_keep_the_print_earlier_runs_recorded():
    """The canonical form is `json.dumps(sort_keys=True)`, so run folders fingerprinted that way stay valid."""
    settings = {"version": 3, "site": "x.stackexchange.com", "files": [["a", 1, 2]], "name": "é"}
    expected = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    assert fingerprint(settings) == expected
    assert fingerprint(settings, 16) == expected[:16]


def test_models_paths_and_sets_have_one_canonical_form():
    options = PdfOptions()
    assert fingerprint(options) == fingerprint(options.model_dump(mode="json"))
    assert fingerprint({"options": options}) != fingerprint({"options": PdfOptions(ocr=not options.ocr)})
    assert canonical_json(Path("a/b")) == canonical_json("a/b")
    assert canonical_json({3, 1, 2}) == canonical_json([1, 2, 3])
    assert canonical_json({"b", "a"}) == canonical_json(["a", "b"])


def test_file_sha256_reads_in_blocks(tmp_path):
    path = tmp_path / "big.bin"
    data = bytes(range(256)) * 9000  # more than one 1 MiB block
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
