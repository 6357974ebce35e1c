"""Charts for the HTML report, drawn by matplotlib as inline SVG strings (no files, no network).

Text in the charts comes from run files (benchmark and run names), so math parsing is off and
matplotlib's own XML escaping keeps it inert. Each chart gets its own id salt, so several SVGs can
share one page without clashing element ids.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib.figure import Figure

_STYLE = {
    "svg.fonttype": "none",  # real <text> elements: small, selectable, searchable
    "text.parse_math": False,  # a '$' in a benchmark name is just a dollar sign
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def _to_svg(figure: Figure, chart_id: str) -> str:
    """Serialize a figure to an SVG element (no XML prolog), ids salted with `chart_id`."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": chart_id, "svg.id": chart_id}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def loss_chart(train: list[tuple[float, float]], validation: list[tuple[float, float]], x_label: str) -> str:
    """Training loss as a line and validation loss as markers over the same x axis."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(7.5, 3.4))
        axes = figure.add_subplot()
        if train:
            xs, ys = zip(*train)
            axes.plot(xs, ys, color="#2563eb", linewidth=1.6, label="training loss")
        if validation:
            xs, ys = zip(*validation)
            axes.plot(xs, ys, color="#dc2626", linewidth=1.2, marker="o", markersize=4, label="validation loss")
        axes.set_xlabel(x_label)
        axes.set_ylabel("loss")
        axes.legend(frameon=False)
        return _to_svg(figure, "loss-chart")


def pass_rate_chart(scores: dict[str, dict[str, tuple[float, float | None, float | None]]]) -> str:
    """Grouped bars of pass@1 per benchmark (groups) and run (bars), with 95% interval whiskers.

    `scores[benchmark][run] = (value, low, high)`; values are fractions in [0, 1].
    """
    benchmarks = list(scores)
    runs = list(dict.fromkeys(run for by_run in scores.values() for run in by_run))
    colors = ["#94a3b8", "#2563eb", "#16a34a", "#d97706", "#9333ea"]
    width = 0.8 / max(len(runs), 1)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(max(4.5, 1.6 * len(benchmarks) + 2.5), 3.4))
        axes = figure.add_subplot()
        for index, run in enumerate(runs):
            xs, values, lows, highs = [], [], [], []
            for position, benchmark in enumerate(benchmarks):
                if run not in scores[benchmark]:
                    continue
                value, low, high = scores[benchmark][run]
                xs.append(position - 0.4 + width * (index + 0.5))
                values.append(100 * value)
                lows.append(100 * (value - low) if low is not None else 0)
                highs.append(100 * (high - value) if high is not None else 0)
            axes.bar(xs, values, width=width * 0.92, color=colors[index % len(colors)], label=run)
            axes.errorbar(xs, values, yerr=[lows, highs], fmt="none", ecolor="#111827", capsize=3, linewidth=1)
        axes.set_xticks(range(len(benchmarks)), benchmarks)
        axes.set_ylabel("pass@1 (%)")
        axes.set_ylim(0, 100)
        axes.legend(frameon=False, loc="upper left")
        return _to_svg(figure, "pass-chart")
