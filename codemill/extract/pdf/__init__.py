"""Textbook PDF -> markdown from the PDF's own text layer."""
