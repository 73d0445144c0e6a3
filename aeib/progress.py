"""Progress bars on stderr, imported only when shown.

``tqdm`` costs about 50 ms to import (issue 15: a quiet ``aeib enhance`` on a short clip should not
pay for a bar it never draws), so a bar that is switched off is a no-op object with the same
``update`` and context-manager interface, and tqdm is imported only for a bar that may be drawn.
"""

from __future__ import annotations

import sys
from typing import Any


class _NoBar:
    """What :func:`progress_bar` gives when the bar is off: every call does nothing."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def update(self, n: float = 1) -> None:
        return None


def progress_bar(*, disable: bool | None, **kwargs: Any) -> Any:
    """A ``tqdm`` bar on stderr (``kwargs`` as for ``tqdm``), or a no-op when ``disable`` is True.

    Args:
        disable: True: no bar (tqdm is not imported); False: a bar; None: tqdm decides (no bar when
            stderr is not a terminal).
    """
    if disable is True:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(disable=disable, file=sys.stderr, **kwargs)


def write_line(text: str) -> None:
    """Print one line to stderr without breaking a progress bar that may be on screen."""
    from tqdm import tqdm

    tqdm.write(text, file=sys.stderr)
