"""The timeline: every step, one line each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bpstep.tui.model import PHASE_SHORT, Model

if TYPE_CHECKING:
    pass

class Timeline(ScrollView, can_focus=False):
    """Every step, one line each, drawn on demand (a Line-API virtual list, so 170,000 steps
    cost no more than 20): the cursor highlighted, breakpoints marked, click to jump."""

    COMPONENT_CLASSES = {"timeline--cursor", "timeline--break", "timeline--dim", "timeline--epoch"}

    class Picked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, model: Model, *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = model
        self.cursor = 0
        self.border_title = "Timeline"
        self._styles: dict[tuple[str, str], Style] = {}
        self._rows: dict[tuple[int, bool, int, int, str], Strip] = {}  # drawn rows, for the rows that stay
        self._marks: object = None

    def sync(self, cursor: int) -> None:
        """Follow the trace's length and the cursor. Scroll only when the cursor leaves the view;
        otherwise repaint just the two rows whose highlight moved."""
        n = len(self.model.trace)
        if self.virtual_size.height != n:
            self.virtual_size = Size(self.scrollable_content_region.width, n)
        old, self.cursor = self.cursor, cursor
        h = self.scrollable_content_region.height
        top = round(self.scroll_y)
        marks = (frozenset(self.model.breakpoints.names), tuple(self.model.breakpoints.conditions))
        if marks != self._marks:
            self._marks = marks
            self._rows.clear()
            self.refresh()
        if h and not top <= cursor < top + h:
            self.scroll_to(y=max(0, cursor - h // 3), animate=False, immediate=True)
            self.refresh()
        elif old != cursor:
            for row in (old, cursor):
                if top <= row < top + h:
                    self.refresh_line(row)

    def _style(self, name: str) -> Style:
        # Component styles are looked up once per theme: a lookup costs more than drawing a row.
        key = (name, self.app.theme)
        if key not in self._styles:
            self._styles[key] = self.get_component_rich_style(name) if name else self.rich_style
        return self._styles[key]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = y + round(self.scroll_y)
        trace = self.model.trace
        if row >= len(trace):
            return Strip.blank(width, self._style(""))
        cur = row == self.cursor
        key = (row, cur, width, len(str(len(trace))), self.app.theme)
        strip = self._rows.get(key)
        if strip is None:
            s = trace[row]
            bps = self.model.breakpoints
            mark = "●" if s.name in bps.names else ("◆" if bps.conditions and bps.hit(s) else " ")
            iw = len(str(max(len(trace) - 1, 0)))
            text = f"{'▶' if cur else ' '}{row:>{iw}} {PHASE_SHORT.get(s.phase, s.phase)[:4]:<4} {s.name}"
            if cur:
                style = self._style("timeline--cursor")
            elif s.index == 0 or s.phase == "epoch":
                style = self._style("timeline--epoch")
            else:
                style = self._style("")
            segs = [Segment(mark, self._style("timeline--break")), Segment(text, style)]
            strip = Strip(segs).adjust_cell_length(width, style if cur else self._style(""))
            if len(self._rows) > 4096:
                self._rows.clear()
            self._rows[key] = strip
        return strip

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.model.trace))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = offset.y + round(self.scroll_y)
        if 0 <= row < len(self.model.trace):
            self.post_message(self.Picked(row))


