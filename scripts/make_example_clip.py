"""Make the bundled example clip: an excerpt of a real song, "recorded on a phone in a club".

The music is a Frets on Fire song by Muldjord (El Senator, CC BY-SA 3.0; see
aeib/examples/club_phone_clip.COPYRIGHT.txt and docs/EXAMPLE_CLIP.md). The capture is simulated with
independent DSP — pyroomacoustics (the room), pedalboard (the phone's filters, AGC and limiter) and
scipy (crowd noise) — never with aeib's own chain, so the analyzer is shown a degradation it did
not make itself. The phone records one microphone; the clip is that mono signal in both channels of
a 16-bit stereo FLAC. The result is deterministic for the seed. Needs pyroomacoustics and pedalboard
(the ``[train]`` extra).

    python scripts/make_example_clip.py aeib/examples/club_phone_clip.flac
    python scripts/make_example_clip.py club.flac --clean-out clean.wav --reference-out ref.wav

``--clean-out`` writes the same excerpt undegraded (time-aligned with the clip, for metrics) and
``--reference-out`` a clean excerpt from another part of the song (for ``aeib enhance --reference``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pedalboard
import pyroomacoustics as pra
import scipy.signal
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SONG = ROOT / "data" / "music" / "fretsonfire" / "mutilated_mime.flac"
START_S = 60.0
SECONDS = 8.0
REFERENCE_START_S = 120.0
SAMPLE_RATE = 44_100
PREROLL_S = 1.0
"""Music before the excerpt that is played into the room too, so the clip starts with a full tail."""
ROOM_DIM_M = (14.0, 10.0, 4.5)
RT60_S = 0.9
SPEAKERS_M = ((3.5, 1.2, 2.6), (10.5, 1.2, 2.6))
"""The PA's left and right speakers, on the stage wall."""
PHONE_M = (7.4, 7.0, 1.7)
"""A phone held up in the crowd, about 7 m from the PA speakers; it records one microphone (mono)."""


def read_excerpt(path: Path, start_s: float, seconds: float) -> np.ndarray:
    """``seconds`` of ``path`` from ``start_s``: float64[samples, 2] at SAMPLE_RATE."""
    info = sf.info(path)
    if info.samplerate != SAMPLE_RATE:
        raise SystemExit(f"{path}: expected {SAMPLE_RATE} Hz, got {info.samplerate}")
    start = int(round(start_s * SAMPLE_RATE))
    audio, _ = sf.read(path, start=start, frames=int(round(seconds * SAMPLE_RATE)), dtype="float64",
                       always_2d=True)
    if audio.shape[0] < int(round(seconds * SAMPLE_RATE)):
        raise SystemExit(f"{path} is shorter than {start_s + seconds:.1f} s")
    return audio[:, np.arange(2) % audio.shape[1]]


def club_room_irs() -> np.ndarray:
    """Impulse responses PA speaker → phone mic of a shoebox club (image sources, RT60 ≈ 0.9 s).

    Returns:
        float64[ir_samples, 2 speakers].
    """
    absorption, max_order = pra.inverse_sabine(RT60_S, ROOM_DIM_M)
    room = pra.ShoeBox(ROOM_DIM_M, fs=SAMPLE_RATE, materials=pra.Material(absorption),
                       max_order=min(max_order, 24), air_absorption=True)
    for speaker in SPEAKERS_M:
        room.add_source(speaker)
    room.add_microphone(PHONE_M)
    room.compute_rir()
    irs = np.zeros((max(len(rir) for rir in room.rir[0]), 2))
    for s, rir in enumerate(room.rir[0]):
        irs[: len(rir), s] = rir
    return irs


def crowd_noise(n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Crowd murmur: a dozen talkers (speech-band noise with syllable-rate level swings) and low rumble.

    Returns:
        float64[n_samples] at unit RMS.
    """
    voices = scipy.signal.butter(2, [250.0, 2500.0], "bandpass", fs=SAMPLE_RATE, output="sos")
    swing = scipy.signal.butter(2, 6.0, "lowpass", fs=SAMPLE_RATE, output="sos")
    rumble = scipy.signal.butter(2, 120.0, "lowpass", fs=SAMPLE_RATE, output="sos")
    out = np.zeros(n_samples)
    for _ in range(12):
        talker = scipy.signal.sosfilt(voices, rng.standard_normal(n_samples))
        out += talker * np.maximum(scipy.signal.sosfilt(swing, rng.standard_normal(n_samples)), 0.0)
    out /= _rms(out)
    out += 0.5 * scipy.signal.sosfilt(rumble, rng.standard_normal(n_samples))
    return out / _rms(out)


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio ** 2)))


def _lag(captured: np.ndarray, clean: np.ndarray, max_lag: int) -> int:
    """The delay (samples, 0 ≤ lag < max_lag) of ``captured`` behind ``clean`` (peak of the cross-correlation)."""
    corr = scipy.signal.correlate(captured, clean, mode="full", method="fft")
    return int(np.argmax(corr[len(clean) - 1: len(clean) - 1 + max_lag]))


def phone_chain() -> pedalboard.Pedalboard:
    """The club's low-mid build-up and the phone: its microphone's response, its AGC and limiter."""
    return pedalboard.Pedalboard([
        # The phone's wind/handling filter: the kick and bass lose their fundamentals (4th order).
        pedalboard.HighpassFilter(cutoff_frequency_hz=150.0),
        pedalboard.HighpassFilter(cutoff_frequency_hz=150.0),
        # Boom: the subs and the room modes pile up in the low mids.
        pedalboard.PeakFilter(cutoff_frequency_hz=220.0, gain_db=6.0, q=1.2),
        # A small MEMS mic: a harsh presence peak and a tinny, resonant top.
        pedalboard.PeakFilter(cutoff_frequency_hz=3500.0, gain_db=8.0, q=1.0),
        pedalboard.HighShelfFilter(cutoff_frequency_hz=7000.0, gain_db=7.0, q=0.7),
        # The recording app's AGC: fast, heavy compression with make-up, then a limiter.
        pedalboard.Compressor(threshold_db=-32.0, ratio=6.0, attack_ms=3.0, release_ms=120.0),
        pedalboard.Gain(gain_db=16.0),
        pedalboard.Limiter(threshold_db=-1.0, release_ms=60.0),
    ])


def phone_capture(music: np.ndarray, rng: np.random.Generator, crowd_db: float) -> np.ndarray:
    """The PA playing ``music`` (float64[samples, 2]) in the club, as the phone records it: float64[samples]."""
    irs = club_room_irs()
    at_mic = sum(scipy.signal.fftconvolve(music[:, s], irs[:, s])[: music.shape[0]] for s in range(2))
    at_mic = at_mic + 10 ** (crowd_db / 20) * _rms(at_mic) * crowd_noise(music.shape[0], rng)
    at_mic *= 10 ** (-20 / 20) / _rms(at_mic)
    return phone_chain()(at_mic.astype(np.float32), SAMPLE_RATE).astype(np.float64)


def make_clip(song: Path, start_s: float, seconds: float, seed: int, crowd_db: float) -> tuple[np.ndarray, np.ndarray]:
    """``(clip, clean)``: the phone recording of the excerpt (one channel, written twice) and the excerpt
    itself, time-aligned (the sound's flight from the PA is removed): float64[samples, 2] each."""
    rng = np.random.default_rng(seed)
    preroll = min(PREROLL_S, start_s)
    music = read_excerpt(song, start_s - preroll, seconds + preroll + 0.2)
    captured = phone_capture(music, rng, crowd_db)
    n, first = int(round(seconds * SAMPLE_RATE)), int(round(preroll * SAMPLE_RATE))
    clean = music[first: first + n]
    lag = _lag(captured[first: first + n], clean.mean(axis=1), SAMPLE_RATE // 10)
    clip = captured[first + lag: first + lag + n]
    return np.stack([clip, clip], axis=1), clean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="FLAC file to write (16-bit)")
    parser.add_argument("--song", type=Path, default=SONG, help=f"source song (default: {SONG.relative_to(ROOT)})")
    parser.add_argument("--start-s", type=float, default=START_S, help=f"excerpt start (default: {START_S:g})")
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"excerpt length (default: {SECONDS:g})")
    parser.add_argument("--seed", type=int, default=2026, help="crowd-noise seed (default: 2026)")
    parser.add_argument("--crowd-db", type=float, default=-24.0,
                        help="crowd noise relative to the music at the phone, dB RMS (default: -24)")
    parser.add_argument("--clean-out", help="also write the same excerpt undegraded and aligned (float WAV)")
    parser.add_argument("--reference-out", help="also write a clean excerpt from another part of the song")
    parser.add_argument("--reference-start-s", type=float, default=REFERENCE_START_S,
                        help=f"start of --reference-out (default: {REFERENCE_START_S:g})")
    args = parser.parse_args()
    clip, clean = make_clip(args.song, args.start_s, args.seconds, args.seed, args.crowd_db)
    sf.write(args.output, np.clip(clip, -1.0, 1.0).astype(np.float32), SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    print(f"wrote {args.output}: {len(clip) / SAMPLE_RATE:.1f} s, peak {np.max(np.abs(clip)):.3f}")
    if args.clean_out:
        sf.write(args.clean_out, clean.astype(np.float32), SAMPLE_RATE, subtype="FLOAT")
        print(f"wrote {args.clean_out} (clean, aligned)")
    if args.reference_out:
        reference = read_excerpt(args.song, args.reference_start_s, args.seconds)
        sf.write(args.reference_out, reference.astype(np.float32), SAMPLE_RATE, subtype="FLOAT")
        print(f"wrote {args.reference_out} (clean, from {args.reference_start_s:g} s)")


if __name__ == "__main__":
    main()
