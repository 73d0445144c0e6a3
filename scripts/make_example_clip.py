"""Synthesize the bundled example clip: a short band groove "recorded on a phone in a club".

Everything is generated here with numpy and aeib's own DSP, so the clip carries no third-party
rights (see docs/EXAMPLE_CLIP.md). The result is deterministic for the seed.

    python scripts/make_example_clip.py aeib/examples/club_phone_clip.flac
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.signal
import soundfile as sf

from aeib.dsp import process

SAMPLE_RATE = 44_100
SECONDS = 8.0
TEMPO_BPM = 118.0


def _env(n: int, attack_s: float, decay_s: float) -> np.ndarray:
    t = np.arange(n) / SAMPLE_RATE
    return np.minimum(t / attack_s, 1.0) * np.exp(-t / decay_s)


def _note(freq_hz: float, seconds: float, harmonics: int, decay_s: float) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * freq_hz * k * t) / k ** 1.3 for k in range(1, harmonics + 1))
    return tone * _env(n, 0.005, decay_s)


def band(rng: np.random.Generator) -> np.ndarray:
    """A dry stereo mix: kick, snare, hats, bass, chords and a lead line. float64[samples, 2]."""
    n = int(SECONDS * SAMPLE_RATE)
    mix = np.zeros((n, 2))
    beat = int(60.0 / TEMPO_BPM * SAMPLE_RATE)

    def add(signal: np.ndarray, start: int, gain: float, pan: float) -> None:
        end = min(n, start + len(signal))
        mix[start:end, 0] += gain * np.sqrt(1 - pan) * signal[: end - start]
        mix[start:end, 1] += gain * np.sqrt(pan) * signal[: end - start]

    t_kick = np.arange(int(0.35 * SAMPLE_RATE)) / SAMPLE_RATE
    kick = np.sin(2 * np.pi * (45 * t_kick + 90 * (1 - np.exp(-t_kick / 0.03)) * 0.03)) * np.exp(-t_kick / 0.12)
    snare_len = int(0.2 * SAMPLE_RATE)
    hat_len = int(0.05 * SAMPLE_RATE)
    chords = [(110.0, 138.6, 164.8), (98.0, 123.5, 146.8), (87.3, 110.0, 130.8), (98.0, 123.5, 146.8)]
    lead = [440.0, 493.9, 523.3, 587.3, 659.3, 587.3, 523.3, 493.9]
    for i, start in enumerate(range(0, n, beat)):
        add(kick, start, 0.9, 0.5)
        if i % 2 == 1:
            noise = rng.standard_normal(snare_len) * _env(snare_len, 0.001, 0.05)
            add(noise + 0.5 * _note(190.0, 0.2, 3, 0.06), start, 0.35, 0.45)
        for half in (0, beat // 2):
            hat = scipy.signal.lfilter([1, -1], [1], rng.standard_normal(hat_len)) * _env(hat_len, 0.0005, 0.012)
            add(hat, start + half, 0.12, 0.65)
        root = chords[(i // 4) % 4][0]
        add(_note(root / 2, 60.0 / TEMPO_BPM, 6, 0.35), start, 0.45, 0.5)
        if i % 4 == 0:
            for f in chords[(i // 4) % 4]:
                add(_note(f * 2, 4 * 60.0 / TEMPO_BPM, 8, 0.9), start, 0.12, 0.35)
        if i % 2 == 0:
            add(_note(lead[(i // 2) % len(lead)], 60.0 / TEMPO_BPM, 5, 0.3), start, 0.18, 0.7)
    return mix


def club_phone(mix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Room reverb, boomy/harsh phone coloration, phone AGC squash and crowd noise."""
    # A diffuse tail: exponentially decaying noise (RT60 ≈ 1.1 s), lowpassed like a club room.
    ir_len = int(1.2 * SAMPLE_RATE)
    decay = np.exp(-6.9 * np.arange(ir_len) / (1.1 * SAMPLE_RATE))
    sos = scipy.signal.butter(2, 3000, "low", fs=SAMPLE_RATE, output="sos")
    room = np.zeros((ir_len, 2))
    for c in range(2):
        room[:, c] = scipy.signal.sosfilt(sos, rng.standard_normal(ir_len)) * decay * 0.06
        room[0, c] = 1.0
    wet = np.stack([scipy.signal.fftconvolve(mix[:, c], room[:, c])[: len(mix)] for c in range(2)], axis=1)
    crowd = scipy.signal.sosfilt(scipy.signal.butter(2, [300, 3000], "band", fs=SAMPLE_RATE, output="sos"),
                                 rng.standard_normal(wet.shape), axis=0) * 0.01
    phone = {
        "eq.low_shelf.gain_db": 9.0, "eq.low_shelf.cutoff_hz": 160.0,
        "eq.band1.gain_db": 6.0, "eq.band1.center_hz": 200.0, "eq.band1.q": 1.2,
        "eq.band3.gain_db": 7.0, "eq.band3.center_hz": 3300.0, "eq.band3.q": 1.8,
        "eq.high_shelf.gain_db": -8.0, "eq.high_shelf.cutoff_hz": 9000.0,
        "comp.threshold_db": -30.0, "comp.ratio": 8.0, "comp.attack_ms": 2.0,
        "comp.release_ms": 60.0, "comp.knee_db": 3.0, "comp.makeup_db": 14.0,
    }
    x = (wet + crowd) / np.max(np.abs(wet + crowd)) * 0.5
    return process(x, SAMPLE_RATE, phone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="FLAC file to write")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    clip = club_phone(band(rng), rng)
    sf.write(args.output, clip.astype(np.float32), SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    print(f"wrote {args.output}: {len(clip) / SAMPLE_RATE:.1f} s, peak {np.max(np.abs(clip)):.3f}")


if __name__ == "__main__":
    main()
