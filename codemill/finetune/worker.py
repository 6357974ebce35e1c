"""One training process of a multi-process run: `python -m codemill.finetune.worker RECIPE [--resume [--reset-optimizer]]`."""

from __future__ import annotations

import sys

from codemill.finetune.data import DatasetMissingError
from codemill.finetune.train import FinetuneError, finetune
from codemill.recipe.loader import load_recipe


def main(argv: list[str]) -> None:
    flags = {"--resume", "--reset-optimizer"}
    paths = [arg for arg in argv if arg not in flags]
    if len(paths) != 1:
        raise SystemExit("usage: python -m codemill.finetune.worker RECIPE [--resume [--reset-optimizer]]")
    try:
        finetune(load_recipe(paths[0]), resume="--resume" in argv, reset_optimizer="--reset-optimizer" in argv)
    except (FinetuneError, DatasetMissingError) as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main(sys.argv[1:])
