"""Energy profiles and the choice of non-silent, non-overlapping segment pairs."""

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from aeib.data import activity as act


def test_frame_level_of_a_sine_matches_its_rms(tmp_path):
    rate = 16_000
    t = np.arange(2 * rate) / rate
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    audio = np.stack([left, left], axis=1).astype(np.float32)
    audio[rate:] = 0.0  # the second half is digital silence
    sf.write(tmp_path / "x.wav", audio, rate, subtype="FLOAT")
    profile = act.analyze_track(tmp_path / "x.wav", rate)
    assert profile.frames == 2 * rate and profile.hop == 1600
    assert profile.frame_db.shape == (20,)
    np.testing.assert_allclose(profile.frame_db[:10], 20 * np.log10(0.5 / np.sqrt(2)), atol=0.05)
    assert np.all(profile.frame_db[10:] <= -140)
    active = act.active_frames(profile.frame_db)
    assert active[:10].all() and not active[10:].any()


def test_profile_cache_roundtrip(tmp_path):
    rate = 8_000
    sf.write(tmp_path / "x.wav", np.random.default_rng(0).uniform(-0.3, 0.3, rate * 2), rate)
    first = act.load_or_analyze(tmp_path / "x.wav", rate, tmp_path / "cache")
    assert len(list((tmp_path / "cache" / "activity").glob("*.npz"))) == 1
    second = act.load_or_analyze(tmp_path / "x.wav", rate, tmp_path / "cache")
    np.testing.assert_array_equal(first.frame_db, second.frame_db)
    assert (first.frames, first.hop) == (second.frames, second.hop)


def test_valid_starts_avoid_silence():
    frame_db = np.full(100, -20.0)
    frame_db[40:60] = -150.0
    starts = act.valid_starts(frame_db, 10)
    assert starts.size > 0
    for s in starts:
        segment = act.active_frames(frame_db)[s:s + 10]
        assert segment.mean() >= act.MIN_ACTIVE_FRACTION
    assert not np.any((starts > 31) & (starts < 59))  # no window overlapping 2+ silent frames


def test_quiet_but_musical_track_is_kept_while_fades_are_not():
    frame_db = np.concatenate([np.full(50, -35.0), np.full(50, -80.0)])
    active = act.active_frames(frame_db)
    assert active[:50].all() and not active[50:].any()


def test_segment_span_covers_the_segment():
    for rate in (11_025, 22_050, 44_100, 48_000):
        hop = round(act.FRAME_S * rate)
        span = act.segment_span(5.0, rate, hop)
        assert span * hop >= int(np.ceil(5.0 * rate))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=60, unique=True), st.integers(1, 80), st.integers(0, 2**32 - 1))
def test_pairs_never_overlap(raw_starts, span, seed):
    starts = np.array(sorted(raw_starts), dtype=np.int64)
    rng = np.random.default_rng(seed)
    if act.pairable_starts(starts, span).size == 0:
        with pytest.raises(ValueError):
            act.pick_pair(starts, span, rng)
        return
    a, b = act.pick_pair(starts, span, rng)
    assert a in starts and b in starts
    assert abs(a - b) >= span
