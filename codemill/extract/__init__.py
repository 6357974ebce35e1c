"""Stage 1: turn raw sources (textbook PDFs, StackExchange dumps, Hub datasets) into clean markdown."""

from codemill.extract.stage import extract_options, run_extract

__all__ = ["extract_options", "run_extract"]
