"""The /figures chart: burglaries per year with today's subscribers beside it, as a PNG.

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
