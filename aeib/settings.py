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
import math
import os
from dataclasses import dataclass
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
    return load_setting(path_or_preset, schema).applied_params(schema)


def _read_params_text(path_or_preset: str | os.PathLike) -> tuple[str, str]:
    """The text of a parameter file or bundled preset, and how to name it in messages."""
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
    return text, text_source


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


# -- the full setting of one enhancement: chain parameters, strength, loudness gain (version 2) ------

SETTING_VERSION = 2
"""Parameter files with a strength or a loudness stage are version 2; version 1 files still read."""
LOUDNESS_MODES = ("reference", "default", "lufs", "keep", "off")


@dataclass(frozen=True)
class LoudnessGain:
    """The loudness stage of a setting (see :mod:`aeib.dsp.loudness`).

    Attributes:
        gain_db: The gain applied after the compressor, before the limiter, dB. The only field
            ``aeib apply`` uses; the others record how it was chosen.
        mode: ``"reference"`` (the reference's loudness), ``"default"`` (the reference-free target),
            ``"lufs"`` (a level the user gave), ``"keep"`` (the input's own), ``"off"``.
        target_lufs: The loudness aimed at, LUFS (None when off).
        measured_lufs: The chain's output before the stage, LUFS (None when not measured).
    """

    gain_db: float = 0.0
    mode: str = "off"
    target_lufs: float | None = None
    measured_lufs: float | None = None


@dataclass(frozen=True)
class Setting:
    """Everything ``aeib apply`` needs to reproduce an enhancement exactly.

    Attributes:
        params: The chain setting at full strength, complete, physical units.
        strength: 0…1; the chain runs :meth:`applied_params`. 0 bypasses the whole chain (loudness
            stage and limiter included): the output is the input, bit for bit.
        loudness: The loudness stage.
    """

    params: dict[str, float]
    strength: float = 1.0
    loudness: LoudnessGain = LoudnessGain()

    @property
    def bypass(self) -> bool:
        """True when the chain is not run at all (strength 0)."""
        return self.strength == 0.0

    def applied_params(self, schema: ParameterSchema = CHAIN_SCHEMA) -> dict[str, float]:
        """The chain setting actually run: :attr:`params` scaled toward neutral by :attr:`strength`."""
        return schema.toward_neutral(self.params, self.strength)


def _optional_number(data: Mapping, key: str, source: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{source}: loudness.{key} must be a finite number, got {value!r}")
    return float(value)


def parse_setting(data: object, source: str, schema: ParameterSchema = CHAIN_SCHEMA) -> Setting:
    """Validate decoded JSON (version 1 or 2, or a bare mapping) and return a :class:`Setting`.

    Raises:
        ParameterError: for a wrong layout, invalid parameters, strength or loudness gain.
    """
    from aeib.dsp.loudness import MAX_GAIN_DB
    from aeib.dsp.schema import check_strength

    if isinstance(data, Mapping) and data.get("version") == SETTING_VERSION and "params" in data:
        if data.get("format", FILE_FORMAT) != FILE_FORMAT:
            raise ParameterError(f"{source}: not an aeib parameter file (format {data.get('format')!r})")
        params = parse_params({**data, "version": FILE_VERSION}, source, schema)
        try:
            strength = check_strength(data.get("strength", 1.0))
        except ParameterError as exc:
            raise ParameterError(f"{source}: {exc}") from None
        loudness = data.get("loudness", {})
        if not isinstance(loudness, Mapping):
            raise ParameterError(f"{source}: loudness must be a JSON object, got {type(loudness).__name__}")
        gain = _optional_number(loudness, "gain_db", source) or 0.0
        if abs(gain) > MAX_GAIN_DB:
            raise ParameterError(f"{source}: loudness.gain_db = {gain:g} dB is outside ±{MAX_GAIN_DB:g} dB")
        mode = loudness.get("mode", "off" if gain == 0.0 else "lufs")
        if mode not in LOUDNESS_MODES:
            raise ParameterError(f"{source}: loudness.mode must be one of {', '.join(LOUDNESS_MODES)}, got {mode!r}")
        return Setting(params, strength, LoudnessGain(gain, mode, _optional_number(loudness, "target_lufs", source),
                                                      _optional_number(loudness, "measured_lufs", source)))
    return Setting(parse_params(data, source, schema))


def load_setting(path_or_preset: str | os.PathLike, schema: ParameterSchema = CHAIN_SCHEMA) -> Setting:
    """Read a parameter file (version 1 or 2) or a bundled preset into a :class:`Setting`.

    Raises:
        ParameterError: if the file is missing, not JSON, or holds an invalid setting.
    """
    text, source = _read_params_text(path_or_preset)
    return parse_setting(_decode_json(text, source), source, schema)


def setting_to_json(setting: Setting, schema: ParameterSchema = CHAIN_SCHEMA) -> str:
    """Serialize a :class:`Setting` as a version 2 parameter file (values rounded to 6 decimals).

    :func:`load_setting` of the text gives back the setting the output was made with, so ``aeib apply``
    reproduces it exactly when the caller rounded first (:func:`rounded_setting`).
    """
    loudness = {"gain_db": round(setting.loudness.gain_db, 6), "mode": setting.loudness.mode}
    for key in ("target_lufs", "measured_lufs"):
        value = getattr(setting.loudness, key)
        loudness[key] = None if value is None else round(value, 3)
    body = {"format": FILE_FORMAT, "version": SETTING_VERSION,
            "params": {name: round(value, 6) for name, value in schema.complete(setting.params).items()},
            "strength": round(setting.strength, 6), "loudness": loudness}
    return json.dumps(body, indent=2) + "\n"


def rounded_setting(setting: Setting, schema: ParameterSchema = CHAIN_SCHEMA) -> Setting:
    """``setting`` exactly as :func:`setting_to_json` stores it (round trip through the file format)."""
    return parse_setting(json.loads(setting_to_json(setting, schema)), "setting", schema)
