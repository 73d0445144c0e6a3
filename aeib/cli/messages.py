"""Error messages as the command line prints them: the library's argument names become flags.

Library errors name the argument a message is about in backticks (``"`limit` must be ≥ 1, got 0"``,
see :mod:`aeib.errors`); here each name the running command has a flag for is replaced by that flag
(``--limit must be ≥ 1, got 0``). The flags come from the command's own parser (an option's
``dest``), plus the command module's ``SETTING_FLAGS`` for library names that differ from it
(``{"out_dir": "--out"}``). Standard library only.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping

_ARGUMENT = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def parser_flags(parser: argparse.ArgumentParser, aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """Library argument name → flag for a command's parser: every option's ``dest`` → its longest
    option string (``"shard_size"`` → ``"--shard-size"``), then ``aliases`` on top."""
    flags = {action.dest: max(action.option_strings, key=len)
             for action in parser._actions if action.option_strings and action.dest != "help"}
    flags.update(aliases or {})
    return flags


def error_text(exc: BaseException, flags: Mapping[str, str]) -> str:
    """``exc``'s message on one line, with each backticked argument the command has a flag for
    replaced by the flag (others stay as they are)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return _ARGUMENT.sub(lambda match: flags.get(match.group(1), match.group(0)), text)
