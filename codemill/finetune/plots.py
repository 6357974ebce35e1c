"""The loss curve of a run as a PNG (train and, when present, validation loss against the step)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from codemill.common.atomic import atomic_write_bytes  # noqa: E402


def plot_loss(history: list[dict], path: Path, title: str) -> None:
    """Draw train (and eval) loss from the trainer's log history into `path`."""
    train = [(entry["step"], entry["loss"]) for entry in history if "loss" in entry]
    evals = [(entry["step"], entry["eval_loss"]) for entry in history if "eval_loss" in entry]
    figure, axes = plt.subplots(figsize=(7, 4))
    for points, label in ((train, "train"), (evals, "validation")):
        if points:
            axes.plot(*zip(*points), marker="o" if len(points) < 30 else None, label=label)
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())
