"""The code stays ruff-clean and type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["bots", "core_agent", "workers", "media", "models", "migrations", "tests", "bench",
            "evaluation"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(1800)  # a whole-tree check: three minutes idle, far more on busy cores
def test_mypy_is_clean() -> None:
    result = run("mypy", "--no-incremental", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr
