"""The convention hints are chosen by the ops' descriptors, not by tables of op names."""

from bpstep import hints, ops


def test_every_hint_family_named_by_an_op_exists() -> None:
    named = {family for op in ops.OPS.values() for family in op.hints}
    missing = named - set(hints.FAMILIES)
    assert not missing, f"ops.py names hint families bpstep/hints.py lacks: {sorted(missing)}"


def test_every_hint_family_is_used_by_some_op() -> None:
    named = {family for op in ops.OPS.values() for family in op.hints}
    assert set(hints.FAMILIES) <= named, sorted(set(hints.FAMILIES) - named)
