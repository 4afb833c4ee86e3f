"""The same scenario gives bit-identical traces: across runs in one process, and across processes
(with different hash seeds, so nothing may depend on set or dict-of-str iteration order)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import bpstep
from bpstep.scenario import bundled_names

# Epochs recorded across processes where a whole run's golden file would exceed the 128 MiB cap on
# a golden file's uncompressed JSON (digits: 210 batches of 200 × 64 inputs, about 200 MB; spiral:
# 300 full batches of 300 samples).
RECORD_EPOCHS = {"digits": 2, "spiral": 20}


def fingerprint(trace: bpstep.Trace) -> list[tuple[object, ...]]:
    return [(s.index, s.epoch, s.batch, s.phase, s.name, s.value.shape, s.value.tobytes()) for s in trace]


@pytest.mark.parametrize("name", bundled_names())
def test_two_runs_in_one_process_are_bit_identical(name: str) -> None:
    first = bpstep.trace(name)
    second = bpstep.trace(bpstep.load(name))
    assert first.status == second.status
    assert fingerprint(first) == fingerprint(second)


@pytest.mark.parametrize("name", bundled_names())
def test_two_processes_record_the_same_bytes(name: str, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-m", "bpstep", "record", name, "-o",
                          str(tmp_path / f"{seed}.json.gz"),
                          *(["--epochs", str(RECORD_EPOCHS[name])] if name in RECORD_EPOCHS else [])],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONHASHSEED": seed})
        for seed in ("1", "2")
    ]  # side by side: two independent processes, and half the wait
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), err  # 1: a run that diverges, recorded all the same
    assert (tmp_path / "1.json.gz").read_bytes() == (tmp_path / "2.json.gz").read_bytes()
    # ... and the same values as this process computes.
    golden = bpstep.load_golden(tmp_path / "1.json.gz")
    here = bpstep.trace(bpstep.load(name), epochs=RECORD_EPOCHS.get(name))
    assert [(s.name, s.value.tobytes()) for s in golden.steps] == [(s.name, s.value.tobytes()) for s in here]
