"""Fixtures for the runtime tests (the tiny bundle itself is built by :mod:`tests.tiny_bundle`;
``cached_bundle`` and ``bundle_path`` are in ``tests/conftest.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def model(cached_bundle):
    """The tiny bundle loaded by the runtime (shared; do not mutate)."""
    from aeib.runtime import load_model

    return load_model(cached_bundle)
