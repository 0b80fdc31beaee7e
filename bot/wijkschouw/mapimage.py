"""A simple map of the reported points as a PNG, without a tile server or network.

The points are projected onto a flat plane around their centre (an equirectangular projection:
east-west distances shrink with the cosine of the latitude). Over a neighbourhood of a few
kilometres that is accurate to well under a metre, good enough to see where findings cluster;
the GeoJSON file is there for real maps. Drawn with matplotlib's object API on the Agg canvas
(no pyplot), like bot/advisers/charts.py.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

EARTH_RADIUS_M = 6_371_000
MIN_SPAN_M = 200  # a map of one point still shows its surroundings' scale
NICE_STEPS = (1, 2, 5)


@dataclass(frozen=True)
class MapPoint:
    number: int
    latitude: float
    longitude: float
    category: str


@dataclass(frozen=True)
class MapLabels:
    """Translated texts and category colours (the caller knows the reader's language)."""

    title: str
    subtitle: str
    categories: Mapping[str, str]  # key -> translated name
    colours: Mapping[str, str]  # key -> colour
    metres: str  # "{n} m"
    north: str  # "N"


def project(points: Sequence[MapPoint]) -> list[tuple[float, float]]:
    """Metres east and north of the points' centre."""
    lat0 = sum(p.latitude for p in points) / len(points)
    lon0 = sum(p.longitude for p in points) / len(points)
    scale = math.cos(math.radians(lat0))
    to_m = math.radians(1) * EARTH_RADIUS_M
    return [((p.longitude - lon0) * scale * to_m, (p.latitude - lat0) * to_m) for p in points]


def scale_length(span_m: float) -> int:
    """A round length (1, 2 or 5 times a power of ten) of about a quarter of the span."""
    target = max(span_m / 4, 1)
    power = 10 ** math.floor(math.log10(target))
    return int(max(step * power for step in NICE_STEPS if step * power <= target))


def findings_map(labels: MapLabels, points: Sequence[MapPoint]) -> bytes:
    """PNG bytes; `points` must not be empty."""
    if not points:
        raise ValueError("a map needs at least one point")
    xy = project(points)
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    span = max(max(xs) - min(xs), max(ys) - min(ys), MIN_SPAN_M)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = span * 0.72  # room around the outer points for the legend, arrow and scale
    figure = Figure(figsize=(8, 8), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)
    ax.set_aspect("equal")
    ax.set_facecolor("#f4f1ea")
    ax.grid(color="#ddd8cc", linewidth=0.6)
    ax.tick_params(labelbottom=False, labelleft=False, length=0)
    seen: set[str] = set()
    for point, (x, y) in zip(points, xy, strict=True):
        colour = labels.colours.get(point.category, "#555555")
        label = None if point.category in seen else labels.categories.get(point.category)
        seen.add(point.category)
        ax.scatter(
            [x], [y], s=260, color=colour, edgecolors="white", linewidths=1.5, zorder=3, label=label
        )
        ax.annotate(
            str(point.number),
            (x, y),
            ha="center",
            va="center",
            color="white",
            fontsize=9,
            fontweight="bold",
            zorder=4,
        )
    if seen:
        ax.legend(loc="upper right", fontsize=9, framealpha=0.9)
    # Scale bar, bottom left, and a north arrow, top left.
    length = scale_length(2 * half)
    x0, y0 = cx - half * 0.9, cy - half * 0.9
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    ax.text(
        x0 + length / 2,
        y0 + half * 0.03,
        labels.metres.format(n=length),
        ha="center",
        va="bottom",
        fontsize=9,
    )
    ax.annotate(
        labels.north,
        xy=(cx - half * 0.85, cy + half * 0.9),
        xytext=(cx - half * 0.85, cy + half * 0.72),
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )
    ax.set_title(labels.subtitle, fontsize=10)
    figure.suptitle(labels.title, fontweight="bold")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
