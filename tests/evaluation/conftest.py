"""Small generated examples for the evaluation tests (no files, no corpus)."""

import pytest

from aeib.evaluation.synthetic import synthetic_examples

RATE = 16_000


@pytest.fixture(scope="session")
def examples():
    """Three 1 s synthetic examples (boomy, harsh, muffled) at 16 kHz with known applied settings."""
    return synthetic_examples(3, RATE, seconds=1.0, styles=("boomy", "harsh", "muffled"), seed=1)
