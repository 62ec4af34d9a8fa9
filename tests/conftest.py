"""Shared fixtures: where the test data copied from ../shared/corpus lives."""
from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
RECORDINGS = DATA / "recordings"
EXAMPLES = DATA / "examples"


@pytest.fixture(scope="session")
def recordings_dir() -> Path:
    return RECORDINGS


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES
