"""Shim so `python setup.py ...` and old pip versions keep working; metadata lives in pyproject.toml."""
from setuptools import setup

setup()
