"""Charts: the /figures chart (burglaries per year with today's subscribers beside it, PNG) and
the dashboard's insight charts (subscribers over time, deliveries per month, SVG).

Built on matplotlib's object API with the Agg canvas (no pyplot, no display, no global state),
so charts can be drawn from the event loop's worker thread and in tests alike.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

BAR = "#1f5fa8"
SUBSCRIBER_BARS = ("#3c9d5d", "#8cc79f")


@dataclass(frozen=True)
class ChartLabels:
    """Translated texts for the chart (the caller knows the reader's language)."""

    title: str
    burglaries: str
    subscribers: str
    private: str
    groups: str


def burglary_chart(
    labels: ChartLabels, per_year: dict[int, int], private: int, groups: int
) -> bytes:
    """PNG bytes: one bar per year of burglaries, and private chats and groups subscribed now."""
    figure = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=(3, 1))
    years = sorted(per_year)
    counts = [per_year[y] for y in years]
    bars = left.bar([str(y) for y in years], counts, color=BAR)
    left.bar_label(bars)
    left.set_title(labels.burglaries)
    left.spines[["top", "right"]].set_visible(False)
    sub = right.bar([labels.private, labels.groups], [private, groups], color=SUBSCRIBER_BARS)
    right.bar_label(sub)
    right.set_title(labels.subscribers)
    right.spines[["top", "right"]].set_visible(False)
    figure.suptitle(labels.title, fontweight="bold")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# Colour-blind-safe (Okabe-Ito) colours for lines of several municipalities.
SERIES = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
SENT, FAILED = "#1f5fa8", "#b3261e"


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def line_chart(title: str, months: list[str], series: dict[str, list[int]]) -> bytes:
    """SVG: one line per named series over `months` (at most the first len(SERIES) names)."""
    figure = Figure(figsize=(8, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for (name, values), colour in zip(series.items(), SERIES, strict=False):
        axes.plot(months, values, marker="o", color=colour, label=name)
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_ylim(bottom=0)
    if series:
        axes.legend(frameon=False, fontsize="small")
    return _svg(figure)


def stacked_bars(
    title: str, months: list[str], sent: list[int], failed: list[int], labels: tuple[str, str]
) -> bytes:
    """SVG: per month the sent deliveries with the failed ones on top."""
    figure = Figure(figsize=(8, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.bar(months, sent, color=SENT, label=labels[0])
    axes.bar(months, failed, bottom=sent, color=FAILED, label=labels[1])
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(frameon=False, fontsize="small")
    return _svg(figure)
