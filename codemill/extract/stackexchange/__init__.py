"""StackExchange data dump -> Q&A threads in markdown, streamed, with attribution.

The entry point loads the dump readers (py7zr, lxml), so it is imported from its module:
`codemill.extract.stackexchange.extract.extract_stackexchange`; the options are
`codemill.recipe.stackexchange.StackExchangeOptions`.
"""
