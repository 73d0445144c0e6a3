"""Club rooms simulated with pyroomacoustics (image source method), cached on disk by seed.

Each room is a shoebox of club size — 10–30 m long, 0.45–0.8 of that wide, 4–8 m high — with one
uniform wall absorption chosen by Sabine's formula for a target RT60 of 0.4–1.5 s. A PA source
(cardioid, 2–3 m high, 1–2 m from the front wall, aimed at the audience) plays; several phones are
held at 1.3–2.0 m height at random audience positions from 3 m in front of the PA to near the back
wall. Each (room, phone position) pair gives one room IR, causally trimmed (the direct sound stays at
its propagation delay minus a 1 ms margin), cut to :data:`~aeib.data.irs.MAX_IR_S` and normalized to
unit energy. The RT60 actually measured on the simulated IR is recorded beside the target.

pyroomacoustics is imported inside :func:`simulate_club_rooms` only, so importing :mod:`aeib.data`
stays light.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from aeib.audio import atomic_output
from aeib.data import irs as _irs
from aeib.data.irs import ImpulseResponse, normalize_energy, trim_causal

_VERSION = 1


@dataclass(frozen=True)
class RoomConfig:
    """How many club rooms to simulate and how.

    Attributes:
        n_rooms: Number of shoebox rooms.
        mics_per_room: Audience (phone) positions per room; each gives one IR.
        length_m: Range of room lengths in metres.
        width_ratio: Range of width / length.
        height_m: Range of ceiling heights in metres.
        rt60_s: Range of target reverberation times in seconds.
        max_order: Cap on the image-source order (``None``: as Sabine asks; small values make fast
            test rooms with short tails).
    """

    n_rooms: int = 16
    mics_per_room: int = 4
    length_m: tuple[float, float] = (10.0, 30.0)
    width_ratio: tuple[float, float] = (0.45, 0.8)
    height_m: tuple[float, float] = (4.0, 8.0)
    rt60_s: tuple[float, float] = (0.4, 1.5)
    max_order: int | None = None


def _room_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, 0x0C1B, index])


def _draw_room(rng: np.random.Generator, config: RoomConfig) -> dict:
    length = rng.uniform(*config.length_m)
    width = length * rng.uniform(*config.width_ratio)
    height = rng.uniform(*config.height_m)
    rt60 = math.exp(rng.uniform(math.log(config.rt60_s[0]), math.log(config.rt60_s[1])))
    source = [rng.uniform(1.0, 2.0), width * rng.uniform(0.35, 0.65), rng.uniform(2.0, min(3.0, height - 0.5))]
    mics = []
    for _ in range(config.mics_per_room):
        x = rng.uniform(source[0] + 3.0, length - 1.0)
        mics.append([x, rng.uniform(1.0, width - 1.0), rng.uniform(1.3, 2.0)])
    return {"dims_m": [length, width, height], "rt60_target_s": rt60, "source_m": source, "mics_m": mics}


def simulate_club_rooms(config: RoomConfig, sample_rate: int, seed: int) -> list[ImpulseResponse]:
    """Simulate ``config.n_rooms × config.mics_per_room`` room IRs.

    Args:
        config: Room ranges and counts.
        sample_rate: Sample rate of the IRs in Hz.
        seed: Seed; room ``i`` depends only on ``(seed, i)``.

    Returns:
        Room IRs with ids ``sim-room-RRR-micM``; float32, unit energy.
    """
    import pyroomacoustics as pra
    from pyroomacoustics.directivities import CardioidFamily, DirectionVector

    irs = []
    for index in range(config.n_rooms):
        geometry = _draw_room(_room_rng(seed, index), config)
        dims = geometry["dims_m"]
        absorption, order = pra.inverse_sabine(geometry["rt60_target_s"], dims)
        if config.max_order is not None:
            order = min(order, config.max_order)
        room = pra.ShoeBox(dims, fs=sample_rate, materials=pra.Material(float(absorption)),
                           max_order=int(order), air_absorption=True)
        pa = CardioidFamily(orientation=DirectionVector(azimuth=0.0, colatitude=95.0, degrees=True), p=0.5)
        room.add_source(geometry["source_m"], directivity=pa)
        room.add_microphone_array(np.array(geometry["mics_m"]).T)
        room.compute_rir()
        for mic, position in enumerate(geometry["mics_m"]):
            raw = np.asarray(room.rir[mic][0], dtype=np.float64)
            taps = normalize_energy(trim_causal(raw, sample_rate))
            measured = _rt60_s(taps, sample_rate)
            info = {
                "source": "simulated",
                "dims_m": [round(v, 3) for v in dims],
                "rt60_target_s": round(geometry["rt60_target_s"], 3),
                "rt60_measured_s": None if measured is None else round(measured, 3),
                "absorption": round(float(absorption), 4),
                "max_order": int(order),
                "pa_m": [round(v, 3) for v in geometry["source_m"]],
                "mic_m": [round(v, 3) for v in position],
            }
            irs.append(ImpulseResponse(f"sim-room-{index:03d}-mic{mic}", "room", taps, info))
    return irs


def _rt60_s(ir: np.ndarray, sample_rate: int) -> float | None:
    """RT60 from the Schroeder decay between −5 and −25 dB (T20 × 3); None if it never decays that far."""
    energy = np.cumsum(np.asarray(ir, dtype=np.float64)[::-1] ** 2)[::-1]
    if energy[0] <= 0:
        return None
    with np.errstate(divide="ignore"):
        decay_db = 10 * np.log10(energy / energy[0])
    below5, below25 = np.flatnonzero(decay_db <= -5), np.flatnonzero(decay_db <= -25)
    if below5.size == 0 or below25.size == 0:
        return None
    return float(3.0 * (below25[0] - below5[0]) / sample_rate)


def _cache_name(config: RoomConfig, sample_rate: int, seed: int) -> str:
    trim = {"onset_db": _irs.ONSET_BELOW_PEAK_DB, "margin_s": _irs.ONSET_MARGIN_S, "max_ir_s": _irs.MAX_IR_S}
    key = json.dumps({"v": _VERSION, "config": asdict(config), "sr": sample_rate, "seed": seed, "trim": trim},
                     sort_keys=True)
    return f"rooms-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"


def load_or_simulate_rooms(config: RoomConfig, sample_rate: int, seed: int,
                           cache_dir: Path | None) -> list[ImpulseResponse]:
    """:func:`simulate_club_rooms`, cached in ``cache_dir`` under a name derived from every input."""
    if config.n_rooms == 0:
        return []
    if cache_dir is None:
        return simulate_club_rooms(config, sample_rate, seed)
    path = Path(cache_dir) / _cache_name(config, sample_rate, seed)
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                return [ImpulseResponse(m["id"], "room", data[f"ir{i}"], m["info"]) for i, m in enumerate(meta)]
        except Exception:  # damaged cache: simulate again
            pass
    irs = simulate_club_rooms(config, sample_rate, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = json.dumps([{"id": ir.ir_id, "info": ir.info} for ir in irs])
    with atomic_output(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, meta=np.array(meta), **{f"ir{i}": ir.samples for i, ir in enumerate(irs)})
    return irs
