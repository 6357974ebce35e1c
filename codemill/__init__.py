"""codemill: textbooks and Q&A dumps to training data, fine-tunes and code evals."""

__version__ = "0.1.0"
