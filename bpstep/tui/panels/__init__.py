"""The debugger's panels, one module each. Each one draws itself from a View (cursor, sub-step,
precision) with ``show(view)``, redrawing only when what it depends on changed; none of them keeps
state that stepping backwards would have to undo."""

from bpstep.tui.panels.activation import ActivationPlot
from bpstep.tui.panels.base import DIM, Panel, formula
from bpstep.tui.panels.feedback import feedback
from bpstep.tui.panels.keybar import KeyBar
from bpstep.tui.panels.loss import LossPlot
from bpstep.tui.panels.network import NetworkPanel
from bpstep.tui.panels.predicted import PredictedPlot
from bpstep.tui.panels.step import StepPanel
from bpstep.tui.panels.surface import SurfacePlot
from bpstep.tui.panels.timeline import Timeline
from bpstep.tui.panels.values import ValuesPanel
from bpstep.tui.panels.where import WhereBar

__all__ = ["DIM", "ActivationPlot", "KeyBar", "LossPlot", "NetworkPanel", "Panel", "PredictedPlot",
           "StepPanel", "SurfacePlot", "Timeline", "ValuesPanel", "WhereBar", "feedback", "formula"]
