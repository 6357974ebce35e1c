"""The recipe's `sources` section: what raw inputs a run extracts and curates."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from codemill.config import StrictModel
from codemill.extract.pdf.config import PdfOptions
from codemill.extract.stackexchange.config import StackExchangeOptions


class SourceConfig(StrictModel):
    """One source: raw input `path`, extracted into `extracted` (default `<output_dir>/extract/<name>`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    type: Literal["pdf", "stackexchange"]
    path: Path
    extracted: Path | None = None
    weight: float = Field(default=1.0, gt=0)
    license: str | None = None
    attribution: str | None = None
    pdf: PdfOptions = PdfOptions()
    stackexchange: StackExchangeOptions = StackExchangeOptions()

    def extracted_dir(self, output_dir: Path) -> Path:
        return self.extracted if self.extracted is not None else Path(output_dir) / "extract" / self.name
