"""The code stays ruff clean (part of the README's test command)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is installed with the test extras")
def test_ruff_clean() -> None:
    paths = [p for p in ("bpstep", "tests", "benchmarks") if (ROOT / p).is_dir()]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *paths],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
