"""Exceptions that the command line turns into one-line messages (never tracebacks).

Every error a user can cause by their input derives from :class:`AeibError`; the CLI prints
``aeib: error: <message>`` and exits with :attr:`AeibError.exit_code`.
"""


class AeibError(Exception):
    """Base class for errors caused by user input or the environment, not by a bug."""

    exit_code = 2


class ParameterError(AeibError, ValueError):
    """A parameter name, value or file is invalid."""


class AudioError(AeibError):
    """An audio file cannot be read, is unsupported, or holds unusable samples."""


class OutputError(AeibError):
    """An output file cannot be written where or how it was asked for."""
