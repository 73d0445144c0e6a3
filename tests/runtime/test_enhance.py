import numpy as np
import pytest
import soundfile as sf

from aeib.dsp import CHAIN_SCHEMA, process
from aeib.errors import AudioError, OutputError, ParameterError
from aeib.runtime import enhance as enhance_module
from aeib.runtime import enhance_file
from aeib.runtime.analysis import FileAnalysis
from aeib.runtime.dead_zone import default_dead_zone_db, eq_dead_zone
from tests.conftest import music_like


def _write(tmp_path, audio, rate, name="in.wav", subtype="FLOAT"):
    path = tmp_path / name
    sf.write(path, audio, rate, subtype=subtype)
    return path


def _chain(audio, rate, result):
    """The chain with the result's setting and loudness gain."""
    return process(audio, rate, result.params, loudness_gain_db=result.setting.loudness.gain_db)


def _collect():
    messages = []
    return messages, messages.append


@pytest.mark.parametrize("rate, channels", [(8_000, 1), (44_100, 2), (96_000, 3)])
def test_fixed_mode_is_the_chain_with_the_predicted_setting(model, tmp_path, rate, channels):
    audio = music_like(2.5, rate, channels)
    result = enhance_file(_write(tmp_path, audio, rate), tmp_path / "out.wav", model)
    out, out_rate = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    assert out_rate == rate and out.shape == audio.shape and result.mode == "fixed"
    assert result.target == "style clean-live-mix" and result.output == tmp_path / "out.wav"
    np.testing.assert_array_equal(out, _chain(audio, rate, result))
    # The setting is the median prediction through the EQ's dead zone, rounded as a parameter file stores it.
    expected = eq_dead_zone(CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(result.analysis.params01)), 1.0)
    assert result.params == pytest.approx(expected, abs=1e-6)


def test_reference_and_style_steer_the_result(model, tmp_path):
    audio = music_like(2.0, 48_000, 2)
    src = _write(tmp_path, audio, 48_000)
    ref = _write(tmp_path, music_like(2.0, 44_100, 1, seed=4) * 0.3, 44_100, name="ref.wav")
    default = enhance_file(src, tmp_path / "a.wav", model)
    bright = enhance_file(src, tmp_path / "b.wav", model, style="bright")
    by_reference = enhance_file(src, tmp_path / "c.wav", model, reference=ref)
    assert bright.target == "style bright" and by_reference.target == "reference ref.wav"
    assert bright.params != default.params and by_reference.params != default.params
    with pytest.raises(ParameterError, match="not both"):
        enhance_file(src, tmp_path / "d.wav", model, reference=ref, style="bright")
    assert not (tmp_path / "d.wav").exists()


def test_digital_silence_passes_through_unchanged(model, tmp_path):
    audio = np.zeros((3 * 48_000, 2), np.float32)
    messages, warn = _collect()
    result = enhance_file(_write(tmp_path, audio, 48_000, subtype="PCM_16"), tmp_path / "out.wav", model, warn=warn)
    assert result.mode == "passthrough" and len(messages) == 1
    assert "digital silence; it is copied through unchanged" in messages[0]
    out, _ = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    np.testing.assert_array_equal(out, audio)


def test_short_input_is_padded_for_analysis_and_kept_at_its_length(model, tmp_path):
    audio = music_like(0.3, 44_100, 2)
    messages, warn = _collect()
    result = enhance_file(_write(tmp_path, audio, 44_100), tmp_path / "out.wav", model, warn=warn)
    assert result.analysis.short and "shorter than the analyzer's 1 s window" in messages[0]
    out, _ = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    np.testing.assert_array_equal(out, _chain(audio, 44_100, result))


def test_adaptive_output_follows_the_trajectory_without_clicks(model, tmp_path, monkeypatch):
    rate = 48_000
    t = np.arange(4 * rate) / rate
    audio = np.stack([0.05 * np.sin(2 * np.pi * 440 * t), 0.03 * np.sin(2 * np.pi * 3000 * t)], axis=1).astype(np.float32)
    start = {"comp.makeup_db": -6.0, "eq.band2.gain_db": -9.0}
    end = {"comp.makeup_db": 6.0, "eq.band2.gain_db": 12.0, "eq.band2.center_hz": 440.0, "eq.high_shelf.gain_db": 9.0}
    a01, b01 = (CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(p)) for p in (start, end))
    steep = FileAnalysis([], (a01 + b01) / 2, times_s=np.array([1.5, 2.5]), trajectory01=np.stack([a01, b01]))
    monkeypatch.setattr(enhance_module, "analyze_file", lambda *args, **kwargs: steep)
    result = enhance_file(_write(tmp_path, audio, rate), tmp_path / "out.wav", model, adaptive=True, loudness="off")
    out, _ = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    assert result.mode == "adaptive"
    before, after = process(audio, rate, start), process(audio, rate, end)
    half = rate // 2
    np.testing.assert_allclose(out[:half], before[:half], atol=1e-6)  # before the ramp: the first setting
    assert np.abs(out[-half:] - after[-half:]).max() < 1e-3  # after it: the second (filter state differs slightly)
    jump = lambda y: np.abs(np.diff(y, axis=0)).max(axis=0)  # noqa: E731
    assert np.abs(after).max() < 0.9  # below the safety limiter: a linear test
    assert np.all(jump(out) <= np.maximum(jump(before), jump(after)))


def test_real_adaptive_run(model, tmp_path):
    audio = np.concatenate([music_like(4.0, 48_000, 2), 0.3 * music_like(4.0, 48_000, 2, seed=3)])
    result = enhance_file(_write(tmp_path, audio, 48_000), tmp_path / "out.wav", model, adaptive=True)
    assert result.analysis.adaptive and len(result.analysis.windows) == 4
    assert sf.info(tmp_path / "out.wav").frames == audio.shape[0]


def test_spectra_are_measured_before_and_after(model, tmp_path):
    audio = music_like(1.5, 48_000, 2)
    result = enhance_file(_write(tmp_path, audio, 48_000), tmp_path / "out.wav", model, spectra=True)
    freqs_hz, before_db, after_db = result.spectra
    assert freqs_hz.shape == before_db.shape == after_db.shape == (2049,) and freqs_hz[-1] == 24_000
    peak = np.argmin(np.abs(freqs_hz - 440.0))
    assert before_db[peak] > before_db[peak + 100] + 20  # the 440 Hz tone stands out
    assert np.abs(after_db - before_db).max() > 1.0


def test_bad_inputs_leave_no_output(model, tmp_path):
    src = _write(tmp_path, music_like(1.0, 48_000, 2), 48_000)
    with pytest.raises(OutputError, match="is the input file"):
        enhance_file(src, src, model)
    with pytest.raises(OutputError, match="does not exist"):
        enhance_file(src, tmp_path / "missing" / "out.wav", model)
    bad = music_like(2.0, 48_000, 2)
    bad[70_000, 0] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        enhance_file(_write(tmp_path, bad, 48_000, name="nan.wav"), tmp_path / "nan_out.wav", model)
    with pytest.raises(AudioError, match="sample rate 4000 Hz"):
        enhance_file(_write(tmp_path, music_like(1.0, 4_000, 1), 4_000, name="low.wav"), tmp_path / "o.wav", model)
    (tmp_path / "junk.wav").write_bytes(b"RIFF nonsense")
    with pytest.raises(AudioError, match="not a readable audio file"):
        enhance_file(tmp_path / "junk.wav", tmp_path / "o.wav", model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav", "junk.wav", "low.wav", "nan.wav"]


def test_a_partial_style_is_applied_per_analysis_window(bundle_path, tmp_path):
    """A style with pull < 1: each window's prediction is steered to the blend of its own embedding
    and the style's, in fixed and adaptive mode alike."""
    import json

    from aeib.runtime import load_model

    data = json.loads(bundle_path.read_text())
    data["styles"]["half-bright"] = {**data["styles"]["bright"], "pull": 0.5}
    bundle_path.write_text(json.dumps(data))
    partial = load_model(bundle_path)
    audio = music_like(3.0, 24_000, 1, seed=6)
    src = _write(tmp_path, audio, 24_000)
    bright = partial.style_embedding("bright")
    for adaptive in (False, True):
        result = enhance_file(src, tmp_path / f"out-{adaptive}.wav", partial, style="half-bright", adaptive=adaptive)
        assert result.target == "style half-bright"
        used = [w for w in result.analysis.windows if w.used]
        assert used
        for window in used:
            start = int(round(window.start_s * 24_000))
            features = partial.features(audio[start:start + partial.window_samples, 0])
            own = partial.run(features)[1]
            expected = partial.run(features, own + 0.5 * (bright - own))[0]
            np.testing.assert_allclose(window.params01, expected, atol=1e-6)


def test_reference_free_a_styles_tonal_target_refines_the_setting(bundle_path, tmp_path):
    """A style with a tonal target: the setting is the analyzer's refined toward it
    (refine_toward_style at STYLE_REFINE_STRENGTH, or ``refine``); without one, or at refine 0, it is the
    analyzer's; adaptive runs are not refined."""
    import json

    from aeib.runtime import load_model
    from aeib.runtime.refine import STYLE_REFINE_STRENGTH, long_term_spectrum_db, refine_toward_style

    audio = music_like(3.0, 24_000, 1, seed=7)
    src = _write(tmp_path, audio, 24_000)
    plain = enhance_file(src, tmp_path / "plain.wav", load_model(bundle_path), style="bright", dead_zone_db=0.0)
    freqs = np.geomspace(20.0, 12_000.0, 40)
    data = json.loads(bundle_path.read_text())
    data["styles"]["bright"]["spectrum"] = {"freqs_hz": freqs.tolist(),
                                            "level_db": (-30.0 + 12.0 * np.log2(freqs / 1000.0)).tolist()}
    bundle_path.write_text(json.dumps(data))
    model = load_model(bundle_path)
    toned = enhance_file(src, tmp_path / "toned.wav", model, style="bright", dead_zone_db=0.0)
    assert toned.analysis.style is model.style("bright")
    expected = refine_toward_style(plain.params, long_term_spectrum_db(src), model.style("bright"), 24_000,
                                   STYLE_REFINE_STRENGTH)
    assert toned.params == enhance_module.rounded_setting(model, model.schema.normalize(model.schema.to_vector(expected)))
    assert toned.params != plain.params
    assert all(toned.params[k] == plain.params[k] for k in plain.params if not k.endswith("gain_db"))
    assert enhance_file(src, tmp_path / "off.wav", model, style="bright", refine=0.0,
                        dead_zone_db=0.0).params == plain.params
    adaptive = enhance_file(src, tmp_path / "adaptive.wav", model, style="bright", adaptive=True)
    assert adaptive.params == enhance_file(src, tmp_path / "adaptive0.wav", model, style="bright", adaptive=True,
                                           refine=0.0).params


@pytest.mark.parametrize("options", [{}, {"style": "bright"}, {"refine": 0.0}, {"reference": "ref"}])
def test_the_eq_dead_zone_settles_the_setting_last(model, tmp_path, options):
    """The setting run is the one without the dead zone with each EQ gain moved the default (1 dB
    reference-free, none with a reference) or the ``dead_zone_db`` asked for toward 0, rounded; nothing
    else changes; adaptive runs have none."""
    audio = music_like(3.0, 48_000, 2, seed=3)
    src = _write(tmp_path, audio, 48_000)
    if options.get("reference"):
        options = {"reference": _write(tmp_path, music_like(3.0, 44_100, 1, seed=9) * 0.2, 44_100, name="ref.wav")}
    raw = enhance_file(src, tmp_path / "raw.wav", model, dead_zone_db=0.0, **options).params
    default_db = 0.0 if options.get("reference") else 1.0
    assert default_db == default_dead_zone_db("reference" in options)
    for dead_zone_db, expected_db in ((None, default_db), (2.5, 2.5)):
        settled = enhance_file(src, tmp_path / "settled.wav", model, dead_zone_db=dead_zone_db, **options).params
        assert settled == pytest.approx(eq_dead_zone(raw, expected_db), abs=2e-6)
    adaptive = [enhance_file(src, tmp_path / f"adaptive{d}.wav", model, adaptive=True, dead_zone_db=d, **options).params
                for d in (0.0, 3.0)]
    assert adaptive[0] == adaptive[1]


def test_a_long_inputs_loudness_gain_comes_from_excerpts_and_lands_on_target(model, tmp_path, monkeypatch):
    from aeib.dsp.loudness import integrated_loudness_lufs
    from aeib.runtime import render

    rate = 8_000
    audio = music_like(75.0, rate, 2, seed=9)  # longer than a minute
    audio[: audio.shape[0] // 2] *= 0.3
    src = _write(tmp_path, audio, rate)
    streamed = []
    original = render._Signal.measure

    def counting(self, **kwargs):
        streamed.append(self.excerpts is None)
        return original(self, **kwargs)

    monkeypatch.setattr(render._Signal, "measure", counting)
    result = enhance_file(src, tmp_path / "out.wav", model, loudness=-16.0)
    assert streamed and not any(streamed)  # measured on excerpts only
    out, _ = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    np.testing.assert_array_equal(out, _chain(audio, rate, result))  # the written gain is the one run
    assert integrated_loudness_lufs(out, rate) == pytest.approx(-16.0, abs=0.1)


@pytest.mark.parametrize("keep_bytes, decodes", [(None, 1), (0, 3)])
def test_a_small_input_is_decoded_once_for_all_passes(model, tmp_path, monkeypatch, keep_bytes, decodes):
    """The spectrum, measuring and writing passes share one decoding of an input that fits
    KEEP_DECODED_BYTES; a larger one (here: any, with the limit at 0) is decoded for each."""
    audio = music_like(3.0, 16_000, 2, seed=4)
    src = _write(tmp_path, audio, 16_000)
    ref = _write(tmp_path, music_like(3.0, 16_000, 2, seed=5) * 0.5, 16_000, name="ref.wav")
    if keep_bytes is not None:
        monkeypatch.setattr(enhance_module, "KEEP_DECODED_BYTES", keep_bytes)
    calls = []
    original = enhance_module.iter_blocks

    def counting(path, block_frames):
        calls.append(path)
        return original(path, block_frames)

    monkeypatch.setattr(enhance_module, "iter_blocks", counting)
    result = enhance_file(src, tmp_path / "out.wav", model, reference=ref)
    assert len(calls) == decodes
    out, _ = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    np.testing.assert_array_equal(out, _chain(audio, 16_000, result))
