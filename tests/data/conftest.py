"""Fixtures for the data tests (helpers live in data_helpers.py)."""

from pathlib import Path

import pytest

from data_helpers import write_corpus


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "music")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One cache folder for the session: the tiny rooms are simulated once."""
    return tmp_path_factory.mktemp("cache")
