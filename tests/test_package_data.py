"""Package data: every file the library reads from inside ``aeib/`` is declared in pyproject.toml.

An editable install reads the source tree, so a file missing from ``[tool.setuptools.package-data]``
works in a checkout and is lost by ``pip install .``; this test catches that without building a wheel.
"""

import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest

import aeib

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before Python 3.11
    import tomli as tomllib

PACKAGE = Path(aeib.__file__).resolve().parent


def _package_data_patterns() -> list[str]:
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["setuptools"]["package-data"]["aeib"]


@pytest.mark.parametrize("folder", ["configs/training", "configs/export", "runtime/models", "presets", "examples"])
def test_data_folders_are_declared(folder):
    files = [p for p in (PACKAGE / folder).iterdir() if p.is_file() and p.suffix != ".py"]
    assert files, f"aeib/{folder} holds no data file (it is shipped)"
    patterns = _package_data_patterns()
    undeclared = [p.relative_to(PACKAGE).as_posix() for p in files
                  if not any(fnmatch(p.relative_to(PACKAGE).as_posix(), pattern) for pattern in patterns)]
    assert not undeclared, f"not in [tool.setuptools.package-data] of pyproject.toml: {undeclared}"
