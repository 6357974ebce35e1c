"""StackExchange data dump -> Q&A threads in markdown."""
