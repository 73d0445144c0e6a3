"""Fuzzing the two loaders users feed directly (hypothesis): parameter files and audio files.

* :func:`aeib.settings.load_params` with arbitrary bytes, text or JSON returns a complete, in-range,
  finite setting or raises :class:`~aeib.errors.ParameterError` — never any other exception.
* The audio readers of :mod:`aeib.audio` (``audio_info``, ``read_audio``, ``iter_blocks``,
  ``read_frames``) given mutated WAV/FLAC bytes (flipped, overwritten, inserted, truncated) return
  finite float32 audio consistent with the header, or raise :class:`~aeib.errors.AudioError`.

Example counts are bounded so the file runs in well under 30 s; set ``AEIB_FUZZ_EXAMPLES=5000`` for a
longer hunt.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aeib.audio import audio_info, iter_blocks, read_audio, read_frames
from aeib.dsp import CHAIN_SCHEMA
from aeib.errors import AudioError, ParameterError
from aeib.settings import load_params

FUZZ = settings(max_examples=int(os.environ.get("AEIB_FUZZ_EXAMPLES", 150)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch():
    """A folder for the files the examples write (hypothesis examples cannot use function fixtures)."""
    with tempfile.TemporaryDirectory(prefix="aeib-fuzz-") as folder:
        yield Path(folder)


# -- parameter files --------------------------------------------------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
parameter_names = st.sampled_from(CHAIN_SCHEMA.names) | st.text(max_size=20)
# Mostly well-formed mappings with hostile values, so the checks past the JSON layer are exercised.
setting_like = st.dictionaries(parameter_names, json_values | st.floats(-1e4, 1e4), max_size=6)
# In-range settings, so the success path is exercised as often as the refusals.
valid_settings = st.lists(st.sampled_from(list(CHAIN_SCHEMA)).flatmap(
    lambda spec: st.tuples(st.just(spec.name), st.floats(spec.min, spec.max) | st.integers(
        int(spec.min) + 1, int(spec.max)) if spec.max - spec.min >= 2 else st.floats(spec.min, spec.max))),
    max_size=8).map(dict)
documents = st.one_of(
    json_values,
    setting_like,
    valid_settings,
    st.fixed_dictionaries({"format": st.just("aeib-params"), "version": st.just(1), "params": valid_settings}),
    st.fixed_dictionaries({"params": setting_like | json_values},
                          optional={"format": st.sampled_from(["aeib-params", "other"]) | json_values,
                                    "version": st.sampled_from([1, 2, "1"]) | json_values}),
)
file_bytes = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    documents.map(lambda d: json.dumps(d, allow_nan=True).encode("utf-8")),
    documents.map(lambda d: b"\xef\xbb\xbf" + json.dumps(d).encode("utf-8")),
)


def _check_setting(setting: dict) -> None:
    assert list(setting) == list(CHAIN_SCHEMA.names)
    for spec in CHAIN_SCHEMA:
        value = setting[spec.name]
        assert isinstance(value, float) and math.isfinite(value) and spec.min <= value <= spec.max


@FUZZ
@given(content=file_bytes)
@example(content=b"[" * 50_000)
@example(content=b'{"comp.ratio": 1' + b"0" * 5_000 + b"}")
@example(content=b'{"comp.ratio": 1e999}')
@example(content=b'{"params": {"comp.ratio": 2}, "format": ["aeib-params"]}')
def test_parameter_loader_returns_a_setting_or_a_parameter_error(content, scratch):
    path = scratch / "params.json"
    path.write_bytes(content)
    try:
        setting = load_params(path)
    except ParameterError as exc:
        assert "\n" not in str(exc)
        return
    _check_setting(setting)


# -- audio files ------------------------------------------------------------------------------------

def _encoded(container: str, subtype: str, channels: int, frames: int) -> bytes:
    rng = np.random.default_rng(frames)
    buffer = io.BytesIO()
    sf.write(buffer, (rng.uniform(-0.5, 0.5, (frames, channels))).astype(np.float32), 22_050,
             format=container, subtype=subtype)
    return buffer.getvalue()


SEEDS = {(container, subtype, channels): _encoded(container, subtype, channels, 700)
         for container, subtype in [("WAV", "PCM_16"), ("WAV", "FLOAT"), ("WAV", "PCM_24"), ("FLAC", "PCM_16")]
         for channels in (1, 2)}


@st.composite
def mutated_audio(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(sorted(SEEDS.items())))[1])
    header_heavy = st.integers(0, min(len(data) - 1, 120))  # most of the interesting fields are up front
    anywhere = st.integers(0, len(data) - 1)
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(("flip", "set", "insert", "delete", "truncate")))
        position = draw(st.one_of(header_heavy, anywhere)) % max(1, len(data))
        if action == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            data[position:position + 4] = draw(st.sampled_from(
                [b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f", b"\x00\x00\x01\x00"]))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[position:position + draw(st.integers(1, 16))]
        else:
            del data[position:]
        if not data:
            break
    return bytes(data)


@FUZZ
@given(data=mutated_audio(), suffix=st.sampled_from([".wav", ".flac"]))
def test_audio_readers_return_audio_or_an_audio_error(data, suffix, scratch):
    path = scratch / f"mutated{suffix}"
    path.write_bytes(data)
    try:
        info = audio_info(path)
    except AudioError as exc:
        assert "\n" not in str(exc)
        return
    assert info.sample_rate > 0 and info.channels > 0 and info.frames >= 0

    try:
        audio, rate = read_audio(path, always_2d=True)
    except AudioError:
        pass
    else:
        assert audio.dtype == np.float32 and audio.shape[1] == info.channels and rate == info.sample_rate
        assert np.isfinite(audio).all()

    try:
        for block in iter_blocks(path, 256):
            assert block.dtype == np.float32 and block.ndim == 2
            assert 1 <= block.shape[0] <= 256 and block.shape[1] == info.channels
    except AudioError:
        pass

    try:
        window = read_frames(path, -10, 300)
    except AudioError:
        pass
    else:
        assert window.shape == (300, info.channels) and window.dtype == np.float32
