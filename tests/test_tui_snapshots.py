"""Snapshots of the debugger's screens (pytest-textual-snapshot): the first step, a backward
step, an update step and the help screen, at the smallest supported size and a large one.

Regenerate after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

import pytest

import bpstep
from bpstep.tui import BpstepApp

SCREENS = {
    "first": [],
    "backward": ["f", "f", "n", "n", "n"],  # delta1: h1 = σ(4.3) passes on little gradient
    "update": ["G", "p", "p"],  # W2 := W2 − η ∂E/∂W2, before → after
    "help": ["question_mark"],
}
SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


def _fixed_theme(pilot) -> None:  # noqa: ANN001
    # TEXTUAL_THEME in the environment would otherwise change every colour in the SVG.
    pilot.app.theme = "textual-dark"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(snap_compare, screen: str, size: str) -> None:  # noqa: ANN001
    app = BpstepApp(bpstep.trace("exercise"))
    assert snap_compare(app, press=SCREENS[screen], terminal_size=SIZES[size], run_before=_fixed_theme)


# Issue 18's pictures: the loss chart, the surfaces with axes and legends, the network with its
# weighted edges, on xor, housing and a wide network (spiral: 2-32-3, three classes).
PICTURES = {
    "xor": ("xor", 30, ["e", "e", "e", "f", "n", "n"]),  # epoch 4's backward pass: edges by ∂E/∂w
    "housing": ("housing", None, ["G"]),  # after training: the prediction surface, the loss chart
    "wide": ("spiral", 20, ["e", "e", "n", "n"]),  # 32 hidden units: first, last and touched
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("picture", PICTURES)
def test_picture(snap_compare, picture: str, size: str) -> None:  # noqa: ANN001
    name, epochs, press = PICTURES[picture]
    app = BpstepApp(bpstep.trace(name, epochs))
    assert snap_compare(app, press=press, terminal_size=SIZES[size], run_before=_fixed_theme)
