"""Every exception aeib raises for bad input or a hostile environment: one small hierarchy.

Every error a user can cause by their input derives from :class:`AeibError`; the CLI prints
``aeib: error: <message>`` and exits with :attr:`AeibError.exit_code`. Standard library only, so
every layer (the numpy DSP, the TF-free runtime, training) raises the same classes::

    AeibError
    ├── ParameterError (also ValueError)   a parameter name, value or file, an option's value
    ├── ConfigError (also ValueError)      a model configuration
    ├── AudioError                         an audio file: unreadable, unsupported, unusable samples
    │   └── SignalError (also ValueError)  an audio array: shape, dtype, channel count, sample rate
    ├── OutputError                        an output cannot be written where or how it was asked
    ├── ModelError                         a model bundle: missing, corrupt, inconsistent, no interpreter
    │   └── ModelLoadError                 a model given to the evaluation cannot be used
    ├── DataError                          a data set (test set, training shards) cannot be used
    │   └── CorpusError                    the music corpus or IR folder cannot be used
    ├── ExportError                        the model, data or settings of an export
    └── RunFolderError                     a training run folder does not fit the request

The classes that also derive from ``ValueError`` keep working where callers catch ``ValueError``.

**Messages name the library's arguments, never command-line flags.** Where a message is about an
argument, it names it in backticks (``"`limit` must be ≥ 1, got 0"``); the command line puts its
flag in that place (:func:`aeib.cli.messages.error_text`: ``--limit must be ≥ 1, got 0``).
"""


class AeibError(Exception):
    """Base class for errors caused by user input or the environment, not by a bug."""

    exit_code = 2


class ParameterError(AeibError, ValueError):
    """A parameter name, value or file is invalid, or an option has a value it cannot take."""


class ConfigError(AeibError, ValueError):
    """A model configuration is missing, malformed, or holds an unknown key or invalid value."""


class AudioError(AeibError):
    """An audio file cannot be read, is unsupported, or holds unusable samples."""


class SignalError(AudioError, ValueError):
    """An audio array cannot be processed: wrong shape or dtype, a channel count other than the
    processor's, or a sample rate outside the supported range."""


class OutputError(AeibError):
    """An output file cannot be written where or how it was asked for."""


class ModelError(AeibError):
    """A model bundle is missing, corrupt, inconsistent, or no interpreter can run it."""


class ModelLoadError(ModelError):
    """A model path given to the evaluation (``aeib evaluate``) cannot be used."""


class DataError(AeibError):
    """A data set (a test set, training shards) cannot be found, read or used."""


class CorpusError(DataError):
    """The music corpus (or IR folder) cannot be used: missing, empty or nothing long enough."""


class ExportError(AeibError):
    """The model, the data or the export settings cannot be used (one-line message)."""


class RunFolderError(AeibError):
    """The run folder is in a state that does not fit the request (e.g. it exists and resuming was
    not asked for)."""


class AeibWarning(UserWarning):
    """Category of the warnings aeib emits when no ``warn`` callback is given."""
