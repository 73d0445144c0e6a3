import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA, ChainProcessor, process
from aeib.errors import AudioError, ParameterError
from aeib.runtime import StreamEnhancer
from tests.conftest import music_like

SETTING = {"eq.band2.gain_db": 12.0, "eq.band2.center_hz": 440.0, "eq.band4.gain_db": -12.0, "comp.makeup_db": 6.0,
           "eq.low_shelf.gain_db": -10.0, "eq.high_shelf.gain_db": 9.0, "comp.ratio": 4.0, "comp.threshold_db": -20.0}


def _run(stream, audio, sizes):
    """Feed ``audio`` in blocks whose sizes cycle through ``sizes``; concatenate the outputs."""
    out, start, i = [], 0, 0
    while start < audio.shape[0]:
        n = sizes[i % len(sizes)]
        out.append(stream.process(audio[start:start + n]))
        start, i = start + n, i + 1
    return np.concatenate(out)


def _tones(seconds, rate):
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3000 * t))[:, None].astype(np.float32)


@pytest.mark.parametrize("rate, channels, sizes", [(48_000, 2, [512]), (44_100, 1, [256, 1024, 300, 1]), (96_000, 3, [1024])])
def test_fixed_parameters_equal_offline_processing(rate, channels, sizes):
    audio = music_like(1.0, rate, channels)
    stream = StreamEnhancer(None, rate, channels, params=SETTING, analyze=False)
    out = _run(stream, audio, sizes)
    assert out.dtype == np.float32 and out.shape == audio.shape
    # Equal to offline processing up to float32 rounding (the DSP core's own block guarantee is 1e-12
    # in float64, so a float32 output may differ in the last bit where a value rounds differently).
    np.testing.assert_allclose(out, process(audio, rate, SETTING), rtol=0, atol=1e-7)
    stream.reset()
    np.testing.assert_array_equal(_run(stream, audio, [700]), out)


def test_frozen_model_stream_equals_offline_processing(model):
    audio = music_like(2.0, 48_000, 2)
    stream = StreamEnhancer(model, 48_000, 2, params=SETTING, analyze=False)
    np.testing.assert_array_equal(_run(stream, audio, [512]), process(audio, 48_000, SETTING))
    assert stream.analysis_count == 0


def test_mono_blocks_keep_their_shape():
    stream = StreamEnhancer(None, 48_000, 1, params=SETTING, analyze=False)
    audio = music_like(0.1, 48_000, 1)[:, 0]
    out = stream.process(audio)
    assert out.shape == audio.shape
    np.testing.assert_array_equal(out, process(audio, 48_000, SETTING))


def test_analysis_runs_on_the_rolling_window(model):
    rate = model.sample_rate  # no resampling: the rolling window is exactly the last samples
    audio = music_like(8.0, rate, 1)
    stream = StreamEnhancer(model, rate, 1, interval_s=2.0, first_analysis_s=1.0, ramp_s=0.5, history=1)
    out, analysed_at = [], []
    for start in range(0, audio.shape[0], 512):
        count = stream.analysis_count
        out.append(stream.process(audio[start:start + 512]))
        if stream.analysis_count > count:
            end = start + 512
            analysed_at.append(end)
            expected = model.predict01(audio[end - model.window_samples:end, 0], model.style_embedding())
            np.testing.assert_allclose(stream.target01, expected, atol=1e-6)
    assert [round(end / rate) for end in analysed_at] == [1, 3, 5, 7]
    # The output started neutral (transparent) and moved to the predictions.
    np.testing.assert_array_equal(out[0], audio[:512])
    np.testing.assert_allclose(stream.params01, stream.target01)
    assert not np.array_equal(out[-1], audio[-512:])


def test_no_lookahead(model):
    rate = 48_000
    audio = music_like(4.0, rate, 2)
    changed = audio.copy()
    cut = 2 * rate + 256
    changed[cut:] = music_like(4.0, rate, 2, seed=9)[cut:] * 0.2
    outputs = []
    for signal in (audio, changed):
        stream = StreamEnhancer(model, rate, 2, interval_s=0.5, first_analysis_s=0.5, ramp_s=0.2)
        outputs.append(_run(stream, signal, [512]))
    block_end = (cut // 512) * 512  # output blocks entirely before the change are identical
    np.testing.assert_array_equal(outputs[0][:block_end], outputs[1][:block_end])
    assert not np.array_equal(outputs[0][cut:], outputs[1][cut:])


def test_silence_is_not_analysed(model):
    stream = StreamEnhancer(model, 48_000, 2, interval_s=0.5, first_analysis_s=0.5)
    silence = np.zeros((3 * 48_000, 2), np.float32)
    np.testing.assert_array_equal(_run(stream, silence, [512]), silence)
    assert stream.analysis_count == 0
    np.testing.assert_allclose(stream.params01, CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.default_vector()))


@pytest.mark.parametrize("block", [256, 1024])
def test_parameter_changes_do_not_click(block):
    rate = 48_000
    audio = _tones(3.0, rate)
    jump = lambda y: np.abs(np.diff(y[:, 0])).max()  # noqa: E731
    fixed = max(jump(process(audio, rate, None)), jump(process(audio, rate, SETTING)))

    def steered(ramp_s):
        stream = StreamEnhancer(None, rate, 1, analyze=False, ramp_s=ramp_s)
        out = []
        for start in range(0, audio.shape[0], block):
            if start <= rate < start + block:
                stream.set_params(SETTING)
            out.append(stream.process(audio[start:start + block]))
        return np.concatenate(out), stream

    ramped, stream = steered(1.0)
    assert jump(ramped) <= fixed  # no sample-to-sample step larger than either setting produces alone
    assert stream.params == pytest.approx(CHAIN_SCHEMA.complete(SETTING))
    # The same change as one switch of the plain chain clicks: the check above is meaningful.
    chain = ChainProcessor(rate, 1)
    switched = np.concatenate([chain.process_block(audio[s:s + block], SETTING if s >= rate else None)
                               for s in range(0, audio.shape[0], block)])
    assert jump(switched) > 2 * fixed


def test_ramp_is_linear_in_normalized_units():
    stream = StreamEnhancer(None, 48_000, 1, analyze=False, ramp_s=0.1)  # 4800 samples
    start01 = stream.params01
    stream.set_params(SETTING)
    target01 = stream.target01
    stream.process(np.zeros(1200, np.float32))
    np.testing.assert_allclose(stream.params01, start01 + 0.25 * (target01 - start01))
    stream.process(np.zeros(4800, np.float32))
    np.testing.assert_allclose(stream.params01, target01)


def test_bad_arguments_and_blocks(model):
    with pytest.raises(ParameterError, match="needs a model"):
        StreamEnhancer(None, 48_000)
    with pytest.raises(ParameterError, match="interval_s"):
        StreamEnhancer(model, 48_000, interval_s=0)
    stream = StreamEnhancer(model, 48_000, 2)
    with pytest.raises(AudioError, match="NaN"):
        stream.process(np.full((16, 2), np.nan, np.float32))
    with pytest.raises(ValueError, match="channels"):
        stream.process(np.zeros((16, 3), np.float32))
    with pytest.raises(Exception, match="unknown style"):
        StreamEnhancer(model, 48_000, style="nope")


def test_background_analysis_gives_the_same_predictions(model):
    rate = model.sample_rate
    audio = music_like(3.0, rate, 1)
    stream = StreamEnhancer(model, rate, 1, interval_s=10.0, first_analysis_s=1.0, history=1, background=True)
    end = 0
    while stream._pending is None:
        stream.process(audio[end:end + 512])
        end += 512
    stream._pending.result(timeout=30)  # the worker finished; the next block picks the result up
    assert stream.analysis_count == 0
    stream.process(audio[end:end + 512])
    assert stream.analysis_count == 1
    expected = model.predict01(audio[end - model.window_samples:end, 0], model.style_embedding())
    np.testing.assert_allclose(stream.target01, expected, atol=1e-6)
    stream.close()
    stream.process(audio[end + 512:end + 1024])  # still usable without the thread
