"""Synthetic samples grounded in textbook chunks, made by a teacher model and checked by running their code.

The entry points, `synthesize` and `prepare`, are in `codemill.datasets.synthesize.run` (it loads datatrove).
"""
