"""One-line texts for the errors the audio modules report (standard library only)."""

from __future__ import annotations


def exception_text(exc: BaseException) -> str:
    """The last line of an exception's message (libsndfile and FFmpeg put the reason last), or its
    type's name when the message is empty."""
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
