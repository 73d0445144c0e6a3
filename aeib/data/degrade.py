"""Degradation families beyond aeib's own chain (data v2), built on pedalboard and drawn per example.

A *step* is a JSON-ready dict ``{"family": ..., "kind": ..., <settings in physical units>}``; a
recipe is a list of 0–3 steps from distinct families, drawn at planning time (so it is recorded with
the example) and applied at rendering time. The families and their kinds:

* ``tonal`` — ``chain-style`` (a style of :mod:`aeib.data.styles` through aeib's own chain),
  ``highpass`` (80–400 Hz) and ``lowpass`` (2.5–12 kHz), each one or two
  first-order sections (6 or 12 dB/octave), ``peaks`` (2–4 peaks and notches, ±3–12 dB, 60 Hz–10 kHz, Q 0.5–6), ``tilt`` (opposite
  shelves at 250 Hz and 3 kHz, ±2–6 dB), ``ladder`` (Moog-style ladder filter, 12/24 dB low-/high-pass
  with resonance 0–0.7);
* ``dynamics`` — ``compressor`` (threshold −40…−10 dBFS, ratio 2–20, attack 0.1–30 ms, release
  30–500 ms), ``limiter`` (threshold −18…−3 dBFS), ``noise-gate``;
* ``capture`` — ``crowd-noise`` and ``ambient-noise`` at 10–30 dB SNR, ``bandwidth`` (down to 8,
  11.025, 16 or 22.05 kHz and back up), ``mp3`` (LAME VBR quality 2–9), ``aac`` (FFmpeg's AAC encoder
  through PyAV at 32–128 kbit/s, where PyAV is installed), ``hard-clip`` and ``soft-clip`` (an
  overloaded phone microphone);
* ``level`` — ``agc`` (a slow phone AGC, :func:`aeib.data.phone.apply_agc`) and ``phone-limiter``.

Held out of training (only the out-of-family test set draws it): ``capture/gsm`` (the GSM full-rate
phone codec). Tonal and dynamics steps act at the PA (before the room); capture and level steps at the
phone (after it). Absolute levels are set afterwards by :mod:`aeib.data.levels`, not here.
"""

from __future__ import annotations

import functools
import io
import math

import numpy as np
from scipy import signal

from aeib.data.phone import apply_agc, crowd_noise
from aeib.data.styles import sample_style
from aeib.dsp import CHAIN_SCHEMA, band_frequency_cap_hz, process

FAMILIES = ("tonal", "dynamics", "capture", "level")
"""The composable families, in the order a recipe lists them."""

TRAIN_KINDS: dict[str, tuple[str, ...]] = {
    "tonal": ("chain-style", "highpass", "lowpass", "peaks", "tilt", "ladder"),
    "dynamics": ("compressor", "limiter", "noise-gate"),
    "capture": ("crowd-noise", "ambient-noise", "bandwidth", "mp3", "aac", "hard-clip", "soft-clip"),
    "level": ("agc", "phone-limiter"),
}
HELD_OUT_KINDS: dict[str, tuple[str, ...]] = {"capture": ("gsm",)}
"""Kinds no training example draws: the out-of-family test set's held-out recipe."""

FAMILY_WEIGHTS = {"tonal": 0.35, "dynamics": 0.2, "capture": 0.3, "level": 0.15}
STEP_COUNT_PROBS = (0.1, 0.4, 0.35, 0.15)
"""Probability of 0, 1, 2 and 3 steps in a degraded example."""

PRE_ROOM_FAMILIES = ("tonal", "dynamics")
_POST_ORDER = ("crowd-noise", "ambient-noise", "hard-clip", "soft-clip", "agc", "phone-limiter", "bandwidth",
               "mp3", "aac", "gsm")
BANDWIDTH_RATES_HZ = (8_000, 11_025, 16_000, 22_050)
MAX_CODEC_DELAY_S = 0.1


@functools.lru_cache(maxsize=1)
def aac_available() -> bool:
    """Whether PyAV with an AAC encoder is installed (else ``aac`` steps are not drawn)."""
    try:
        import av

        av.codec.Codec("aac", "w")
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return False
    return True


def available_kinds(family: str, held_out: bool) -> tuple[str, ...]:
    """The kinds of ``family`` this machine can draw (AAC only with PyAV), plus the held-out ones if asked."""
    kinds = TRAIN_KINDS[family] + (HELD_OUT_KINDS.get(family, ()) if held_out else ())
    return tuple(k for k in kinds if k != "aac" or aac_available())


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _r(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


def sample_step(family: str, kind: str, rng: np.random.Generator, styles: tuple[str, ...]) -> dict:
    """Draw the settings of one step (physical units, rounded so the record reproduces the audio).

    Args:
        family: One of :data:`FAMILIES`.
        kind: A kind of that family.
        rng: Random generator.
        styles: Chain styles a ``chain-style`` step draws from.
    """
    step: dict = {"family": family, "kind": kind}
    if kind == "chain-style":
        style = styles[int(rng.integers(len(styles)))]
        step.update(style=style, settings=sample_style(style, rng))
    elif kind == "highpass":
        step.update(cutoff_hz=_r(_log_uniform(rng, 80.0, 400.0), 1), sections=int(rng.integers(1, 3)))
    elif kind == "lowpass":
        step.update(cutoff_hz=_r(_log_uniform(rng, 2500.0, 12000.0), 1), sections=int(rng.integers(1, 3)))
    elif kind == "peaks":
        peaks = []
        for _ in range(int(rng.integers(2, 5))):
            sign = 1.0 if rng.uniform() < 0.5 else -1.0
            peaks.append({"center_hz": _r(_log_uniform(rng, 60.0, 10000.0), 1),
                          "gain_db": _r(sign * rng.uniform(3.0, 12.0), 2), "q": _r(_log_uniform(rng, 0.5, 6.0))})
        step.update(peaks=peaks)
    elif kind == "tilt":
        tilt = rng.uniform(2.0, 6.0) * (1.0 if rng.uniform() < 0.5 else -1.0)
        step.update(low_gain_db=_r(tilt, 2), high_gain_db=_r(-tilt, 2))
    elif kind == "ladder":
        mode = str(rng.choice(["LPF12", "LPF24", "HPF12", "HPF24"]))
        cutoff = _log_uniform(rng, 2000.0, 10000.0) if mode.startswith("LPF") else _log_uniform(rng, 80.0, 400.0)
        step.update(mode=mode, cutoff_hz=_r(cutoff, 1), resonance=_r(rng.uniform(0.0, 0.7)))
    elif kind == "compressor":
        step.update(threshold_db=_r(rng.uniform(-40.0, -10.0), 2), ratio=_r(_log_uniform(rng, 2.0, 20.0)),
                    attack_ms=_r(_log_uniform(rng, 0.1, 30.0)), release_ms=_r(_log_uniform(rng, 30.0, 500.0), 1))
    elif kind == "limiter":
        step.update(threshold_db=_r(rng.uniform(-18.0, -3.0), 2), release_ms=_r(_log_uniform(rng, 20.0, 300.0), 1))
    elif kind == "noise-gate":
        step.update(below_rms_db=_r(rng.uniform(6.0, 20.0), 2), ratio=_r(rng.uniform(2.0, 10.0)),
                    attack_ms=_r(_log_uniform(rng, 0.5, 10.0)), release_ms=_r(_log_uniform(rng, 30.0, 300.0), 1))
    elif kind in ("crowd-noise", "ambient-noise"):
        step.update(snr_db=_r(rng.uniform(10.0, 30.0), 2))
        if kind == "ambient-noise":
            step.update(slope=_r(rng.uniform(0.0, 2.0)))   # 0 white, 1 pink, 2 brown
    elif kind == "bandwidth":
        step.update(rate_hz=int(rng.choice(BANDWIDTH_RATES_HZ)))
    elif kind == "mp3":
        step.update(vbr_quality=_r(rng.uniform(2.0, 9.0), 2))
    elif kind == "aac":
        step.update(bitrate_kbps=int(rng.choice([32, 48, 64, 96, 128])))
    elif kind == "hard-clip":
        step.update(below_peak_db=_r(rng.uniform(1.0, 12.0), 2))
    elif kind == "soft-clip":
        step.update(drive_db=_r(rng.uniform(3.0, 20.0), 2))
    elif kind == "agc":
        step.update(target_dbfs=_r(rng.uniform(-30.0, -12.0), 2), time_s=_r(_log_uniform(rng, 0.3, 3.0)),
                    max_gain_db=_r(rng.uniform(10.0, 30.0), 2))
    elif kind == "phone-limiter":
        step.update(threshold_db=_r(rng.uniform(-12.0, -2.0), 2), release_ms=_r(_log_uniform(rng, 20.0, 200.0), 1))
    elif kind == "gsm":
        pass
    else:
        raise ValueError(f"unknown degradation kind {family}/{kind}")
    return step


def sample_recipe(rng: np.random.Generator, styles: tuple[str, ...], held_out: bool = False,
                  held_out_prob: float = 0.5) -> list[dict]:
    """Draw 0–3 steps from distinct families (:data:`STEP_COUNT_PROBS`, :data:`FAMILY_WEIGHTS`).

    Args:
        rng: Random generator.
        styles: Chain styles for ``chain-style`` steps.
        held_out: Also draw the held-out kinds (out-of-family test set only).
        held_out_prob: With ``held_out``, the probability that a capture step is a held-out kind.
    """
    count = int(rng.choice(len(STEP_COUNT_PROBS), p=STEP_COUNT_PROBS))
    weights = np.array([FAMILY_WEIGHTS[f] for f in FAMILIES])
    chosen = rng.choice(len(FAMILIES), size=count, replace=False, p=weights / weights.sum())
    steps = []
    for family in (FAMILIES[i] for i in sorted(chosen)):
        kinds = available_kinds(family, held_out=False)
        if held_out and family in HELD_OUT_KINDS and rng.uniform() < held_out_prob:
            kinds = HELD_OUT_KINDS[family]
        steps.append(sample_step(family, kinds[int(rng.integers(len(kinds)))], rng, styles))
    return steps


def split_stages(steps: list[dict]) -> tuple[list[dict], list[dict]]:
    """``(pre_room, post_capture)`` steps, the latter in the phone's processing order."""
    pre = [s for s in steps if s["family"] in PRE_ROOM_FAMILIES]
    post = sorted((s for s in steps if s["family"] not in PRE_ROOM_FAMILIES), key=lambda s: _POST_ORDER.index(s["kind"]))
    return pre, post


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) + 1e-12


def _board(plugins, audio: np.ndarray, sample_rate: int) -> np.ndarray:
    import pedalboard

    board = pedalboard.Pedalboard(plugins)
    return np.asarray(board(np.ascontiguousarray(audio, dtype=np.float32)[None, :], sample_rate), dtype=np.float32)[0]


def _align(processed: np.ndarray, original: np.ndarray, sample_rate: int) -> np.ndarray:
    """Undo a codec's delay: shift ``processed`` by the lag (≤ :data:`MAX_CODEC_DELAY_S`) of best correlation."""
    n = original.shape[0]
    max_lag = min(n - 1, round(MAX_CODEC_DELAY_S * sample_rate))
    size = 1 << int(math.ceil(math.log2(2 * n)))
    corr = np.fft.irfft(np.fft.rfft(processed, size) * np.conj(np.fft.rfft(original, size)), size)
    lags = np.concatenate([corr[: max_lag + 1], corr[-max_lag:]]) if max_lag > 0 else corr[:1]
    index = int(np.argmax(lags))
    lag = index if index <= max_lag else index - lags.shape[0]
    out = np.zeros(n, dtype=np.float32)
    if lag >= 0:
        piece = processed[lag:lag + n]
        out[: piece.shape[0]] = piece
    else:
        out[-lag:] = processed[: n + lag]
    return out


def _aac_roundtrip(audio: np.ndarray, sample_rate: int, bitrate_kbps: int) -> np.ndarray:
    """Encode to AAC in an in-memory ADTS stream with PyAV and decode it again (mono float32)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="adts") as container:
        stream = container.add_stream("aac", rate=sample_rate, layout="mono")
        stream.bit_rate = bitrate_kbps * 1000
        frame_size = 1024
        padded = np.concatenate([audio.astype(np.float32), np.zeros(frame_size, dtype=np.float32)])
        for start in range(0, padded.shape[0], frame_size):
            chunk = padded[start:start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = sample_rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    buffer.seek(0)
    pieces = []
    with av.open(buffer, "r", format="adts") as container:
        for frame in container.decode(audio=0):
            pieces.append(frame.to_ndarray().reshape(-1).astype(np.float32))
    decoded = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return _align(decoded, audio, sample_rate)


def ambient_noise(n_samples: int, slope: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise with a power spectrum falling as ``1/f^slope`` (0 white, 1 pink, 2 brown)."""
    spectrum = np.fft.rfft(rng.standard_normal(n_samples))
    freqs = np.arange(spectrum.shape[0], dtype=np.float64)
    freqs[0] = 1.0
    noise = np.fft.irfft(spectrum / freqs ** (slope / 2), n_samples)
    return (noise / _rms(noise)).astype(np.float32)


def apply_step(audio: np.ndarray, sample_rate: int, step: dict, rng: np.random.Generator,
               phone_ir: np.ndarray | None = None) -> np.ndarray:
    """Apply one step to mono float32 audio; the result has the same length.

    Args:
        audio: float32[samples].
        sample_rate: Sample rate in Hz.
        step: A step from :func:`sample_step`.
        rng: Random generator for the noise steps (the render seed's).
        phone_ir: Phone IR that crowd noise passes through (none: unfiltered).
    """
    import pedalboard

    kind = step["kind"]
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    nyquist_cap = band_frequency_cap_hz(sample_rate)  # the EQ bands' guard below Nyquist
    if kind == "chain-style":
        return process(audio, sample_rate, CHAIN_SCHEMA.complete(step["settings"])).astype(np.float32)
    if kind in ("highpass", "lowpass"):
        plugin = pedalboard.HighpassFilter if kind == "highpass" else pedalboard.LowpassFilter
        cutoff = min(step["cutoff_hz"], nyquist_cap)
        return _board([plugin(cutoff_frequency_hz=cutoff) for _ in range(step["sections"])], audio, sample_rate)
    if kind == "peaks":
        return _board([pedalboard.PeakFilter(cutoff_frequency_hz=min(p["center_hz"], nyquist_cap), gain_db=p["gain_db"],
                                             q=p["q"]) for p in step["peaks"]], audio, sample_rate)
    if kind == "tilt":
        return _board([pedalboard.LowShelfFilter(cutoff_frequency_hz=250.0, gain_db=step["low_gain_db"]),
                       pedalboard.HighShelfFilter(cutoff_frequency_hz=min(3000.0, nyquist_cap),
                                                  gain_db=step["high_gain_db"])], audio, sample_rate)
    if kind == "ladder":
        mode = getattr(pedalboard.LadderFilter.Mode, step["mode"])
        return _board([pedalboard.LadderFilter(mode=mode, cutoff_hz=min(step["cutoff_hz"], nyquist_cap),
                                               resonance=step["resonance"], drive=1.0)], audio, sample_rate)
    if kind == "compressor":
        peak_db = 20 * math.log10(float(np.max(np.abs(audio))) + 1e-12)
        # thresholds are relative to a full-scale peak: scale to peak 0 dBFS first, back afterwards
        gain = 10 ** (-peak_db / 20)
        out = _board([pedalboard.Compressor(threshold_db=step["threshold_db"], ratio=step["ratio"],
                                            attack_ms=step["attack_ms"], release_ms=step["release_ms"])],
                     audio * gain, sample_rate)
        return out / gain
    if kind in ("limiter", "phone-limiter"):
        peak = float(np.max(np.abs(audio))) + 1e-12
        out = _board([pedalboard.Limiter(threshold_db=step["threshold_db"], release_ms=step["release_ms"])],
                     audio / peak, sample_rate)
        return out * peak
    if kind == "noise-gate":
        threshold = 20 * math.log10(_rms(audio)) - step["below_rms_db"]
        return _board([pedalboard.NoiseGate(threshold_db=threshold, ratio=step["ratio"], attack_ms=step["attack_ms"],
                                            release_ms=step["release_ms"])], audio, sample_rate)
    if kind in ("crowd-noise", "ambient-noise"):
        n = audio.shape[0]
        if kind == "crowd-noise":
            noise = crowd_noise(n, sample_rate, rng)
            if phone_ir is not None:
                noise = signal.oaconvolve(noise, phone_ir)[:n].astype(np.float32)
        else:
            noise = ambient_noise(n, step["slope"], rng)
        scale = _rms(audio) * 10 ** (-step["snr_db"] / 20) / _rms(noise)
        return (audio + noise * np.float32(scale)).astype(np.float32)
    if kind == "bandwidth":
        if step["rate_hz"] >= sample_rate:
            return audio
        return _board([pedalboard.Resample(target_sample_rate=float(step["rate_hz"]))], audio, sample_rate)
    if kind == "mp3":
        return _align(_board([pedalboard.MP3Compressor(vbr_quality=step["vbr_quality"])], audio, sample_rate),
                      audio, sample_rate)
    if kind == "aac":
        return _aac_roundtrip(audio, sample_rate, step["bitrate_kbps"])
    if kind == "gsm":
        return _align(_board([pedalboard.GSMFullRateCompressor()], audio, sample_rate), audio, sample_rate)
    if kind == "hard-clip":
        peak_db = 20 * math.log10(float(np.max(np.abs(audio))) + 1e-12)
        return _board([pedalboard.Clipping(threshold_db=peak_db - step["below_peak_db"])], audio, sample_rate)
    if kind == "soft-clip":
        peak = float(np.max(np.abs(audio))) + 1e-12
        return _board([pedalboard.Distortion(drive_db=step["drive_db"])], audio / peak, sample_rate) * peak
    if kind == "agc":
        return apply_agc(audio, sample_rate, target_dbfs=step["target_dbfs"], max_gain_db=step["max_gain_db"],
                         time_s=step["time_s"])
    raise ValueError(f"unknown degradation kind {step['family']}/{kind}")


def apply_steps(audio: np.ndarray, sample_rate: int, steps: list[dict], rng: np.random.Generator,
                phone_ir: np.ndarray | None = None) -> np.ndarray:
    """Apply steps in order (see :func:`apply_step`)."""
    for step in steps:
        audio = apply_step(audio, sample_rate, step, rng, phone_ir)
    return audio


def describe_families() -> dict:
    """The families and kinds, for the manifest."""
    return {"train": {f: list(k) for f, k in TRAIN_KINDS.items()},
            "held_out": {f: list(k) for f, k in HELD_OUT_KINDS.items()},
            "aac_available": aac_available(), "family_weights": FAMILY_WEIGHTS,
            "step_count_probs": list(STEP_COUNT_PROBS)}


__all__ = ["FAMILIES", "HELD_OUT_KINDS", "TRAIN_KINDS", "aac_available", "ambient_noise", "apply_step",
           "apply_steps", "available_kinds", "describe_families", "sample_recipe", "sample_step", "split_stages"]
