"""Simulated club rooms: causal, unit energy, reverberant, deterministic and cached by seed."""

import numpy as np
import pytest

from aeib.data import rooms
from aeib.data.rooms import RoomConfig, load_or_simulate_rooms, simulate_club_rooms

RATE = 8_000
SMALL = RoomConfig(n_rooms=2, mics_per_room=2, length_m=(10.0, 12.0), rt60_s=(0.4, 0.5), max_order=4)


@pytest.fixture(scope="module")
def simulated():
    return simulate_club_rooms(SMALL, RATE, seed=11)


def test_rooms_have_ids_and_club_geometry(simulated):
    assert [ir.ir_id for ir in simulated] == ["sim-room-000-mic0", "sim-room-000-mic1",
                                              "sim-room-001-mic0", "sim-room-001-mic1"]
    for ir in simulated:
        length, width, height = ir.info["dims_m"]
        assert 10.0 <= length <= 12.0 and 0.45 * length <= width <= 0.8 * length and 4.0 <= height <= 8.0
        assert ir.info["mic_m"][0] >= ir.info["pa_m"][0] + 3.0  # audience in front of the PA
        assert 0.4 <= ir.info["rt60_target_s"] <= 0.5


def test_room_irs_are_causal_unit_energy_and_decay(simulated):
    for ir in simulated:
        h = ir.samples.astype(np.float64)
        assert ir.kind == "room" and np.all(np.isfinite(h))
        assert np.sum(h**2) == pytest.approx(1.0, rel=1e-4)
        onset = int(np.argmax(np.abs(h) >= np.max(np.abs(h)) * 10 ** (-20 / 20)))
        assert onset == round(0.001 * RATE)  # the direct sound sits right after the 1 ms margin
        early, late = np.sum(h[: RATE // 20] ** 2), np.sum(h[RATE // 5:] ** 2)
        assert late < early  # a decaying response
        assert ir.info["rt60_measured_s"] is None or ir.info["rt60_measured_s"] > 0


def test_same_seed_same_rooms_other_seed_other_rooms(simulated):
    again = simulate_club_rooms(SMALL, RATE, seed=11)
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(simulated, again))
    other = simulate_club_rooms(RoomConfig(**{**SMALL.__dict__, "n_rooms": 1}), RATE, seed=12)
    assert other[0].info["dims_m"] != simulated[0].info["dims_m"]


def test_rooms_are_cached_by_seed(tmp_path, monkeypatch, simulated):
    first = load_or_simulate_rooms(SMALL, RATE, 11, tmp_path)
    assert len(list(tmp_path.glob("rooms-*.npz"))) == 1
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(first, simulated))

    def refuse(*args, **kwargs):
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr(rooms, "simulate_club_rooms", refuse)
    cached = load_or_simulate_rooms(SMALL, RATE, 11, tmp_path)
    assert [ir.ir_id for ir in cached] == [ir.ir_id for ir in first]
    assert all(np.array_equal(a.samples, b.samples) and a.info == b.info for a, b in zip(cached, first))
    with pytest.raises(AssertionError, match="cache"):
        load_or_simulate_rooms(SMALL, RATE, 12, tmp_path)  # another seed is another cache entry
