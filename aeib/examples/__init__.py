"""Bundled example audio (package data)."""
