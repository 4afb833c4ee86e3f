"""The key bar: the most used keys, clickable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.events import Click

from bpstep.tui.model import Model, View, hidden_from
from bpstep.tui.panels.base import DIM, Panel

if TYPE_CHECKING:
    pass

class KeyBar(Panel):
    """The footer: the most used keys (keys.APP with show=True), dimmed when they would do
    nothing here (at the first or last step), and clickable; during a quiz, the quiz's keys.
    Drawn by hand rather than with Textual's Footer, which rebuilds itself whenever a key
    becomes enabled or disabled."""

    def __init__(self, model: Model, bindings: list, *, id: str, quiz: list | None = None) -> None:  # noqa: A002
        super().__init__(model, id=id)
        self.bindings = [b for b in bindings if b.show]
        self.quiz_bindings = [b for b in quiz or [] if b.show]
        self._spans: list[tuple[int, int, str]] = []  # x0, x1, action

    def cache_key(self, view: View) -> object:
        quiz = hidden_from(view) is not None
        return (self.size, quiz, () if quiz else tuple(self.app.check_action(b.action, ())
                                                       for b in self.bindings))

    def draw(self, view: View) -> list[Content]:
        parts: list[tuple[str, str]] = []
        self._spans = []
        x = 0
        quiz = hidden_from(view) is not None
        entries = []
        for b in self.quiz_bindings if quiz else self.bindings:
            enabled = quiz or self.app.check_action(b.action, ()) is True
            entries.append((b.key_display or b.key.split(",")[0], b.description, b.action, enabled))
        # At 80 columns the keys only fit with one space between them.
        gap = " " if sum(len(k) + len(d) + 3 for k, d, _, _ in entries) > self.size.width else "  "
        for key, description, action, enabled in entries:
            lead = " " if not parts or gap == "  " else ""
            text = f"{lead}{key} {description} "
            parts += [(f"{lead}{key}", "bold $accent" if enabled else DIM),
                      (f" {description} ", "" if enabled else DIM)]
            self._spans.append((x, x + len(text), action))
            x += len(text)
        if quiz:
            note = " stepping keys are paused during the quiz"
            if x + len(note) <= self.size.width - 12:
                parts.append((note, DIM))
                x += len(note)
        palette = " ^p palette "
        pad = self.size.width - x - len(palette)
        if pad >= 0:
            parts += [(" " * pad, ""), (" ^p", "bold $accent"), (" palette ", "")]
        return [Content.assemble(*parts)]

    async def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        for x0, x1, action in self._spans:
            if x0 <= offset.x < x1:
                await self.app.run_action(action)  # a coroutine: not awaited, it did nothing
                return
        if offset.x >= self.size.width - 12:
            self.app.action_command_palette()
