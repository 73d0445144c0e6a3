import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aeib.dsp import CHAIN_SCHEMA, ChainProcessor, ParamSpec, Processor, build_schema, process, register_processor
from aeib.dsp import processor as processor_module
from aeib.dsp.limiter import CEILING_DBFS
from aeib.errors import ParameterError
from tests.conftest import music_like

SETTING = {
    "eq.low_shelf.gain_db": -4.0, "eq.band1.gain_db": 5.0, "eq.band3.gain_db": -6.0, "eq.high_shelf.gain_db": 3.0,
    "comp.threshold_db": -30.0, "comp.ratio": 5.0, "comp.attack_ms": 2.0, "comp.makeup_db": 12.0,
}


@pytest.mark.parametrize("sample_rate", [8_000, 44_100, 192_000])
@pytest.mark.parametrize("channels", [1, 2, 6])
def test_blocks_equal_whole_signal(sample_rate, channels):
    x = music_like(0.5, sample_rate, channels).astype(np.float64)
    whole = process(x, sample_rate, SETTING)
    chain = ChainProcessor(sample_rate, channels, SETTING)
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, len(x)), size=40, replace=False))
    pieces = [chain.process_block(part) for part in np.split(x, cuts)]
    np.testing.assert_allclose(np.concatenate(pieces), whole, rtol=0, atol=1e-12)


def test_shape_and_dtype_follow_the_input():
    x = music_like(0.2, 16000, 1)[:, 0]
    y = process(x, 16000, SETTING)
    assert y.shape == x.shape and y.dtype == np.float32
    assert process(x.astype(np.float64), 16000, SETTING).dtype == np.float64


def test_neutral_setting_is_identity_below_the_ceiling():
    x = music_like(0.5, 48000, 2).astype(np.float64)
    assert np.max(np.abs(x)) < 10 ** (CEILING_DBFS / 20)
    np.testing.assert_array_equal(process(x, 48000), x)


def test_output_peaks_stay_below_the_ceiling():
    y = process(music_like(0.5, 48000, 2) * 3, 48000, SETTING)
    assert np.max(np.abs(y)) <= 10 ** (CEILING_DBFS / 20)


def test_vector_and_mapping_settings_agree():
    x = music_like(0.2, 24000, 2)
    vector = CHAIN_SCHEMA.to_vector(SETTING)
    np.testing.assert_array_equal(process(x, 24000, vector), process(x, 24000, SETTING))


def test_bad_arguments():
    with pytest.raises(ParameterError):
        process(np.zeros(100), 48000, {"eq.nope.gain_db": 1})
    with pytest.raises(ValueError, match="sample rate"):
        process(np.zeros(100), 4000)
    with pytest.raises(ValueError, match="floating point"):
        process(np.zeros(100, dtype=np.int16), 48000)
    with pytest.raises(ValueError, match="channels"):
        ChainProcessor(48000, 2).process_block(np.zeros((10, 3)))


@pytest.fixture
def private_registry(monkeypatch):
    """The processor registry as it is now, restored after the test: processors it registers do not leak."""
    monkeypatch.setattr(processor_module, "_REGISTRY", dict(processor_module._REGISTRY))


def test_a_new_processor_plugs_in_without_touching_the_others(private_registry):
    @register_processor
    class HardClipper(Processor):
        name = "test_clip"
        specs = (ParamSpec("test_clip.ceiling_db", "dB", -24.0, 0.0, "lin", 0.0, "clip level"),)

        def process_block(self, block, params):
            c = 10 ** (params["test_clip.ceiling_db"] / 20)
            return np.clip(block, -c, c)

        def reset(self):
            pass

    schema = build_schema(("eq", "test_clip", "comp"))
    assert len(schema) == len(CHAIN_SCHEMA) + 1 and schema.names[18] == "test_clip.ceiling_db"
    x = music_like(0.2, 48000, 2)
    y = process(x, 48000, {"test_clip.ceiling_db": -20.0}, processors=("eq", "test_clip", "comp"))
    assert np.max(np.abs(y)) <= 0.1 + 1e-7


@settings(max_examples=40, deadline=None)
@given(
    unit=st.lists(st.floats(0.0, 1.0), min_size=len(CHAIN_SCHEMA), max_size=len(CHAIN_SCHEMA)),
    sample_rate=st.sampled_from([8_000, 22_050, 48_000, 192_000]),
    scale=st.floats(0.0, 4.0),
    seed=st.integers(0, 2**16),
)
def test_any_setting_gives_finite_bounded_output(unit, sample_rate, scale, seed):
    x = np.random.default_rng(seed).standard_normal((2000, 2)) * scale
    y = process(x, sample_rate, CHAIN_SCHEMA.denormalize(np.array(unit)))
    assert np.all(np.isfinite(y))
    assert np.max(np.abs(y)) <= 10 ** (CEILING_DBFS / 20)
