"""The array API (aeib.enhance / aeib.apply / aeib.Enhancer) with the shipped model."""

import json
import subprocess
import sys

import numpy as np
import pytest

import aeib
from aeib.dsp.loudness import integrated_loudness_lufs
from aeib.errors import AudioError, ParameterError
from aeib.settings import load_setting
from tests.conftest import music_like

RATE = 44_100


@pytest.fixture(scope="module")
def enhancer():
    return aeib.Enhancer()  # the shipped model, loaded once


@pytest.fixture(scope="module")
def hot():
    """Stereo music that clips (peaks at full scale): the safety limiter would touch it."""
    audio = music_like(3.0, RATE, 2)
    return (audio / np.abs(audio).max()).astype(np.float32)


def test_import_aeib_is_light():
    code = ("import sys, aeib; heavy = [m for m in ('numpy', 'tensorflow', 'ai_edge_litert', 'tflite_runtime') "
            "if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mono", [True, False])
def test_strength_zero_is_bit_identical(hot, dtype, mono):
    audio = (hot[:, 0] if mono else hot).astype(dtype)
    result = aeib.enhance(audio, RATE, strength=0)
    assert result.mode == "bypass" and result.audio.dtype == audio.dtype
    np.testing.assert_array_equal(result.audio, audio)  # no EQ, compressor, loudness gain or limiter
    assert result.setting.strength == 0.0 and result.setting.loudness.gain_db == 0.0
    np.testing.assert_array_equal(aeib.apply(audio, RATE, result.setting), audio)


def test_default_loudness_target_and_exact_reproduction(enhancer, hot, tmp_path):
    quiet = 0.1 * hot
    result = enhancer.enhance(quiet, RATE)
    assert result.mode == "fixed" and result.setting.loudness.mode == "default"
    assert integrated_loudness_lufs(result.audio, RATE) == pytest.approx(-16.0, abs=0.5)
    path = tmp_path / "setting.json"
    path.write_text(result.to_json())
    assert json.loads(path.read_text())["version"] == 2
    np.testing.assert_array_equal(aeib.apply(quiet, RATE, path), result.audio)
    np.testing.assert_array_equal(aeib.apply(quiet, RATE, load_setting(path)), result.audio)


def test_strength_half_is_gentler(enhancer, hot):
    full = aeib.enhance(hot, RATE, loudness="off")
    half = aeib.enhance(hot, RATE, strength=0.5, loudness="off")
    for name in ("eq.band1.gain_db", "comp.makeup_db"):
        assert half.params[name] == pytest.approx(full.params[name] / 2, abs=1e-6)
    assert half.params["comp.ratio"] == pytest.approx(full.params["comp.ratio"] ** 0.5, rel=1e-6)
    change = lambda r: np.abs(r.audio - hot).mean()  # noqa: E731
    assert change(half) < change(full)


@pytest.mark.parametrize("loudness", [-23.0, "keep"])
def test_loudness_choices(enhancer, hot, loudness):
    audio = 0.3 * hot
    result = aeib.enhance(audio, RATE, loudness=loudness)
    expected = integrated_loudness_lufs(audio, RATE) if loudness == "keep" else loudness
    assert integrated_loudness_lufs(result.audio, RATE) == pytest.approx(expected, abs=0.5)


def test_reference_array_sets_the_loudness_target(hot):
    reference = 0.05 * music_like(2.0, 22_050, 1, seed=7)
    result = aeib.enhance(hot, RATE, reference=reference, reference_sample_rate=22_050)
    assert result.target == "reference the reference array" and result.setting.loudness.mode == "reference"
    assert integrated_loudness_lufs(result.audio, RATE) == pytest.approx(integrated_loudness_lufs(reference, 22_050), abs=0.5)


def test_streaming_process_and_reset(hot):
    enhancer = aeib.Enhancer(loudness=-20.0)
    blocks = [hot[i:i + 512] for i in range(0, hot.shape[0], 512)]
    first = np.concatenate([enhancer.process(b, RATE) for b in blocks])
    assert first.shape == hot.shape and first.dtype == np.float32
    with pytest.raises(AudioError, match="reset"):
        enhancer.process(hot[:512, 0], RATE)
    enhancer.reset()
    np.testing.assert_array_equal(np.concatenate([enhancer.process(b, RATE) for b in blocks]), first)
    bypass = aeib.Enhancer(strength=0.0)
    np.testing.assert_array_equal(np.concatenate([bypass.process(b, RATE) for b in blocks]), hot)


def test_bad_input_raises_clear_errors(hot):
    with pytest.raises(AudioError, match="NaN"):
        aeib.apply(np.array([0.0, np.nan]), RATE, "neutral")
    with pytest.raises(AudioError, match="floating-point"):
        aeib.apply(np.zeros(10, dtype=np.int16), RATE, "neutral")
    with pytest.raises(AudioError, match="sample rate"):
        aeib.apply(np.zeros(10), 4_000, "neutral")
    with pytest.raises(ParameterError, match="strength"):
        aeib.Enhancer(strength=2)
    with pytest.raises(ParameterError, match="loudness"):
        aeib.Enhancer(loudness="loud")
    with pytest.raises(ParameterError, match="not both"):
        aeib.Enhancer(reference=hot, reference_sample_rate=RATE, style="bright")
