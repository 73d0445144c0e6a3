import numpy as np

from aeib.dsp import CHAIN_SCHEMA, ChainProcessor
from aeib.runtime.glide import MAX_STEP01, MIN_STEP01, GlidingChain


def _recording(glide):
    seen = []
    original = glide.chain.set_params

    def record(params):
        seen.append(CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(params)))
        original(params)
    glide.chain.set_params = record
    return seen


def test_large_changes_are_split_into_small_steps():
    glide = GlidingChain(ChainProcessor(48_000, 2), CHAIN_SCHEMA)
    start01 = glide.applied01.copy()
    target01 = np.clip(start01 + 0.049, 0, 1)  # ⌈0.049 / 0.002⌉ = 25 pieces
    seen = _recording(glide)
    out = glide.process(np.full((4800, 2), 0.01, np.float32), target01)
    assert out.shape == (4800, 2)
    steps = np.abs(np.diff(np.vstack([start01, *seen]), axis=0)).max(axis=1)
    assert len(seen) == 25 and steps.max() <= MAX_STEP01 + 1e-12
    np.testing.assert_allclose(seen[-1], target01)
    np.testing.assert_allclose(glide.applied01, target01)


def test_tiny_changes_wait_until_they_add_up():
    glide = GlidingChain(ChainProcessor(48_000, 1), CHAIN_SCHEMA)
    start01 = glide.applied01.copy()
    seen = _recording(glide)
    glide.process(np.zeros(480, np.float32), start01 + MIN_STEP01 / 2)
    assert seen == [] and np.array_equal(glide.applied01, start01)
    glide.process(np.zeros(480, np.float32), start01 + MIN_STEP01 * 1.5)
    assert len(seen) == 1


def test_short_blocks_limit_the_number_of_pieces():
    glide = GlidingChain(ChainProcessor(48_000, 1), CHAIN_SCHEMA)
    seen = _recording(glide)
    glide.process(np.zeros(64, np.float32), np.full(len(CHAIN_SCHEMA), 0.5))
    assert len(seen) == 2  # 64 samples hold at most two 32-sample pieces
