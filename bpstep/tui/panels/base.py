"""The panels' base: a panel drawn as lines of Content, its styles, and the helpers two panels share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from bpstep.tui.model import Model, View

if TYPE_CHECKING:
    from bpstep.explain import Element

PHASE_STYLE = {"forward": "$text-success", "loss": "$text-warning", "backward": "$text-error",
               "gradient": "$text-accent", "update": "$text-secondary", "epoch": "$text-primary",
               "end": "$text-primary", "evaluate": "$text-primary"}
WRITE = "bold $text on $accent 45%"
READ = "$text on $primary 40%"
DIM = "$text-muted"
CHANGED = "bold $warning"
HIDDEN = "bold $warning"  # the "?" of a value hidden by the quiz
NL = Content("\n")


def formula(element: Element, precision: int, hidden: bool = False) -> str:
    """An element's substituted formula; hidden (in a quiz), with ``?`` for its result:
    ``z_h1 = w1·x1 + w3·x2 + w5·x3 + b1 = 0.1·1 + 0.3·4 + 0.5·5 + 0.5 = ?``."""
    if not hidden:
        return element.text(precision)
    parts = [element.symbolic] if element.symbolic else []
    if element.substituted and element.substituted != element.symbolic:
        parts.append(element.substituted)
    return f"{element.label} {':=' if element.assign else '='} " + " = ".join([*parts, "?"])


class Panel(Widget):
    """A panel drawn as lines of Content through the Line API. ``show(view)`` recomputes the
    lines, and only the lines that differ from what is on screen are repainted: most of a panel
    stays put from one step to the next, and a key press should cost one frame of work."""

    DEFAULT_CSS = "Panel { height: 1fr; }"
    PAINTED_LINES = 512  # lines kept painted, by content: stepping back repaints none of them

    def __init__(self, model: Model, *, id: str, title: str = "") -> None:  # noqa: A002
        super().__init__(id=id)
        self.model = model
        if title:
            self.border_title = title
        self._key: object = None
        self._lines: list[Content] = []
        self._strips: dict[int, Strip] = {}
        self._painted: dict[tuple, Strip] = {}  # (text, spans) → strip, at the current width and style
        self._base: tuple[object, Style] | None = None
        self._drawn: Size | None = None  # the size the lines were drawn for
        self._quiet = False  # drawing while being painted: no refresh
        self.view: View | None = None

    @property
    def text(self) -> str:
        """The panel's text as shown (for tests and the command line)."""
        return "\n".join(line.plain for line in self._lines)

    def show(self, view: View) -> None:
        self.view = view
        if not self.size.width or not self.size.height:
            return  # hidden or not laid out yet: drawn when first painted
        key = self.cache_key(view)
        if key == self._key:
            return
        self._key = key
        self.set_lines(self.draw(view))

    def set_title(self, title: str) -> None:
        # Setting a border title repaints the whole widget: only do it when it changes.
        if title != getattr(self, "_title_text", None):
            self._title_text = title
            self.border_title = Content(title)

    def set_lines(self, lines: list[Content]) -> None:
        old, self._lines = self._lines, lines
        if self._drawn != self.size:  # the strips painted so far have another width
            self._drawn = self.size
            self._strips.clear()
            self._painted.clear()
            old = []
        width = self.size.width
        changed = [y for y in range(max(len(old), len(lines)))
                   if y >= len(old) or y >= len(lines) or not old[y].is_same(lines[y])]
        for y in changed:
            self._strips.pop(y, None)
        if changed and not self._quiet:  # one refresh for them all: each call has its own cost
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def cache_key(self, view: View) -> object:
        return (view, self.size, len(self.model.trace) > 0)

    def draw(self, view: View) -> list[Content]:
        raise NotImplementedError

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.view is not None and self._drawn != self.size:
            # Laid out or resized since the last show(): Textual paints a new layout before the
            # widgets hear of their size (the first frame, too), so draw for this size now
            # rather than paint the panel empty or stale.
            self._key = None
            self._quiet = True  # every line is about to be painted anyway
            try:
                self.show(self.view)
            finally:
                self._quiet = False
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        strip = self._strips.get(y)
        if strip is None:
            width = self.size.width
            if self._base is None:  # looked up once: each lookup walks the ancestors' styles
                self._base = (self.visual_style, self.rich_style)
            visual_style, rich_style = self._base
            if y < len(self._lines):
                line = self._lines[y]
                key = (line.plain, tuple(line.spans))
                strip = self._painted.get(key)
                if strip is None:
                    # Content.render straight to segments: no wrapping pass (lines are laid out here).
                    segs = [Segment(text, st.rich_style) for text, st in
                            line.render(visual_style, "", self._get_style)]
                    strip = Strip(segs).crop_extend(0, width, rich_style)
                    if len(self._painted) >= self.PAINTED_LINES:
                        self._painted.clear()
                    self._painted[key] = strip
            else:
                strip = Strip.blank(width, rich_style)
            self._strips[y] = strip
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._painted.clear()
        self._base = None

    def on_resize(self) -> None:
        if self._drawn == self.size:
            return  # already drawn for this size, when it was painted
        self._strips.clear()
        self._key = None
        if self.view is not None:
            self.show(self.view)
        self.refresh()




def runs(chars: list[str], styles: list[str]) -> Content:
    """A row of cells as Content with one span per run of equal style."""
    parts: list[tuple[str, str]] = []
    start = 0
    for x in range(1, len(chars) + 1):
        if x == len(chars) or styles[x] != styles[start]:
            parts.append(("".join(chars[start:x]), styles[start]))
            start = x
    return Content.assemble(*parts)
