"""The measured loudness stage: ITU-R BS.1770 loudness, true peak, and the gain that reaches a target.

The stage sits after the compressor and before the safety limiter. It is *measured*, not predicted:
the gain is whatever brings the integrated loudness of the chain's output to a target —

* with a reference recording, the reference's integrated loudness;
* reference-free, :data:`DEFAULT_TARGET_LUFS` (−16 LUFS);
* or a level the user gives, or the input's own loudness ("keep").

**Why −16 LUFS and a −1 dBTP ceiling.** −16 LUFS is the integrated level AES TD1004 recommends for
streamed and on-demand music/speech and what Apple Music and most podcast platforms normalise to; it
is loud enough to sit beside released music on a phone and leaves 15 dB between loudness and the
−1 dBTP ceiling, which covers the peak-to-loudness ratio of typical live recordings. −1 dBTP is the
ceiling EBU R 128 / AES TD1004 give for lossy (AAC/MP3) delivery, where the encoder's own overshoot
would clip a file peaking at 0 dBTP. A *boost* is reduced so the true peak after it stays at or below
the ceiling plus :data:`LIMITER_HEADROOM_DB` (12 dB): up to that much of the peaks is left to the
safety limiter, so a peaky phone recording can reach a loud master's loudness (what Matchering's
limiter does; measured on the out-of-family test set, docs/TRAINING.md: with no headroom the
analyzer's outputs missed the reference's loudness by 0.61 LU on average, with 12 dB by 0.12 LU). The
price: the safety limiter holds *sample* peaks at −0.3 dBFS, so a boosted output's true peak can reach
about 0 dBTP (seen on the earlier, synthesized example clip: −0.3 → −0.0 dBTP) instead of −1 dBTP. A
cut is never changed. The output is below its target only where even that would not reach it, or
where the gain would exceed :data:`MAX_GAIN_DB`.

Measurement follows BS.1770-4 exactly as pyloudnorm implements it — the K-weighting filters are
pyloudnorm's own coefficients, blocks of 400 ms every 100 ms at pyloudnorm's sample positions, the
−70 LUFS absolute and −10 LU relative gates — but block by block, so a file of any length is
measured in bounded memory (:class:`LoudnessMeter`) and :func:`integrated_loudness_lufs` equals
``pyloudnorm.Meter(rate).integrated_loudness`` (tested). True peak is the sample peak of a 4×
oversampled signal (BS.1770-4 Annex 2; 2× at 96 kHz and above, none at 192 kHz).

Streaming (:class:`LoudnessStage` with a target) uses a slowly moving **short-term** estimate
instead (the last :data:`SHORT_TERM_S` seconds, no gating, no lookahead): every 100 ms the gain moves
a fraction of the way to the gain that short-term estimate asks for, at most
:data:`FOLLOW_MAX_RATE_DB_PER_S` per second, and ramps there sample by sample over the next 100 ms.

Audio layout: ``float[samples]`` or ``float[samples, channels]``. Levels: LUFS (loudness), dBTP (true
peak), dB (gains); silence measures ``-inf``.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from aeib.dsp.biquad import biquad_step, sos_filter
from aeib.dsp.compressor import channel_peak
from aeib.errors import SignalError

DEFAULT_TARGET_LUFS = -16.0
"""Reference-free loudness target (AES TD1004 / Apple Music / podcast level)."""

TRUE_PEAK_CEILING_DBTP = -1.0
"""A loudness boost never pushes the true peak above this (EBU R 128 / AES TD1004 for lossy delivery)."""

MAX_GAIN_DB = 40.0
"""Largest boost or cut the stage applies (a near-silent recording is not raised by 60 dB)."""

LIMITER_HEADROOM_DB = 12.0
"""How far a boost may push the true peak above :data:`TRUE_PEAK_CEILING_DBTP`; the safety limiter
takes those peaks down (so a peaky phone recording can reach a loud master's loudness, as Matchering's
limiter lets it). Chosen by measurement on the out-of-family test set (docs/TRAINING.md)."""

ABSOLUTE_GATE_LUFS = -70.0
"""BS.1770 absolute gate; signals quieter than this throughout measure ``-inf`` (silence)."""

RELATIVE_GATE_LU = -10.0
BLOCK_S = 0.4
"""BS.1770 gating block length (the momentary-loudness window)."""
BLOCK_STEP = 0.25
"""Block hop as a fraction of the block (75 % overlap: one block every 100 ms)."""
SHORT_TERM_S = 3.0
"""Window of the short-term loudness the streaming stage follows."""
FOLLOW_TIME_CONSTANT_S = 3.0
"""Streaming: time constant of the gain's approach to what the short-term loudness asks for."""
FOLLOW_MAX_RATE_DB_PER_S = 3.0
"""Streaming: the gain never moves faster than this."""
HOP_S = 0.1
"""Streaming: the gain is re-decided every this many seconds."""

_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)  # BS.1770 (L, R, C, Ls, Rs); further channels weigh 1
_LUFS_OFFSET = -0.691


def _as_2d(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 1:
        return audio[:, None]
    if audio.ndim != 2 or audio.shape[1] == 0:
        raise SignalError(f"audio must have shape (samples,) or (samples, channels), got {audio.shape}")
    return audio


def _channel_weights(channels: int) -> np.ndarray:
    return np.array([_CHANNEL_WEIGHTS[c] if c < len(_CHANNEL_WEIGHTS) else 1.0 for c in range(channels)])


def k_weighting_sos(sample_rate: float) -> np.ndarray:
    """BS.1770 K-weighting (high shelf, then high pass) as second-order sections float64[2, 6].

    The coefficients are pyloudnorm's for ``sample_rate`` (its ``Meter(rate)`` filters: RBJ cookbook
    shelf G = 4 dB, Q = 1/√2, 1500 Hz and high pass Q = 0.5, 38 Hz), written out with the same
    expressions so that they are bit-identical (tested) without importing pyloudnorm, which imports
    ``scipy.signal`` (half a second).
    """
    rate = float(sample_rate)
    # High shelf (pyloudnorm IIRfilter(4.0, 1/np.sqrt(2), 1500.0, rate, "high_shelf")).
    A = 10 ** (4.0 / 40.0)
    w0 = 2.0 * np.pi * (1500.0 / rate)
    alpha = np.sin(w0) / (2.0 * (1 / np.sqrt(2)))
    shelf_b = np.array([A * ((A + 1) + (A - 1) * np.cos(w0) + 2 * np.sqrt(A) * alpha),
                        -2 * A * ((A - 1) + (A + 1) * np.cos(w0)),
                        A * ((A + 1) + (A - 1) * np.cos(w0) - 2 * np.sqrt(A) * alpha)])
    shelf_a = np.array([(A + 1) - (A - 1) * np.cos(w0) + 2 * np.sqrt(A) * alpha,
                        2 * ((A - 1) - (A + 1) * np.cos(w0)),
                        (A + 1) - (A - 1) * np.cos(w0) - 2 * np.sqrt(A) * alpha])
    # High pass (IIRfilter(0.0, 0.5, 38.0, rate, "high_pass")).
    w0 = 2.0 * np.pi * (38.0 / rate)
    alpha = np.sin(w0) / (2.0 * 0.5)
    pass_b = np.array([(1 + np.cos(w0)) / 2, -(1 + np.cos(w0)), (1 + np.cos(w0)) / 2])
    pass_a = np.array([1 + alpha, -2 * np.cos(w0), 1 - alpha])
    sections = [np.concatenate([b / a[0] * 1.0, a / a[0]]) for b, a in ((shelf_b, shelf_a), (pass_b, pass_a))]
    return np.array(sections, dtype=np.float64)


@functools.lru_cache(maxsize=4)
def _polyphase_kernel(factor: int) -> tuple[np.ndarray, int]:
    """``scipy.signal.resample_poly(x, factor, 1)``'s filter as a polyphase kernel.

    The filter is scipy's: ``firwin(20 * factor + 1, 1 / factor, window=("kaiser", 5.0)) * factor``
    (``numpy.kaiser`` for the window). Returns ``(kernel, first)``: float64[factor, taps] with
    ``out[n * factor + p] = sum_j kernel[p, j] * x[n + first + j]``.
    """
    half_len = 10 * factor
    numtaps = 2 * half_len + 1
    m = np.arange(0, numtaps) - 0.5 * (numtaps - 1)
    cutoff = 1.0 / factor
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(numtaps, 5.0)
    h = h / np.sum(h) * factor
    # out[n * factor + p] = sum_k h[k] * up[n * factor + p + half_len - k], up = x zero-stuffed.
    offsets = {}
    for p in range(factor):
        for k in range(numtaps):
            i = p + half_len - k
            if i % factor == 0:
                offsets[(p, i // factor)] = h[k]
    first = min(d for _, d in offsets)
    last = max(d for _, d in offsets)
    kernel = np.zeros((factor, last - first + 1))
    for (p, d), value in offsets.items():
        kernel[p, d - first] = value
    return kernel, first


def oversample(audio: np.ndarray, factor: int) -> np.ndarray:
    """float[samples, channels] upsampled ``factor`` times as ``scipy.signal.resample_poly(audio,
    factor, 1, axis=0)`` does (zero padding at both ends; equal within rounding, tested)."""
    kernel, first = _polyphase_kernel(factor)
    taps = kernel.shape[1]
    n = audio.shape[0]
    padded = np.zeros((n + taps - 1, audio.shape[1]))  # padded[t] = audio[t + first], zero outside
    t0, t1 = max(0, -first), min(n + taps - 1, n - first)
    padded[t0:t1] = audio[t0 + first:t1 + first]
    out = np.empty((n * factor, audio.shape[1]))
    for c in range(audio.shape[1]):
        windows = np.lib.stride_tricks.sliding_window_view(padded[:, c], taps)
        out[:, c] = (windows @ kernel.T).reshape(-1)
    return out


@numba.njit(cache=True, nogil=True)
def _weighted_energy_at(x: np.ndarray, sos: np.ndarray, zi: np.ndarray, weights: np.ndarray, energy: float,
                        positions: np.ndarray, values: np.ndarray) -> float:
    """K-filter ``x`` (float64[samples, channels]) and accumulate the channel-weighted power.

    ``values[k]`` gets the running energy (``energy`` plus the weighted power of the samples before
    ``positions[k]``; positions ascending, within 0…samples); returns the energy after the block.
    ``zi`` (float64[sections, channels, 2]) is updated in place. The filter arithmetic is
    :func:`~aeib.dsp.biquad.sos_filter`'s, section after section, so no filtered copy is made.
    """
    total = 0.0
    k = 0
    n, channels = x.shape
    for i in range(n):
        while k < positions.shape[0] and positions[k] == i:
            values[k] = energy + total
            k += 1
        p = 0.0
        for c in range(channels):
            v = x[i, c]
            for s in range(sos.shape[0]):
                y = sos[s, 0] * v + zi[s, c, 0]
                zi[s, c, 0] = sos[s, 1] * v - sos[s, 4] * y + zi[s, c, 1]
                zi[s, c, 1] = sos[s, 2] * v - sos[s, 5] * y
                v = y
            p += weights[c] * (v * v)
        total += p
    while k < positions.shape[0]:
        values[k] = energy + total
        k += 1
    return energy + total


@numba.njit(cache=True, nogil=True)
def _weighted_energy_at_stereo(x: np.ndarray, sos: np.ndarray, zi: np.ndarray, weights: np.ndarray, energy: float,
                               positions: np.ndarray, values: np.ndarray) -> float:
    """:func:`_weighted_energy_at` for two channels and two sections (BS.1770's K-weighting), the
    filter memories held in registers: the same arithmetic in the same order, so the same result."""
    l00, l01, l10, l11 = zi[0, 0, 0], zi[0, 0, 1], zi[1, 0, 0], zi[1, 0, 1]
    r00, r01, r10, r11 = zi[0, 1, 0], zi[0, 1, 1], zi[1, 1, 0], zi[1, 1, 1]
    total = 0.0
    k = 0
    for i in range(x.shape[0]):
        while k < positions.shape[0] and positions[k] == i:
            values[k] = energy + total
            k += 1
        left, l00, l01 = biquad_step(x[i, 0], sos, 0, l00, l01)
        left, l10, l11 = biquad_step(left, sos, 1, l10, l11)
        right, r00, r01 = biquad_step(x[i, 1], sos, 0, r00, r01)
        right, r10, r11 = biquad_step(right, sos, 1, r10, r11)
        p = 0.0
        p += weights[0] * (left * left)
        p += weights[1] * (right * right)
        total += p
    while k < positions.shape[0]:
        values[k] = energy + total
        k += 1
    zi[0, 0, 0], zi[0, 0, 1], zi[1, 0, 0], zi[1, 0, 1] = l00, l01, l10, l11
    zi[0, 1, 0], zi[0, 1, 1], zi[1, 1, 0], zi[1, 1, 1] = r00, r01, r10, r11
    return energy + total


@functools.lru_cache(maxsize=4)
def true_peak_margin_db(factor: int) -> float:
    """How far (dB) the ``factor``-times oversampled peak can exceed the sample peak at most.

    Each oversampled value is a weighted sum of input samples, so it is at most the largest
    |sample| times the largest sum of |weights| of one polyphase branch (7.0 dB for 2× and 4×);
    0 without oversampling.
    """
    if factor == 1:
        return 0.0
    kernel, _ = _polyphase_kernel(factor)
    return float(20.0 * np.log10(np.abs(kernel).sum(axis=1).max())) + 1e-9


@numba.njit(cache=True, nogil=True)
def _oversampled_max(audio: np.ndarray, kernel: np.ndarray, first: int, starts: np.ndarray,
                     stops: np.ndarray) -> float:
    """Largest |value| of :func:`oversample` (``kernel, first`` from :func:`_polyphase_kernel`) of
    float64[samples, channels] ``audio``, over the output samples of the input ranges
    ``[starts[q], stops[q])``; samples outside ``audio`` count as zeros.

    Equal to ``np.abs(oversample(audio, factor)[start * factor:stop * factor]).max()`` within
    rounding (each value sums the same products, in tap order), without the oversampled copy.
    """
    factor, taps = kernel.shape
    n, channels = audio.shape
    best = 0.0
    padded = np.zeros(n + 2 * taps)  # padded[t + taps] = audio[t, c], zero outside
    acc = np.empty(0)
    for c in range(channels):
        for t in range(n):
            padded[t + taps] = audio[t, c]
        for q in range(starts.shape[0]):
            a, b = starts[q], stops[q]
            if acc.shape[0] < b - a:
                acc = np.empty(b - a)
            base = a + first + taps  # padded index of the first input sample of output a
            for p in range(factor):
                for i in range(b - a):
                    acc[i] = 0.0
                for j in range(taps):
                    weight = kernel[p, j]
                    for i in range(b - a):
                        acc[i] += weight * padded[base + i + j]
                for i in range(b - a):
                    value = abs(acc[i])
                    if value > best:
                        best = value
    return best


def true_peak_bound_dbtp(sample_peak_dbfs: float, sample_rate: float) -> float:
    """The most the true peak (dBTP) of a signal at ``sample_rate`` Hz can be, given its sample peak
    (dBFS): the sample peak plus :func:`true_peak_margin_db` of its oversampling factor."""
    return sample_peak_dbfs + true_peak_margin_db(_oversampling(sample_rate))


def _lufs(mean_square: float) -> float:
    return _LUFS_OFFSET + 10.0 * math.log10(mean_square) if mean_square > 0 else -math.inf


def _oversampling(sample_rate: float) -> int:
    return 4 if sample_rate < 96_000 else 2 if sample_rate < 192_000 else 1


class LoudnessMeter:
    """Integrated loudness and true peak of a signal fed block by block (bounded memory).

    Args:
        sample_rate: Hz.
        channels: Channel count of the blocks.
        true_peak: Also measure the true peak (oversampling costs more than the loudness itself).

    Memory: one float per 100 ms of audio (about 300 KB for an hour).
    """

    _TP_CONTEXT = 16  # input samples of history/lookahead for the oversampling filter
    _TP_CHUNK = 1024  # samples oversampled at a time
    _TP_SKIP_DB = 6.0

    def __init__(self, sample_rate: float, channels: int, true_peak: bool = True):
        self.sample_rate = float(sample_rate)
        self.measures_true_peak = bool(true_peak)
        self.channels = int(channels)
        self._sos = k_weighting_sos(sample_rate)
        self._zi = np.zeros((self._sos.shape[0], self.channels, 2))
        self._weights = _channel_weights(self.channels)
        self._oversample = _oversampling(self.sample_rate)
        self._frames = 0
        self._energy = 0.0  # running sum of the weighted K-filtered power
        self._lower: list[float] = []  # cumulative energy at each block's first sample
        self._upper: list[float] = []  # ... and at its end
        self._peak = 0.0  # true (oversampled) peak of the samples measured so far, linear
        self._sample_peak = 0.0  # largest |sample| fed so far
        self._history = np.zeros((0, self.channels))  # measured samples kept as filter context
        self._unmeasured = np.zeros((0, self.channels))  # the last samples, waiting for lookahead

    @property
    def frames(self) -> int:
        """Frames fed so far."""
        return self._frames

    def _bound(self, j: int, upper: bool) -> int:
        # pyloudnorm's sample positions, float arithmetic included.
        return int(BLOCK_S * (j * BLOCK_STEP + (1 if upper else 0)) * self.sample_rate)

    def add(self, block: np.ndarray) -> "LoudnessMeter":
        """Measure the next ``float[samples(, channels)]`` block; returns ``self``."""
        block = np.asarray(block)
        audio = _as_2d(block)
        if audio.shape[1] != self.channels:
            raise SignalError(f"block has {audio.shape[1]} channels, the meter was built for {self.channels}")
        n = audio.shape[0]
        if n == 0:
            return self
        start, stop = self._frames, self._frames + n
        # The block boundaries of BS.1770's gating blocks that fall in this block (or before it: a
        # block start can precede the first sample fed, then it takes the energy so far).
        wanted: list[tuple[list[float], int]] = []
        for marks, upper in ((self._lower, False), (self._upper, True)):
            j = len(marks)
            while (position := self._bound(j, upper)) <= stop:
                wanted.append((marks, max(0, position - start)))
                j += 1
        order = sorted(range(len(wanted)), key=lambda w: wanted[w][1])
        positions = np.array([wanted[w][1] for w in order], dtype=np.int64)
        values = np.empty(len(order))
        stereo = self.channels == 2 and self._sos.shape[0] == 2
        self._energy = (_weighted_energy_at_stereo if stereo else _weighted_energy_at)(
            np.ascontiguousarray(audio), self._sos, self._zi, self._weights, self._energy, positions, values)
        for w, value in zip(order, values):
            wanted[w][0].append(float(value))
        self._frames = stop
        # Read in the block's own dtype (float32 from a decoder: half the bytes), no |x| copy.
        self._sample_peak = max(self._sample_peak, float(block.max()), -float(block.min()))
        if self.measures_true_peak:
            self._peak = max(self._peak, self._measure_peak(audio, final=False))
        return self

    def _measure_peak(self, audio: np.ndarray, final: bool) -> float:
        """Oversampled peak of the samples not yet measured, keeping ``_TP_CONTEXT`` samples of
        history and (unless ``final``) of lookahead around them; returns the peak, linear."""
        context = self._TP_CONTEXT
        pending = np.concatenate([self._history, self._unmeasured, audio])
        first = self._history.shape[0]
        last = pending.shape[0] if final else max(first, pending.shape[0] - context)
        peak = 0.0
        if last > first:
            peak = self._oversampled_peak(pending, first, last)
        if not final:
            self._history = pending[max(0, last - context):last]
            self._unmeasured = pending[last:]
        return peak

    def _oversampled_peak(self, pending: np.ndarray, first: int, last: int) -> float:
        """Peak of ``pending[first:last]`` oversampled; chunks whose sample peak is more than
        :data:`_TP_SKIP_DB` below the best peak so far are not oversampled (their intersample
        overshoot, a fraction of a dB in music, cannot reach it)."""
        magnitude = channel_peak(np.ascontiguousarray(pending[first:last]))
        best = max(self._peak, float(magnitude.max()))
        if self._oversample == 1:
            return best
        chunk = self._TP_CHUNK
        floor = best * 10.0 ** (-self._TP_SKIP_DB / 20.0)
        starts = np.arange(first, last, chunk)
        stops = np.minimum(starts + chunk, last)
        loudest = np.maximum.reduceat(magnitude, starts - first)
        kept = loudest >= floor
        if not kept.any():
            return best
        kernel, offset = _polyphase_kernel(self._oversample)
        peak = _oversampled_max(np.ascontiguousarray(pending), kernel, offset, starts[kept], stops[kept])
        return max(best, peak)

    def integrated_lufs(self) -> float:
        """Gated integrated loudness (LUFS) of everything fed; ``-inf`` for silence.

        A signal shorter than one 400 ms block is measured as one ungated block of its own length.
        """
        if self._frames == 0:
            return -math.inf
        if self._frames < BLOCK_S * self.sample_rate:
            loudness = _lufs(self._energy / self._frames)
            return loudness if loudness >= ABSOLUTE_GATE_LUFS else -math.inf
        return gated_loudness_lufs(self.block_mean_squares())

    def block_mean_squares(self, first_frame: int = 0) -> np.ndarray:
        """BS.1770's 400 ms gating blocks (100 ms apart) of everything fed: float64[blocks], each block's
        channel-weighted mean square of the K-filtered signal, for the blocks that start at or after
        ``first_frame`` (empty if none lies whole in what was fed).

        :func:`gated_loudness_lufs` of them is :meth:`integrated_lufs` (for ``first_frame`` 0 and at
        least one block); blocks of several signals can be pooled before gating.
        """
        block_frames = BLOCK_S * self.sample_rate
        if self._frames < block_frames:
            return np.zeros(0)
        duration = self._frames / self.sample_rate
        count = int(np.round((duration - BLOCK_S) / (BLOCK_S * BLOCK_STEP))) + 1
        upper = np.array(self._upper[:count] + [self._energy] * max(0, count - len(self._upper)))
        z: np.ndarray = (upper - np.array(self._lower[:count])) / block_frames
        first = 0
        while first < count and self._bound(first, False) < first_frame:
            first += 1
        return z[first:]

    def sample_peak_dbfs(self) -> float:
        """Largest |sample| of everything fed, dBFS; ``-inf`` for silence."""
        return 20.0 * math.log10(self._sample_peak) if self._sample_peak > 0 else -math.inf

    def true_peak_bound_dbtp(self) -> float:
        """An upper bound of :meth:`true_peak_dbtp` known without oversampling (dBTP; ``-inf`` for silence):
        the sample peak plus :func:`true_peak_margin_db`."""
        return true_peak_bound_dbtp(self.sample_peak_dbfs(), self.sample_rate)

    def true_peak_dbtp(self) -> float:
        """True peak (dBTP) of everything fed; ``-inf`` for silence. Measuring does not end the stream.

        Raises:
            ValueError: if the meter was made with ``true_peak=False``.
        """
        if not self.measures_true_peak:
            raise ValueError("this meter does not measure the true peak (made with true_peak=False)")
        peak = max(self._peak, self._measure_peak(np.zeros((0, self.channels)), final=True))
        return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def gated_loudness_lufs(block_mean_squares: np.ndarray) -> float:
    """BS.1770-4 gating of 400 ms blocks' mean squares (:meth:`LoudnessMeter.block_mean_squares`): the
    loudness (LUFS) of the blocks above the absolute gate (−70 LUFS) and less than 10 LU below their
    mean; ``-inf`` if none passes."""
    z = np.asarray(block_mean_squares, dtype=np.float64)
    with np.errstate(divide="ignore"):
        block_lufs = _LUFS_OFFSET + 10.0 * np.log10(z)
    above = block_lufs >= ABSOLUTE_GATE_LUFS
    if not above.any():
        return -math.inf
    relative = _lufs(float(np.mean(z[above]))) + RELATIVE_GATE_LU
    gated = (block_lufs > relative) & (block_lufs > ABSOLUTE_GATE_LUFS)
    return _lufs(float(np.mean(z[gated]))) if gated.any() else -math.inf


def integrated_loudness_lufs(audio: np.ndarray, sample_rate: float) -> float:
    """ITU-R BS.1770-4 integrated loudness of a whole signal.

    Args:
        audio: float[samples] or float[samples, channels].
        sample_rate: Hz.

    Returns:
        Loudness in LUFS (equal to pyloudnorm's); ``-inf`` for silence. A signal shorter than one
        400 ms block is measured as one ungated block of its own length.
    """
    audio = _as_2d(audio)
    return LoudnessMeter(sample_rate, audio.shape[1], true_peak=False).add(audio).integrated_lufs()


def true_peak_dbtp(audio: np.ndarray, sample_rate: float) -> float:
    """BS.1770-4 true peak of a whole signal in dBTP (4× oversampled below 96 kHz); ``-inf`` for silence."""
    audio = _as_2d(audio)
    return LoudnessMeter(sample_rate, audio.shape[1]).add(audio).true_peak_dbtp()


def gain_to_target_db(measured_lufs: float, peak_dbtp: float, target_lufs: float, *,
                      true_peak_ceiling_dbtp: float | None = TRUE_PEAK_CEILING_DBTP,
                      max_gain_db: float = MAX_GAIN_DB,
                      limiter_headroom_db: float = LIMITER_HEADROOM_DB) -> float:
    """The loudness stage's rule: the gain (dB) that moves ``measured_lufs`` to ``target_lufs``.

    Args:
        measured_lufs: Loudness of the signal the gain will be applied to (LUFS; ``-inf``: silence).
        peak_dbtp: Its true peak (dBTP).
        target_lufs: Wanted loudness (LUFS).
        true_peak_ceiling_dbtp: A boost is reduced so ``peak_dbtp + gain`` stays at or below this
            plus ``limiter_headroom_db`` (never below 0 dB: the ceiling never causes a cut); ``None``
            disables the check.
        max_gain_db: The gain is clipped to ``[-max_gain_db, +max_gain_db]``.
        limiter_headroom_db: Peaks the safety limiter may take down, dB above the ceiling.

    Returns:
        Gain in dB; 0 for silence.
    """
    if not (math.isfinite(measured_lufs) and math.isfinite(target_lufs)):
        return 0.0
    gain = min(max(target_lufs - measured_lufs, -max_gain_db), max_gain_db)
    if gain > 0 and true_peak_ceiling_dbtp is not None and math.isfinite(peak_dbtp):
        gain = max(0.0, min(gain, true_peak_ceiling_dbtp + limiter_headroom_db - peak_dbtp))
    return float(gain)


def loudness_gain_db(audio: np.ndarray, sample_rate: float, target_lufs: float, *,
                     true_peak_ceiling_dbtp: float | None = TRUE_PEAK_CEILING_DBTP,
                     max_gain_db: float = MAX_GAIN_DB,
                     limiter_headroom_db: float = LIMITER_HEADROOM_DB) -> float:
    """The gain (dB) that brings ``audio``'s integrated loudness to ``target_lufs``.

    Args:
        audio: float[samples] or float[samples, channels] — the chain's output before the stage.
        sample_rate: Hz.
        target_lufs: Wanted integrated loudness, LUFS (e.g. the reference's, or
            :data:`DEFAULT_TARGET_LUFS`).
        true_peak_ceiling_dbtp, max_gain_db, limiter_headroom_db: See :func:`gain_to_target_db`.

    Returns:
        Gain in dB (0 for silence); ``apply_gain_db(audio, gain)`` then measures ``target_lufs``
        unless the true-peak ceiling or ``max_gain_db`` held the boost back.
    """
    meter = LoudnessMeter(sample_rate, _as_2d(audio).shape[1], true_peak=true_peak_ceiling_dbtp is not None)
    meter.add(audio)
    peak = meter.true_peak_dbtp() if meter.measures_true_peak else -math.inf
    return gain_to_target_db(meter.integrated_lufs(), peak, target_lufs,
                             true_peak_ceiling_dbtp=true_peak_ceiling_dbtp, max_gain_db=max_gain_db,
                             limiter_headroom_db=limiter_headroom_db)


def apply_gain_db(audio: np.ndarray, gain_db: float) -> np.ndarray:
    """``audio · 10^(gain_db / 20)`` in the input's float dtype; exactly ``audio`` (a copy) for 0 dB."""
    audio = np.asarray(audio)
    if gain_db == 0.0:
        unchanged: np.ndarray = audio.copy()
        return unchanged
    dtype = audio.dtype if np.issubdtype(audio.dtype, np.floating) else np.float64
    gained: np.ndarray = (audio * 10.0 ** (gain_db / 20.0)).astype(dtype)
    return gained


class LoudnessStage:
    """The chain's loudness stage: a fixed gain, or (streaming) a gain following a target.

    Args:
        sample_rate: Hz.
        channels: Channel count of the blocks.
        gain_db: Fixed gain in dB (whole-file mode: measured beforehand). With ``target_lufs`` it is
            the starting gain.
        target_lufs: ``None`` for a fixed gain. A number makes the stage follow the short-term
            loudness of its input (streaming; causal, no lookahead): see the module docstring.
        true_peak_ceiling_dbtp, max_gain_db: The rule of :func:`gain_to_target_db`; while
            following, the ceiling is checked against the sample peak of the short-term window.

    Block by block, the output does not depend on how the signal is cut into blocks.
    """

    def __init__(self, sample_rate: float, channels: int, gain_db: float = 0.0, target_lufs: float | None = None,
                 *, true_peak_ceiling_dbtp: float | None = TRUE_PEAK_CEILING_DBTP, max_gain_db: float = MAX_GAIN_DB):
        for name, value in (("gain_db", gain_db), ("max_gain_db", max_gain_db)):
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
        if target_lufs is not None and not math.isfinite(target_lufs):
            raise ValueError(f"target_lufs must be finite, got {target_lufs!r}")
        self.sample_rate = float(sample_rate)
        self.channels = int(channels)
        self.initial_gain_db = float(gain_db)
        self.target_lufs = target_lufs
        self.true_peak_ceiling_dbtp = true_peak_ceiling_dbtp
        self.max_gain_db = float(max_gain_db)
        self._hop = max(1, int(round(HOP_S * self.sample_rate)))
        self._history = max(1, int(round(SHORT_TERM_S / HOP_S)))
        self._min_hops = int(math.ceil(BLOCK_S / HOP_S))
        self._alpha = 1.0 - math.exp(-HOP_S / FOLLOW_TIME_CONSTANT_S)
        self._max_step = FOLLOW_MAX_RATE_DB_PER_S * HOP_S
        self._sos = k_weighting_sos(sample_rate) if target_lufs is not None else None
        self._weights = _channel_weights(self.channels)
        self.reset()

    @property
    def following(self) -> bool:
        return self.target_lufs is not None

    @property
    def gain_db(self) -> float:
        """The gain at the end of the last processed sample, dB."""
        return self._gain_to if self.following else self.initial_gain_db

    def reset(self) -> None:
        """Back to the starting gain with no measurement history."""
        self._gain_from = self._gain_to = self.initial_gain_db
        self._position = 0  # samples into the current hop
        if self._sos is not None:
            self._zi = np.zeros((self._sos.shape[0], self.channels, 2))
        self._hop_energy, self._hop_peak = 0.0, 0.0
        self._energies: list[float] = []
        self._peaks: list[float] = []

    def process_block(self, block: np.ndarray) -> np.ndarray:
        """Apply the stage to float64[samples, channels]; the same array back when the gain is 0 dB."""
        if not self.following:
            if self.initial_gain_db == 0.0:
                return block
            gained: np.ndarray = block * 10.0 ** (self.initial_gain_db / 20.0)
            return gained
        out = np.empty_like(block)
        start = 0
        while start < block.shape[0]:
            stop = min(block.shape[0], start + self._hop - self._position)
            piece = block[start:stop]
            steps = self._position + np.arange(1, stop - start + 1)
            gain_db = self._gain_from + (self._gain_to - self._gain_from) * (steps / self._hop)
            out[start:stop] = piece * (10.0 ** (gain_db / 20.0))[:, None]
            self._observe(piece)
            self._position += stop - start
            if self._position == self._hop:
                self._next_gain()
            start = stop
        return out

    def _observe(self, piece: np.ndarray) -> None:
        assert self._sos is not None  # only called while following
        filtered, self._zi = sos_filter(self._sos, piece, self._zi)
        self._hop_energy += float(np.sum(np.square(filtered) @ self._weights))
        if piece.size:
            self._hop_peak = max(self._hop_peak, float(np.max(np.abs(piece))))

    def _next_gain(self) -> None:
        """A hop is complete: move the target gain a step towards what the short-term loudness asks."""
        self._energies = (self._energies + [self._hop_energy])[-self._history:]
        self._peaks = (self._peaks + [self._hop_peak])[-self._history:]
        self._hop_energy, self._hop_peak, self._position = 0.0, 0.0, 0
        self._gain_from = self._gain_to
        if len(self._energies) < self._min_hops:
            return
        short_term = _lufs(sum(self._energies) / (len(self._energies) * self._hop))
        if short_term < ABSOLUTE_GATE_LUFS:  # silence or a pause: hold the gain
            return
        peak = max(self._peaks)
        assert self.target_lufs is not None  # only called while following
        wanted = gain_to_target_db(short_term, 20.0 * math.log10(peak) if peak > 0 else -math.inf,
                                   self.target_lufs, true_peak_ceiling_dbtp=self.true_peak_ceiling_dbtp,
                                   max_gain_db=self.max_gain_db)
        step = min(max(self._alpha * (wanted - self._gain_to), -self._max_step), self._max_step)
        self._gain_to = self._gain_to + step
