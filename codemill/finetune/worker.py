"""One training process of a multi-process run: `python -m codemill.finetune.worker RECIPE [--resume]`."""

from __future__ import annotations

import sys

from codemill.finetune.train import finetune
from codemill.recipe import load_recipe


def main(argv: list[str]) -> None:
    resume = "--resume" in argv
    paths = [arg for arg in argv if arg != "--resume"]
    if len(paths) != 1:
        raise SystemExit("usage: python -m codemill.finetune.worker RECIPE [--resume]")
    finetune(load_recipe(paths[0]), resume=resume)


if __name__ == "__main__":
    main(sys.argv[1:])
