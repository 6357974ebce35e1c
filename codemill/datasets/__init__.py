"""Stage 2: curate extracted documents into a training set (datatrove pipeline)."""

from __future__ import annotations


def __getattr__(name: str):
    # Imported lazily so that loading a recipe (which reads `config.py`) does not import datatrove.
    if name == "build_dataset":
        from codemill.datasets.build import build_dataset

        return build_dataset
    raise AttributeError(name)


__all__ = ["build_dataset"]
