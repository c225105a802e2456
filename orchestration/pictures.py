"""Charts of the marts as PNG images, for asset metadata in the Dagster UI.

The UI renders markdown images with data URLs, so each chart is returned as
markdown: `![title](data:image/png;base64,...)`. Every chart has the same
size (WIDTH_PX x HEIGHT_PX) so that the asset pages line up.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no screen: render to memory only

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 100
WIDTH_PX = 720
HEIGHT_PX = 440


def _new_figure() -> tuple[Figure, plt.Axes]:
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    return figure, figure.add_subplot()


def _as_markdown(figure: Figure, title: str) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=DPI)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"![{title}](data:image/png;base64,{encoded})"


def png_from_markdown(markdown: str) -> bytes:
    """The PNG bytes of a chart made here (for tests and for saving a chart to a file)."""
    return base64.b64decode(markdown.split("base64,", 1)[1].rstrip(")"))


def pareto_curve(
    customer_share: Sequence[float], profit_share: Sequence[float], top_share: float
) -> str:
    """Cumulative share of realised profit against the share of customers, best first.

    `top_share` (e.g. 0.2) is marked with the profit share the curve reaches there.
    """
    figure, axes = _new_figure()
    xs = [0.0, *customer_share]
    ys = [0.0, *profit_share]
    axes.plot([x * 100 for x in xs], [y * 100 for y in ys], color="#1f5f8b", linewidth=2)
    axes.plot([0, 100], [0, 100], color="grey", linestyle=":", linewidth=1, label="equal shares")
    reached = _interpolate(xs, ys, top_share)
    axes.axvline(top_share * 100, color="#c0392b", linestyle="--", linewidth=1)
    axes.scatter([top_share * 100], [reached * 100], color="#c0392b", zorder=3)
    axes.annotate(
        f"top {top_share:.0%} of customers: {reached:.0%} of profit",
        (top_share * 100, reached * 100),
        xytext=(10, -20),
        textcoords="offset points",
        color="#c0392b",
    )
    axes.set_xlabel("share of customers, most profitable first (%)")
    axes.set_ylabel("cumulative share of realised profit (%)")
    axes.set_title("Value concentration (Pareto curve)")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    return _as_markdown(figure, "Pareto curve")


def _interpolate(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    points = list(zip(xs, ys, strict=True))
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return ys[-1]


def loyalty_matrix(counts: dict[tuple[str, str], int], rows: list[str], columns: list[str]) -> str:
    """Customers per cell of behaviour (rows) x attitude (columns), as an annotated heat map."""
    figure, axes = _new_figure()
    values = [[counts.get((row, column), 0) for column in columns] for row in rows]
    image = axes.imshow(values, cmap="Blues")
    axes.set_xticks(range(len(columns)), labels=[f"attitude: {c}" for c in columns])
    axes.set_yticks(range(len(rows)), labels=[f"behaviour: {r}" for r in rows])
    highest = max((max(row) for row in values), default=0)
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            colour = "white" if highest and value > highest / 2 else "black"
            axes.text(j, i, f"{value:,}", ha="center", va="center", color=colour, fontsize=12)
    figure.colorbar(image, ax=axes, label="customers")
    axes.set_title("Loyalty matrix: purchase behaviour x survey attitude")
    return _as_markdown(figure, "Loyalty matrix")


def value_by_tier(values: dict[str, Sequence[float]], tiers: list[str]) -> str:
    """Distribution of customer lifetime value per value tier (box plot, outliers hidden)."""
    figure, axes = _new_figure()
    present = [tier for tier in tiers if values.get(tier)]
    axes.boxplot([values[tier] for tier in present], tick_labels=present, showfliers=False)
    axes.set_ylabel("total lifetime value")
    axes.set_title("Customer lifetime value by value tier")
    axes.grid(axis="y", alpha=0.3)
    return _as_markdown(figure, "CLV by tier")


def cohort_heatmap(retention: dict[tuple[str, int], float], cohorts: list[str]) -> str:
    """Retention rate per acquisition cohort (rows, oldest first) and month since first purchase.

    `retention` maps (cohort, months since first purchase) to the share of
    the cohort still active at that month end; months a cohort has not
    reached yet stay blank.
    """
    figure, axes = _new_figure()
    months = max((month for _, month in retention), default=0) + 1
    values = [
        [retention.get((cohort, month), math.nan) for month in range(months)] for cohort in cohorts
    ]
    image = axes.imshow(values, cmap="YlGnBu", vmin=0, vmax=1, aspect="auto", interpolation="none")
    step = max(1, math.ceil(len(cohorts) / 12))
    axes.set_yticks(range(0, len(cohorts), step), labels=cohorts[::step])
    axes.set_xlabel("months since first purchase")
    axes.set_ylabel("cohort (month of first purchase)")
    figure.colorbar(image, ax=axes, label="retention rate (active / cohort)")
    axes.set_title("Cohort retention: share of each cohort still active")
    return _as_markdown(figure, "Cohort retention")
