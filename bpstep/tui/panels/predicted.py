"""Predicted against actual on the test split (a regression's evaluate steps): a braille scatter
(``bpstep.tui.chart.scatter_chart``) of each test sample's prediction over its target, with the
line y = x of a perfect prediction."""

from __future__ import annotations

from textual.content import Content

from bpstep.format import num
from bpstep.tui.chart import scatter_chart
from bpstep.tui.model import View, hidden_from
from bpstep.tui.panels.base import DIM, Panel

STYLES = {"point": "bold $accent", "diagonal": "$text-muted", "axis": DIM, "": ""}


class PredictedPlot(Panel):
    """Shown in the plots column in place of the activation plot at the evaluate steps."""

    def cache_key(self, view: View) -> object:
        t = self.model.trace
        if not len(t):
            return None
        at = self._step_index(view)  # and the cursor, once there: test_mse is shown from its step
        return (at, at is not None and view.index, self.size, view.precision, hidden_from(view) is not None)

    def _step_index(self, view: View) -> int | None:
        """The index of the test predictions' step, once the cursor is at or past it."""
        s = self.model.trace[view.index]
        if s.phase != "evaluate":
            return None
        pred = self.model.trace.find("test_predictions", s.epoch, s.batch)
        return pred.index if pred is not None and pred.index <= view.index else None

    def draw(self, view: View) -> list[Content]:
        t = self.model.trace
        if not len(t):
            return []
        at = self._step_index(view)
        data = t.scenario.data
        target = data.target_columns[0] if data.target_columns else "t"
        self.set_title(f"Predicted against actual {target}, test split")
        if at is None:
            return [Content.styled("the test predictions come at the step test_predictions", DIM)]
        if hidden_from(view) is not None and at == view.index:
            return [Content.styled("(the predictions are hidden during the quiz)", DIM)]
        step = t[at]
        predicted, actual = step.value.ravel().tolist(), step.inputs["T"].ravel().tolist()
        width, height = max(20, self.size.width), max(5, self.size.height - 1)
        chart = scatter_chart(actual, predicted, width, height, xlabel=f"actual {target}",
                              ylabel="pred.")
        out = [Content.assemble(*((text, STYLES.get(s, s)) for text, s in row)) for row in chart.rows]
        mse = t.find("test_mse", step.epoch, step.batch)
        shown = mse is not None and mse.index <= view.index and not (hidden_from(view) is not None
                                                                      and mse.index == view.index)
        score = f"test_mse {num(mse.value, view.precision)}  " if shown else ""
        out.append(Content.assemble((score, "bold"), ("⣿ ", STYLES["point"]),
                                    (f"{chart.n} test samples  ", DIM), ("⠑ ", STYLES["diagonal"]),
                                    ("y = x (exact)", DIM)).truncate(width))
        return out
