"""Stage 1: turn raw sources (textbook PDFs, StackExchange dumps, Hub datasets) into clean markdown."""

from codemill.extract.stage import run_extract

__all__ = ["run_extract"]
