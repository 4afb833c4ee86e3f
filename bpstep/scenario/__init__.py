"""Scenario files: TOML into frozen dataclasses. Never imports textual or rich."""

from bpstep.scenario.loader import bundled_dir, bundled_names, load, load_dict, loads
from bpstep.scenario.model import (
    DataSpec,
    InitSpec,
    LayerSpec,
    NetworkSpec,
    Scenario,
    TrainingSpec,
)
from bpstep.shapes import step_shapes  # the shape rules the loader checks names with

__all__ = [
    "DataSpec",
    "InitSpec",
    "LayerSpec",
    "NetworkSpec",
    "Scenario",
    "TrainingSpec",
    "bundled_dir",
    "bundled_names",
    "load",
    "load_dict",
    "loads",
    "step_shapes",
]
