"""StackExchange data dump -> Q&A threads in markdown, streamed, with attribution."""

from codemill.extract.stackexchange.extract import extract_stackexchange
from codemill.extract.stackexchange.html_markdown import html_to_markdown
from codemill.extract.stackexchange.summary import StackExchangeSummary
from codemill.recipe.stackexchange import StackExchangeOptions

__all__ = ["StackExchangeOptions", "StackExchangeSummary", "extract_stackexchange", "html_to_markdown"]
