"""Room families besides the pyroomacoustics shoeboxes, so the analyzer does not learn one simulator.

* ``stochastic`` (training): a direct sound, a few sparse early reflections, and a late tail of
  Gaussian noise split into octave bands, each band decaying exponentially with its own RT60 —
  long in the bass (a club's boom), shorter in the treble (air and audience absorb the highs). The
  band RT60s fall log-linearly from ``rt60_low_s`` at 125 Hz to ``rt60_low_s · treble_ratio`` at
  8 kHz; the direct-to-reverberant ratio is drawn separately.
* ``algorithmic`` (held out of training, for the out-of-family test set): the impulse response of
  pedalboard's Freeverb-style ``Reverb`` (comb and all-pass filters, a different kind of model
  altogether), which is linear and time-invariant with ``freeze_mode`` off, so its impulse response
  is the whole effect.

Every IR is trimmed to start at its onset and normalized to unit energy, as the shoebox rooms are
(:func:`aeib.data.irs.trim_causal`, :func:`~aeib.data.irs.normalize_energy`). A room depends only on
``(seed, family, index)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from aeib.data.irs import MAX_IR_S, ImpulseResponse, normalize_energy, trim_causal
from aeib.dsp.eq import band_frequency_cap_hz

ROOM_FAMILIES = ("shoebox", "stochastic", "algorithmic", "measured")
"""Every room family an example can record; ``algorithmic`` is reserved for the out-of-family test set."""

OCTAVE_CENTRES_HZ = (63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)

_FAMILY_SALT = {"stochastic": 0x5701, "algorithmic": 0xA160}


def _rng(seed: int, family: str, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, _FAMILY_SALT[family], index])


def _band_rt60s(rt60_low_s: float, treble_ratio: float) -> np.ndarray:
    """RT60 per octave band: ``rt60_low_s`` up to 125 Hz, log-linear down to ×``treble_ratio`` at 8 kHz."""
    position = np.clip(np.log2(np.array(OCTAVE_CENTRES_HZ) / 125.0) / 6.0, 0.0, 1.0)
    return rt60_low_s * treble_ratio ** position


def stochastic_room(index: int, sample_rate: int, seed: int) -> ImpulseResponse:
    """One stochastic room with id ``stoch-room-III`` (see the module docstring).

    Args:
        index: Room number.
        sample_rate: Sample rate in Hz.
        seed: Dataset seed.
    """
    rng = _rng(seed, "stochastic", index)
    rt60_low_s = float(math.exp(rng.uniform(math.log(0.5), math.log(2.5))))
    treble_ratio = float(rng.uniform(0.25, 0.7))
    drr_db = float(rng.uniform(-8.0, 4.0))
    predelay_s = float(rng.uniform(0.008, 0.035))
    rt60s = _band_rt60s(rt60_low_s, treble_ratio)
    n_taps = min(round(MAX_IR_S * sample_rate), round((1.2 * rt60s.max() + predelay_s) * sample_rate))
    t = np.arange(n_taps) / sample_rate
    tail = np.zeros(n_taps)
    nyquist = sample_rate / 2
    cap_hz = band_frequency_cap_hz(sample_rate)  # the EQ bands' guard below Nyquist
    for centre, rt60 in zip(OCTAVE_CENTRES_HZ, rt60s):
        low, high = centre / math.sqrt(2), min(centre * math.sqrt(2), cap_hz)
        if low >= high or low >= nyquist:
            continue
        if centre == OCTAVE_CENTRES_HZ[0]:
            sos = signal.butter(4, high, "lowpass", fs=sample_rate, output="sos")
        elif centre == OCTAVE_CENTRES_HZ[-1] or high >= cap_hz:
            sos = signal.butter(4, low, "highpass", fs=sample_rate, output="sos")
        else:
            sos = signal.butter(2, [low, high], "bandpass", fs=sample_rate, output="sos")
        band = signal.sosfiltfilt(sos, rng.standard_normal(n_taps))
        tail += band * np.exp(-6.907755 * t / rt60)   # −60 dB after rt60 seconds
    onset = round(predelay_s * sample_rate)
    tail[:onset] = 0.0
    tail *= np.clip((t - predelay_s) / 0.01, 0.0, 1.0)   # 10 ms build-up of the diffuse field
    tail /= math.sqrt(float(np.sum(tail**2))) + 1e-12
    ir = tail.copy()
    direct = 10 ** (drr_db / 20)
    ir[0] += direct
    for _ in range(int(rng.integers(3, 8))):   # sparse early reflections from walls, stage and bar
        delay = int(rng.uniform(0.002, predelay_s) * sample_rate)
        ir[delay] += direct * float(rng.uniform(0.2, 0.7)) * float(rng.choice([-1.0, 1.0]))
    taps = normalize_energy(trim_causal(ir, sample_rate))
    info = {"source": "stochastic", "family": "stochastic", "rt60_125hz_s": round(rt60_low_s, 3),
            "rt60_8khz_s": round(float(rt60s[-1]), 3), "drr_db": round(drr_db, 2),
            "predelay_ms": round(1000 * predelay_s, 1)}
    return ImpulseResponse(f"stoch-room-{index:03d}", "room", taps, info)


def algorithmic_room(index: int, sample_rate: int, seed: int) -> ImpulseResponse:
    """One pedalboard ``Reverb`` impulse response with id ``algo-room-III`` (held-out family).

    Raises:
        ImportError: if pedalboard is not installed (it is a ``[train]`` dependency).
    """
    import pedalboard

    rng = _rng(seed, "algorithmic", index)
    settings = {"room_size": float(rng.uniform(0.4, 0.95)), "damping": float(rng.uniform(0.1, 0.8)),
                "wet_level": float(rng.uniform(0.2, 0.6)), "dry_level": float(rng.uniform(0.3, 0.9)),
                "width": 0.0}
    reverb = pedalboard.Reverb(**settings)
    impulse = np.zeros(round(MAX_IR_S * sample_rate), dtype=np.float32)
    impulse[0] = 1.0
    response = np.asarray(reverb(impulse[None, :], sample_rate), dtype=np.float64)[0]
    taps = normalize_energy(trim_causal(response, sample_rate))
    info = {"source": "pedalboard.Reverb", "family": "algorithmic", **{k: round(v, 3) for k, v in settings.items()}}
    return ImpulseResponse(f"algo-room-{index:03d}", "room", taps, info)


def family_rooms(family: str, n_rooms: int, sample_rate: int, seed: int) -> list[ImpulseResponse]:
    """``n_rooms`` rooms of the ``stochastic`` or ``algorithmic`` family."""
    make = {"stochastic": stochastic_room, "algorithmic": algorithmic_room}[family]
    return [make(index, sample_rate, seed) for index in range(n_rooms)]


def room_family(ir: ImpulseResponse) -> str:
    """The family of a room IR in the bank (shoebox rooms and measured files predate the tag)."""
    if "family" in ir.info:
        return ir.info["family"]
    return "shoebox" if ir.info.get("source") == "simulated" else "measured"


__all__ = ["OCTAVE_CENTRES_HZ", "ROOM_FAMILIES", "algorithmic_room", "family_rooms", "room_family",
           "stochastic_room"]
