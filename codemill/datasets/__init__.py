"""Stage 2: curate extracted documents into a training set (datatrove pipeline).

The package face holds the stage entry point only; the build itself (datatrove) is
`codemill.datasets.build.build_dataset`, imported where used.
"""

from codemill.datasets.stage import run_data

__all__ = ["run_data"]
