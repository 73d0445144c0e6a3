"""IRs: causal, length-preserving convolution; causal trims; measured IR folders; phone physics."""

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from aeib.data.corpus import CorpusError
from aeib.data.irs import ImpulseResponse, IRBank, convolve_causal, load_ir_dir, normalize_energy, trim_causal
from aeib.data.phone import PhoneResponse, apply_agc, crowd_noise, parametric_phones


def test_convolution_is_causal_and_length_preserving():
    rng = np.random.default_rng(0)
    ir = rng.standard_normal(300) * np.exp(-np.arange(300) / 50)
    x = np.zeros(1000)
    x[400] = 1.0
    y = convolve_causal(x, ir)
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.max(np.abs(y[:400])) < 1e-6  # nothing before the impulse (FFT rounding only)
    np.testing.assert_allclose(y[400:700], ir, atol=1e-6)


def test_convolution_matches_direct_sum_and_drops_only_the_tail():
    rng = np.random.default_rng(1)
    x, ir = rng.standard_normal(2000), rng.standard_normal(700)
    np.testing.assert_allclose(convolve_causal(x, ir), np.convolve(x, ir)[:2000], atol=1e-4)


def test_trim_removes_only_leading_silence_before_the_onset():
    rate = 16_000
    ir = np.zeros(4000)
    ir[800] = 1.0  # direct sound after 50 ms of pre-delay
    ir[801:3000] = 0.05 * np.random.default_rng(2).standard_normal(2199)
    trimmed = trim_causal(ir, rate)
    margin = round(0.001 * rate)
    np.testing.assert_array_equal(trimmed, ir[800 - margin:])  # a pure delay removed, nothing reordered
    assert np.argmax(np.abs(trimmed)) == margin


def test_trim_caps_length_with_a_fade():
    rate = 8_000
    ir = np.ones(5 * rate)
    trimmed = trim_causal(ir, rate)
    assert trimmed.shape[0] == 2 * rate
    assert trimmed[-1] == pytest.approx(0.0, abs=1e-9) and trimmed[0] == 1.0


def test_normalize_energy():
    ir = normalize_energy(np.arange(1.0, 10.0))
    assert np.sum(ir.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-6)


def test_measured_ir_folder(tmp_path):
    rate = 48_000
    room = np.zeros(rate // 2)
    room[1200] = 1.0
    room[1201:] = 0.1 * np.exp(-np.arange(room.size - 1201) / 2000.0)
    sf.write(tmp_path / "club_a.wav", room, rate)
    (tmp_path / "phones").mkdir()
    mic = signal.sosfilt(signal.butter(2, 200, "highpass", fs=rate, output="sos"), np.eye(1, 2048)[0])
    sf.write(tmp_path / "phones" / "pixel.flac", np.stack([mic, mic], axis=1), rate)
    (tmp_path / "broken.wav").write_bytes(b"nope")
    irs, skipped = load_ir_dir(tmp_path, 24_000)
    assert [(ir.ir_id, ir.kind) for ir in irs] == [("file:club_a.wav", "room"), ("file:phones/pixel.flac", "phone")]
    assert skipped == {"unreadable_ir": ["broken.wav"]}
    room_ir = irs[0].samples
    assert np.sum(room_ir.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-4)
    # the 50 ms pre-delay is gone; the peak sits after the 1 ms margin (plus the resampler's few-sample pre-ringing)
    assert round(0.001 * 24_000) <= np.argmax(np.abs(room_ir)) <= round(0.001 * 24_000) + 8
    gain = np.abs(np.fft.rfft(irs[1].samples, 1 << 16))
    assert gain.max() == pytest.approx(1.0, rel=1e-6)


def test_missing_ir_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="IR folder"):
        load_ir_dir(tmp_path / "none", 24_000)


def test_bank_chain_ir_is_room_then_phone():
    room = ImpulseResponse("r", "room", np.array([1.0, 0.5], dtype=np.float32))
    phone = ImpulseResponse("p", "phone", np.array([1.0, -1.0], dtype=np.float32))
    bank = IRBank([room], [phone])
    np.testing.assert_allclose(bank.chain_ir("r", "p"), [1.0, -0.5, -0.5])
    assert bank.room_ids == ["r"] and bank.phone_ids == ["p"]


@pytest.mark.parametrize("rate", [16_000, 24_000, 48_000])
def test_phone_response_physics(rate):
    phone = PhoneResponse(highpass_hz=150.0, highpass_order=2, presence_hz=3000.0, presence_db=6.0,
                          presence_q=1.0, lowpass_hz=10_000.0)
    freqs = np.array([30.0, 150.0, 1000.0, 3000.0, 0.45 * rate])
    _, h = signal.sosfreqz(phone.sos(rate), worN=freqs, fs=rate)
    db = 20 * np.log10(np.abs(h))
    assert db[0] < -20.0  # well below the high-pass
    assert db[1] == pytest.approx(-3.0, abs=0.5)  # Butterworth corner
    assert abs(db[2]) < 1.5  # flat mids
    assert db[3] == pytest.approx(6.0, abs=1.0)  # presence peak
    assert db[4] < -2.5  # low-pass (capped at 0.45 fs)
    fir = phone.fir(rate)
    assert np.abs(np.fft.rfft(fir, 1 << 16)).max() == pytest.approx(1.0, rel=1e-6)
    assert np.all(np.abs(fir[-10:]) < 1e-6)  # the FIR holds the whole response


def test_parametric_phones_are_seeded_and_distinct():
    a, b = parametric_phones(4, 24_000, seed=3), parametric_phones(4, 24_000, seed=3)
    assert [p.ir_id for p in a] == ["phone-000", "phone-001", "phone-002", "phone-003"]
    assert all(np.array_equal(x.samples, y.samples) for x, y in zip(a, b))
    assert not np.array_equal(a[0].samples, a[1].samples)
    for phone in a:
        assert 80 <= phone.info["highpass_hz"] <= 250 and 8000 <= phone.info["lowpass_hz"] <= 16000


def test_crowd_noise_is_unit_rms_and_voice_band_heavy():
    rate = 16_000
    noise = crowd_noise(4 * rate, rate, np.random.default_rng(0))
    assert noise.dtype == np.float32 and np.all(np.isfinite(noise))
    assert np.sqrt(np.mean(noise.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    f, p = signal.welch(noise, rate, nperseg=2048)
    voice = p[(f > 300) & (f < 3000)].mean()
    assert voice > 10 * p[(f > 6000)].mean()


def test_agc_raises_quiet_audio_and_limits_peaks():
    rate = 16_000
    t = np.arange(3 * rate) / rate
    quiet = 0.01 * np.sin(2 * np.pi * 200 * t)
    out = apply_agc(quiet, rate, target_dbfs=-20.0)
    tail_rms_db = 10 * np.log10(np.mean(out[-rate:].astype(np.float64) ** 2))
    assert tail_rms_db > -25.0  # from -43 dBFS towards the -20 dBFS target (capped at +20 dB)
    loud = apply_agc(0.99 * np.sign(np.sin(2 * np.pi * 5 * t)), rate)
    assert np.max(np.abs(loud)) <= 10 ** (-1 / 20) + 1e-6
