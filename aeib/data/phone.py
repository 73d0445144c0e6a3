"""Smartphone capture: parametric microphone responses, crowd noise and an optional AGC.

A phone filmed at a gig hears the room through a small MEMS microphone and the phone's own
processing. :class:`PhoneResponse` models the linear part: a Butterworth high-pass at 80–250 Hz (wind
and handling filter), a presence peak of +2–8 dB at 2–6 kHz (the mic port's resonance), and a
Butterworth low-pass at 8–16 kHz (codec band limit; capped at 45 % of the sample rate). Each
response becomes a FIR kernel normalized to 0 dB at its loudest frequency, so it colours the sound
without changing its level.

:func:`crowd_noise` makes a crowd: a dozen "talkers" (band-passed noise with syllable-rate
log-normal envelopes) over a dark rumble. :func:`apply_agc` is a slow automatic gain control
followed by a limiter — it is *off* by default in the datasets because it renormalizes level, which
would hide from the analyzer what the compressor's makeup gain did.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import signal

from aeib.data.irs import ImpulseResponse
from aeib.dsp.eq import band_frequency_cap_hz, peaking_sos
from aeib.dsp.limiter import SafetyLimiter

PHONE_IR_S = 0.1
"""Length of the FIR kernel of a parametric phone response (its IIR tail is < −150 dB by then)."""


@dataclass(frozen=True)
class PhoneResponse:
    """Parameters of one parametric phone microphone (physical units)."""

    highpass_hz: float
    highpass_order: int
    presence_hz: float
    presence_db: float
    presence_q: float
    lowpass_hz: float

    @classmethod
    def sample(cls, rng: np.random.Generator) -> "PhoneResponse":
        """Draw a phone uniformly within the ranges above (frequencies and Q log-uniform)."""
        def log_uniform(low: float, high: float) -> float:
            return float(math.exp(rng.uniform(math.log(low), math.log(high))))

        return cls(
            highpass_hz=log_uniform(80.0, 250.0),
            highpass_order=int(rng.choice([2, 4])),
            presence_hz=log_uniform(2000.0, 6000.0),
            presence_db=float(rng.uniform(2.0, 8.0)),
            presence_q=log_uniform(0.7, 2.0),
            lowpass_hz=log_uniform(8000.0, 16000.0),
        )

    def sos(self, sample_rate: int) -> np.ndarray:
        """The response as second-order sections, float64[n_sections, 6]."""
        lowpass_hz = min(self.lowpass_hz, band_frequency_cap_hz(sample_rate))  # the EQ bands' guard below Nyquist
        highpass = signal.butter(self.highpass_order, self.highpass_hz, "highpass", fs=sample_rate, output="sos")
        lowpass = signal.butter(4, lowpass_hz, "lowpass", fs=sample_rate, output="sos")
        presence = peaking_sos(self.presence_hz, self.presence_db, self.presence_q, sample_rate)[None, :]
        return np.concatenate([highpass, presence, lowpass])

    def fir(self, sample_rate: int) -> np.ndarray:
        """float32[round(PHONE_IR_S · sample_rate)]: impulse response, 0 dB at its loudest frequency."""
        impulse = np.zeros(round(PHONE_IR_S * sample_rate))
        impulse[0] = 1.0
        taps = signal.sosfilt(self.sos(sample_rate), impulse)
        peak_gain = np.max(np.abs(np.fft.rfft(taps, 1 << 16)))
        return (taps / peak_gain).astype(np.float32)


def parametric_phones(n_phones: int, sample_rate: int, seed: int) -> list[ImpulseResponse]:
    """``n_phones`` phone IRs with ids ``phone-PPP``; phone ``i`` depends only on ``(seed, i)``."""
    phones = []
    for index in range(n_phones):
        response = PhoneResponse.sample(np.random.default_rng([seed, 0x9402, index]))
        info = {"source": "parametric", **{k: round(v, 3) for k, v in asdict(response).items()}}
        phones.append(ImpulseResponse(f"phone-{index:03d}", "phone", response.fir(sample_rate), info))
    return phones


def crowd_noise(n_samples: int, sample_rate: int, rng: np.random.Generator, talkers: int = 12) -> np.ndarray:
    """Synthetic crowd noise at unit RMS.

    Args:
        n_samples: Length of the noise.
        sample_rate: Sample rate in Hz.
        rng: Random generator.
        talkers: Number of independent babble voices.

    Returns:
        float32[n_samples] with RMS 1.
    """
    if n_samples == 0:
        return np.zeros(0, dtype=np.float32)
    # Syllable-rate envelopes g_k are drawn at 100 Hz and interpolated. The talkers' sum
    # sum_k g_k(t)·w_k(t) of independent Gaussian noises has the same distribution as
    # sqrt(sum_k g_k(t)²)·w(t), which costs one noise vector instead of one per talker; and a 5 Hz
    # modulation hardly moves the spectrum, so the voice band-pass is applied after the mix.
    control_rate = 100
    n_control = n_samples * control_rate // sample_rate + 2
    syllables = signal.butter(2, 5.0, "lowpass", fs=control_rate, output="sos")
    envelope = signal.sosfilt(syllables, rng.standard_normal((talkers, n_control + 50)), axis=1)[:, 50:]
    envelope /= np.std(envelope, axis=1, keepdims=True) + 1e-12
    crowd_level = np.sqrt(np.sum(np.exp(2.0 * envelope), axis=0))
    times = np.arange(n_samples) * (control_rate / sample_rate)
    babble = np.interp(times, np.arange(n_control), crowd_level) * rng.standard_normal(n_samples)
    voice_band = signal.butter(2, [300.0, min(3400.0, 0.45 * sample_rate)], "bandpass", fs=sample_rate, output="sos")
    babble = signal.sosfilt(voice_band, babble)
    rumble = signal.lfilter([1.0], [1.0, -0.995], rng.standard_normal(n_samples))
    babble /= np.sqrt(np.mean(babble**2)) + 1e-12
    rumble /= np.sqrt(np.mean(rumble**2)) + 1e-12
    mix = babble + 0.5 * rumble
    return (mix / (np.sqrt(np.mean(mix**2)) + 1e-12)).astype(np.float32)


def apply_agc(audio: np.ndarray, sample_rate: int, target_dbfs: float = -20.0, max_gain_db: float = 20.0,
              time_s: float = 1.0, ceiling_dbfs: float = -1.0) -> np.ndarray:
    """Slow automatic gain control towards ``target_dbfs`` RMS, then a peak limiter.

    The RMS envelope is a causal one-pole average of the power with time constant ``time_s``;
    the gain ``target / envelope`` is capped at ``+max_gain_db`` (and never below −40 dB).

    Returns:
        float32 audio of the same shape (mono, float[samples]).
    """
    audio = np.asarray(audio, dtype=np.float64)
    coef = math.exp(-1.0 / (time_s * sample_rate))
    power = signal.lfilter([1.0 - coef], [1.0, -coef], audio**2, zi=[coef * float(np.mean(audio[: sample_rate // 10] ** 2))])[0]
    target = 10 ** (target_dbfs / 20)
    gain = np.clip(target / np.sqrt(np.maximum(power, 1e-12)), 10 ** (-40 / 20), 10 ** (max_gain_db / 20))
    limiter = SafetyLimiter(sample_rate, ceiling_dbfs=ceiling_dbfs)
    return limiter.process_block((audio * gain)[:, None])[:, 0].astype(np.float32)
