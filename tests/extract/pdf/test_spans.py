"""Font classification and text normalisation."""

from __future__ import annotations

import pytest

from codemill.extract.pdf.spans import is_monospace, normalise_text


@pytest.mark.parametrize(
    "font",
    ["Courier", "LMMono10-Regular", "ABCDEF+CMTT10", "rm-lmtt10", "Consolas-Bold", "DejaVuSansMono", "Menlo-Regular",
     "SourceCodePro-Regular", "FiraCode-Retina", "NimbusMonoPS-Regular", "SFTT1000"],
)
def test_monospace_fonts_are_recognised_by_name(font):
    assert is_monospace(font, flags=0)


@pytest.mark.parametrize("font", ["Times-Roman", "LMRoman10-Regular", "Helvetica-Bold", "ArialUnicodeMS", "CMR10", "Cambria"])
def test_proportional_fonts_are_not_monospace(font):
    assert not is_monospace(font, flags=0)


def test_monospace_flag_is_enough():
    assert is_monospace("SomeUnknownFont", flags=8)


def test_ligatures_odd_spaces_and_soft_hyphens_are_normalised():
    assert normalise_text("\ufb01rst\u00a0\ufb02oor of\u2009the o\u00ad\ufb03ce") == "first floor of the office"
