"""A line chart in braille (2×4 dots a cell) with a y-axis of ticks and values and an x-axis of
epochs, without Textual: the panels turn its cells into Content. Values that are not finite are
left out of the line (and of the axis range); a log axis leaves out values ≤ 0 too."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bpstep.format import num
from bpstep.tui import plotting

BRAILLE = 0x2800
# dot bit of (column 0/1, row 0…3) in a braille cell
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def tick_text(v: float, log: bool = False) -> str:
    """A short axis label: ``311``, ``0.25``, ``1e-05``."""
    if not math.isfinite(v):
        return num(v, 2)
    a = abs(v)
    if a != 0 and (a >= 1e5 or a < 1e-3):
        return f"{v:.0e}" if log else f"{v:.1e}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 1:
        return f"{v:.3g}"
    return f"{v:.2g}"


@dataclass
class Series:
    values: list[float]
    style: str  # a style name the panel maps to a colour ("train", "validation")
    right: bool = False  # on its own axis, labelled on the right


@dataclass
class Chart:
    """``rows``: each a list of (text, style) runs; ``x0``, ``plot_width``: where the plot's cells
    are (for clicks); ``epoch_at(x)`` maps a plot column to an epoch (1-based)."""

    rows: list[list[tuple[str, str]]] = field(default_factory=list)
    x0: int = 0
    plot_width: int = 0
    n: int = 0

    def epoch_at(self, x: int) -> int | None:
        if self.n < 1 or not 0 <= x - self.x0 < self.plot_width:
            return None
        px = 2 * (x - self.x0) + 1
        return 1 + min(self.n - 1, max(0, int(round(px / max(1, 2 * self.plot_width - 1) * (self.n - 1)))))


def _transform(v: float, log: bool) -> float:
    if not math.isfinite(v) or (log and v <= 0):
        return math.nan
    return math.log10(v) if log else v


def line_chart(series: list[Series], width: int, height: int, *, log: bool = False,
               mark: int | None = None) -> Chart:
    """A chart ``width`` × ``height`` cells (axes included) of ``series`` over epochs 1 … n;
    ``mark`` (an epoch) is drawn as a vertical line of ``┊``."""
    n = max((len(s.values) for s in series), default=0)
    left = [s for s in series if not s.right]
    right = [s for s in series if s.right]

    def rng(group: list[Series]) -> tuple[float, float]:
        lo, hi = plotting.finite_range([_transform(v, log and not s.right) for s in group for v in s.values],
                                       (0.0, 1.0))
        if hi <= lo:
            lo, hi = lo - 1.0, hi + 1.0
        return lo, hi

    lo, hi = rng(left)
    rlo, rhi = rng(right) if right else (0.0, 1.0)
    h = max(2, height - 2)  # the x-axis line and its labels
    ticks = [hi, (lo + hi) / 2, lo]

    def label(t: float, is_log: bool) -> str:
        return tick_text(10 ** t if is_log else t, is_log)

    ylabels = [label(t, log) for t in ticks]
    rlabels = [label(t, False) for t in (rhi, (rlo + rhi) / 2, rlo)] if right else []
    lw = max(len(s) for s in ylabels) + 1
    rw = (max(len(s) for s in rlabels) + 1) if right else 0
    pw = max(2, width - lw - 1 - max(rw, 6))  # on the right: its axis' labels, or "epoch"
    dots = [[0] * pw for _ in range(h)]
    owner = [[""] * pw for _ in range(h)]
    for s in series:
        slo, shi = (rlo, rhi) if s.right else (lo, hi)
        ys = [_transform(v, log and not s.right) for v in s.values]
        prev: tuple[int, int] | None = None
        for i, y in enumerate(ys):
            if math.isnan(y):
                prev = None
                continue
            px = plotting.cell(i, 0, max(1, n - 1), 2 * pw) if n > 1 else 0
            py = plotting.row(y, slo, shi, 4 * h)
            if px is None or py is None:
                prev = None
                continue
            pts = [(px, py)]
            if prev is not None:  # join to the previous point, one dot per pixel step
                steps = max(abs(px - prev[0]), abs(py - prev[1]), 1)
                pts = [(prev[0] + round((px - prev[0]) * k / steps),
                        prev[1] + round((py - prev[1]) * k / steps)) for k in range(1, steps + 1)]
            for qx, qy in pts:
                cx, cy = qx // 2, qy // 4
                dots[cy][cx] |= _DOTS[qx % 2][qy % 4]
                owner[cy][cx] = s.style
            prev = (px, py)
    mark_col = None
    if mark is not None and n >= 1:
        px = plotting.cell(mark - 1, 0, max(1, n - 1), 2 * pw) if n > 1 else 0
        mark_col = None if px is None else px // 2
    chart = Chart(x0=lw + 1, plot_width=pw, n=n)
    tick_rows = {0: 0, (h - 1) // 2: 1, h - 1: 2}
    for r in range(h):
        t = tick_rows.get(r)
        row: list[tuple[str, str]] = [((ylabels[t] if t is not None else "").rjust(lw - 1) + " ", "axis"),
                                      ("┤" if t is not None else "│", "axis")]
        for c in range(pw):
            if dots[r][c]:
                row.append((chr(BRAILLE + dots[r][c]), owner[r][c]))
            elif c == mark_col:
                row.append(("┊", "mark"))
            else:
                row.append((" ", ""))
        if right:
            row.append((" " + (rlabels[t] if t is not None else ""), "right-axis"))
        chart.rows.append(row)
    axis = ["─"] * pw
    if mark_col is not None:
        axis[mark_col] = "▲"
    if mark_col is None:
        chart.rows.append([(" " * lw + "└", "axis"), ("".join(axis), "axis")])
    else:
        chart.rows.append([(" " * lw + "└", "axis"), ("".join(axis[:mark_col]), "axis"), ("▲", "mark"),
                           ("".join(axis[mark_col + 1:]), "axis")])
    # x labels: the first epoch, the marked one and the last
    xl = [" "] * pw
    for epoch in (1, n, mark):
        if epoch is None or n < 1:
            continue
        text = str(epoch)
        c = (plotting.cell(epoch - 1, 0, max(1, n - 1), 2 * pw) or 0) // 2 if n > 1 else 0
        c = max(0, min(pw - len(text), c - len(text) // 2))
        if epoch != mark and any(ch != " " for ch in xl[max(0, c - 1):c + len(text) + 1]):
            continue
        xl[c:c + len(text)] = list(text)
    chart.rows.append([(" " * (lw + 1), ""), ("".join(xl), "axis"), (" epoch"[: max(0, width - lw - 1 - pw)],
                                                                    "axis")])
    return chart


def scatter_chart(xs: list[float], ys: list[float], width: int, height: int, *,
                  xlabel: str = "x", ylabel: str = "y") -> Chart:
    """A scatter of the points (xs[i], ys[i]) in braille, ``width`` × ``height`` cells (axes
    included), both axes over the same range so that y = x (drawn dim, style "diagonal") is the
    line of a perfect prediction; points "point", axes "axis". Points that are not finite are left
    out (and out of the range); ``Chart.n`` counts the points placed."""
    pairs = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    pairs = [(x, y) for x, y in pairs if math.isfinite(x) and math.isfinite(y)]
    lo, hi = plotting.finite_range([v for p in pairs for v in p], (0.0, 1.0))
    lo, hi = plotting.padded(lo, hi, 0.05)
    h = max(2, height - 2)  # the x-axis line and its labels
    ylabels = [tick_text(t) for t in (hi, (lo + hi) / 2, lo)]
    lw = max(len(ylabel), *(len(s) for s in ylabels)) + 1
    pw = max(2, width - lw - 1)
    dots = [[0] * pw for _ in range(h)]
    owner = [[""] * pw for _ in range(h)]

    def put(px: int | None, py: int | None, style: str) -> None:
        if px is None or py is None:
            return
        cx, cy = px // 2, py // 4
        dots[cy][cx] |= _DOTS[px % 2][py % 4]
        if style == "point" or not owner[cy][cx]:
            owner[cy][cx] = style

    for px in range(2 * pw):  # the diagonal first: a point on it takes the cell's colour
        v = lo + (hi - lo) * px / max(1, 2 * pw - 1)
        put(px, plotting.row(v, lo, hi, 4 * h), "diagonal")
    for x, y in pairs:
        put(plotting.cell(x, lo, hi, 2 * pw), plotting.row(y, lo, hi, 4 * h), "point")
    chart = Chart(x0=lw + 1, plot_width=pw, n=len(pairs))
    tick_rows = {0: 0, (h - 1) // 2: 1, h - 1: 2}
    for r in range(h):
        t = tick_rows.get(r)
        label = ylabels[t] if t is not None else ylabel if r == 1 and h > 4 else ""
        row: list[tuple[str, str]] = [(label.rjust(lw - 1) + " ", "axis"),
                                      ("┤" if t is not None else "│", "axis")]
        row += [(chr(BRAILLE + dots[r][c]), owner[r][c]) if dots[r][c] else (" ", "") for c in range(pw)]
        chart.rows.append(row)
    axis, xl = ["─"] * pw, [" "] * pw
    for v in (lo, (lo + hi) / 2, hi):
        c = (plotting.cell(v, lo, hi, 2 * pw) or 0) // 2
        axis[c] = "┴"
        text = tick_text(v)
        c = max(0, min(pw - len(text), c - len(text) // 2))
        if all(ch == " " for ch in xl[max(0, c - 1):c + len(text) + 1]):  # no label on another
            xl[c:c + len(text)] = list(text)
    chart.rows.append([(" " * lw + "└" + "".join(axis), "axis")])
    name = f" {xlabel}"
    at = max(0, (pw - len(name)) * 3 // 4)  # the axis' name between its middle and last ticks
    if all(ch == " " for ch in xl[at:at + len(name)]):
        xl[at:at + len(name)] = list(name)
    chart.rows.append([(" " * (lw + 1) + "".join(xl), "axis")])
    return chart
