"""Degradation steps (pedalboard-made) and the room families: each does what its name says."""

import numpy as np
import pytest

from aeib.data import degrade
from aeib.data.levels import loudness_lufs, match_loudness, place_level, rms_dbfs
from aeib.data.reverb import algorithmic_room, room_family, stochastic_room

RATE = 24_000


def _sine(hz, seconds=1.0, amplitude=0.3):
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _music(seconds=1.0, seed=0):
    rng = np.random.default_rng(seed)
    x = sum(_sine(f, seconds, 0.1) for f in (110, 440, 1760, 5000)) + 0.02 * rng.standard_normal(round(seconds * RATE))
    return x.astype(np.float32)


def _step(kind, **settings):
    family = next(f for f, kinds in {**degrade.TRAIN_KINDS, "capture2": ("gsm",)}.items() if kind in kinds)
    return {"family": family.rstrip("2"), "kind": kind, **settings}


def _apply(x, step, seed=0):
    y = degrade.apply_step(x, RATE, step, np.random.default_rng(seed))
    assert y.shape == x.shape and y.dtype == np.float32 and np.all(np.isfinite(y))
    return y


@pytest.mark.parametrize("family,kind", [(f, k) for f, kinds in degrade.TRAIN_KINDS.items() for k in kinds
                                         if k != "aac" or degrade.aac_available()] + [("capture", "gsm")])
def test_every_kind_changes_the_audio_and_keeps_its_length(family, kind):
    x = _music()
    step = degrade.sample_step(family, kind, np.random.default_rng(3), ("warm", "harsh"))
    if kind == "bandwidth":
        step["rate_hz"] = 8000
    y = _apply(x, step)
    assert np.max(np.abs(y - x)) > 1e-3, kind


def test_filters_cut_where_they_say():
    low, high = _sine(50), _sine(8000)
    assert rms_dbfs(_apply(low, _step("highpass", cutoff_hz=400.0, sections=2))) < rms_dbfs(low) - 12
    assert rms_dbfs(_apply(high, _step("lowpass", cutoff_hz=2000.0, sections=1))) < rms_dbfs(high) - 10
    notch = _step("peaks", peaks=[{"center_hz": 1000.0, "gain_db": -12.0, "q": 2.0},
                                  {"center_hz": 4000.0, "gain_db": 6.0, "q": 1.0}])
    assert rms_dbfs(_apply(_sine(1000), notch)) == pytest.approx(rms_dbfs(_sine(1000)) - 12, abs=1.0)


def test_noise_lands_at_its_snr_and_clipping_lowers_the_crest():
    x = _music()
    for kind in ("crowd-noise", "ambient-noise"):
        y = _apply(x, _step(kind, snr_db=20.0, slope=1.0))
        assert rms_dbfs(y - x) == pytest.approx(rms_dbfs(x) - 20.0, abs=0.2)
    clipped = _apply(x, _step("hard-clip", below_peak_db=6.0))
    assert 20 * np.log10(np.max(np.abs(clipped)) / np.max(np.abs(x))) == pytest.approx(-6.0, abs=0.1)


@pytest.mark.parametrize("kind,settings", [("mp3", {"vbr_quality": 4.0}), ("aac", {"bitrate_kbps": 96}),
                                           ("gsm", {})])
def test_codecs_are_aligned_with_their_input(kind, settings):
    if kind == "aac" and not degrade.aac_available():
        pytest.skip("PyAV with an AAC encoder is not installed")
    x = _music(seed=1)
    y = _apply(x, _step(kind, **settings))
    band = slice(RATE // 10, -RATE // 10)
    assert np.corrcoef(x[band], y[band])[0, 1] > (0.5 if kind == "gsm" else 0.9)


def test_recipes_have_distinct_families_and_only_train_kinds():
    rng = np.random.default_rng(0)
    counts = []
    for _ in range(300):
        steps = degrade.sample_recipe(rng, ("warm",))
        families = [s["family"] for s in steps]
        assert len(set(families)) == len(families) <= 3 and not any(s["kind"] == "gsm" for s in steps)
        counts.append(len(steps))
    assert set(counts) == {0, 1, 2, 3}
    pre, post = degrade.split_stages([_step("mp3", vbr_quality=2.0), _step("crowd-noise", snr_db=10.0),
                                      _step("tilt", low_gain_db=2.0, high_gain_db=-2.0)])
    assert [s["kind"] for s in pre] == ["tilt"] and [s["kind"] for s in post] == ["crowd-noise", "mp3"]


def _band_decay_s(ir, low_hz, high_hz):
    """Time for the energy of one band of an IR to fall 20 dB from its start (Schroeder integral)."""
    from scipy import signal

    band = signal.sosfilt(signal.butter(4, [low_hz, high_hz], "bandpass", fs=RATE, output="sos"), ir)
    energy = np.cumsum(band[::-1] ** 2)[::-1]
    db = 10 * np.log10(energy / energy[0] + 1e-20)
    return np.argmax(db < -20) / RATE


def test_stochastic_rooms_decay_slower_in_the_bass_and_are_unit_energy():
    for index in range(3):
        room = stochastic_room(index, RATE, seed=0)
        assert room_family(room) == "stochastic"
        assert np.sum(room.samples.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-3)
        assert _band_decay_s(room.samples, 90, 180) > 1.3 * _band_decay_s(room.samples, 5000, 10000)
    assert not np.array_equal(stochastic_room(0, RATE, 0).samples, stochastic_room(0, RATE, 1).samples)


def test_algorithmic_rooms_are_a_different_family():
    room = algorithmic_room(0, RATE, seed=0)
    assert room_family(room) == "algorithmic" and room.info["source"] == "pedalboard.Reverb"
    assert np.sum(room.samples.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-3)


def test_levels_are_placed_and_loud_peaks_limited():
    x = _music()
    quiet, limited = place_level(x, RATE, -40.0, -0.5)
    assert not limited and rms_dbfs(quiet) == pytest.approx(-40.0, abs=0.01)
    loud, limited = place_level(x, RATE, -6.0, -0.5)
    assert limited and np.max(np.abs(loud)) <= 10 ** (-0.5 / 20) + 1e-6 and rms_dbfs(loud) > -8.0
    matched, _ = match_loudness(x, RATE, -23.0, -0.5)
    assert loudness_lufs(matched, RATE) == pytest.approx(-23.0, abs=0.1)
