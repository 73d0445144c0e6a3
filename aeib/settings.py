"""Parameter files: the JSON form of one chain setting, in physical units.

A parameter file looks like::

    {
      "format": "aeib-params",
      "version": 1,
      "params": {"eq.band1.gain_db": -4.5, "comp.ratio": 3.0}
    }

Any parameter left out takes its neutral default, so a file may list only what it changes. A bare
``{"eq.band1.gain_db": -4.5}`` mapping is accepted too. ``aeib apply --params`` reads these files;
``aeib enhance --params-out`` writes them, so predicted settings can be edited and re-applied.
Bundled presets (:func:`preset_names`) can be named instead of a path.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Mapping

from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.schema import ParameterSchema
from aeib.errors import ParameterError
from aeib.jsonio import parse_json, read_text

FILE_FORMAT = "aeib-params"
FILE_VERSION = 1
_PRESET_PACKAGE = "aeib.presets"


def preset_names() -> tuple[str, ...]:
    """Names of the presets bundled with the package (file names without ``.json``)."""
    folder = resources.files(_PRESET_PACKAGE)
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json")))


def _preset_text(name: str) -> str:
    return resources.files(_PRESET_PACKAGE).joinpath(f"{name}.json").read_text(encoding="utf-8")


def parse_params(data: object, source: str, schema: ParameterSchema = CHAIN_SCHEMA) -> dict[str, float]:
    """Validate decoded JSON and return a complete ``{name: value}`` setting.

    Raises:
        ParameterError: for a wrong layout, unknown names, non-numbers or out-of-range values.
    """
    if isinstance(data, Mapping) and "params" in data:
        if data.get("format", FILE_FORMAT) != FILE_FORMAT:
            raise ParameterError(f"{source}: not an aeib parameter file (format {data.get('format')!r})")
        if data.get("version", FILE_VERSION) != FILE_VERSION:
            raise ParameterError(f"{source}: unsupported parameter file version {data.get('version')!r}")
        data = data["params"]
    if not isinstance(data, Mapping):
        raise ParameterError(f"{source}: expected a JSON object of parameter names to numbers, "
                             f"got {type(data).__name__}")
    try:
        return schema.complete(data)
    except ParameterError as exc:
        raise ParameterError(f"{source}: {exc}") from None


def load_params(path_or_preset: str | os.PathLike, schema: ParameterSchema = CHAIN_SCHEMA) -> dict[str, float]:
    """Read a parameter file, or a bundled preset by name, into a complete setting.

    Raises:
        ParameterError: if the file is missing, not JSON, or holds invalid parameters.
    """
    text_source = str(path_or_preset)
    path = Path(path_or_preset)
    if path.is_file():
        text = read_text(path, "parameter file", error=ParameterError)  # a byte-order mark is allowed
        text_source = f"parameter file {path}"
    elif text_source in preset_names():
        text = _preset_text(text_source)
    else:
        raise ParameterError(f"no parameter file or preset named {text_source!r} "
                             f"(bundled presets: {', '.join(preset_names())})")
    return parse_params(_decode_json(text, text_source), text_source, schema)


def _decode_json(text: str, source: str) -> object:
    """The checked reader's decoding (:func:`aeib.jsonio.parse_json`), every failure a ParameterError.

    The top level is checked by :func:`parse_params` (an object; ``params`` inside it an object too).
    """
    return parse_json(text, source, error=ParameterError, expect=None)


def params_to_json(params: Mapping[str, float], schema: ParameterSchema = CHAIN_SCHEMA) -> str:
    """Serialize a setting (completed with defaults) in the parameter-file format."""
    complete = schema.complete(params)
    body = {"format": FILE_FORMAT, "version": FILE_VERSION,
            "params": {name: round(value, 6) for name, value in complete.items()}}
    return json.dumps(body, indent=2) + "\n"
