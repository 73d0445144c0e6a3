"""The scipy-free replacements that keep `aeib enhance` from importing scipy.signal (issue 15) equal
scipy's own results, and numba's on-disk cache still works where aeib's folders are read-only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.signal

from aeib.dsp.biquad import sos_filter
from aeib.dsp.eq import eq_response_db, eq_sos
from aeib.dsp.loudness import k_weighting_sos, oversample


@pytest.mark.parametrize("rate", [8_000, 44_100, 48_000, 96_000, 192_000])
def test_k_weighting_is_pyloudnorms_bit_for_bit(rate):
    import pyloudnorm

    meter = pyloudnorm.Meter(rate)
    expected = np.array([np.concatenate([meter._filters[name].b * meter._filters[name].passband_gain,
                                         meter._filters[name].a]) for name in ("high_shelf", "high_pass")])
    np.testing.assert_array_equal(k_weighting_sos(rate), expected)


@pytest.mark.parametrize("sections", [1, 2, 3, 6, 7])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_any_cascade_is_sosfilt_bit_for_bit(sections, channels):
    rng = np.random.default_rng(sections * 10 + channels)
    sos = np.tile(k_weighting_sos(48_000), (4, 1))[:sections]
    x = rng.standard_normal((777, channels))
    zi = rng.standard_normal((sections, channels, 2))
    y, zf = sos_filter(sos, x, zi)
    expected_y, expected_zf = scipy.signal.sosfilt(sos, x, axis=0, zi=np.transpose(zi, (0, 2, 1)))
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(zf, np.transpose(expected_zf, (0, 2, 1)))


@pytest.mark.parametrize("factor", [2, 4])
@pytest.mark.parametrize("frames", [1, 2, 7, 40, 1056])
def test_oversampling_equals_resample_poly(factor, frames):
    x = np.random.default_rng(frames).standard_normal((frames, 2))
    expected = scipy.signal.resample_poly(x, factor, 1, axis=0)
    np.testing.assert_allclose(oversample(x, factor), expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("rate", [8_000, 48_000, 192_000])
def test_eq_response_equals_sosfreqz(rate):
    from aeib.dsp import CHAIN_SCHEMA

    gains = [name for name in CHAIN_SCHEMA.names if name.startswith("eq.") and name.endswith("gain_db")]
    full = CHAIN_SCHEMA.complete({name: (-1) ** i * (2.0 + i) for i, name in enumerate(gains)})
    freqs = np.geomspace(20.0, rate * 0.45, 200)
    _, h = scipy.signal.sosfreqz(eq_sos(full, rate), worN=freqs, fs=rate)
    expected = 20.0 * np.log10(np.maximum(np.abs(h), 1e-12))
    np.testing.assert_allclose(eq_response_db(full, rate, freqs), expected, rtol=0, atol=1e-9)


def test_numba_cache_falls_back_to_a_private_folder_when_aeib_and_home_are_read_only(tmp_path):
    """Read-only install, no writable home: numba would raise at import; aeib gives it a temp folder."""
    code = textwrap.dedent("""
        import os, sys, tempfile
        real_access = os.access
        os.access = lambda path, mode, **kw: False if mode & os.W_OK else real_access(path, mode, **kw)
        import aeib.dsp, numba, numpy as np
        os.access = real_access
        folder = numba.config.CACHE_DIR
        assert folder.startswith(os.path.join(tempfile.gettempdir(), "aeib-numba-")), folder
        from aeib.dsp.limiter import _exceeds
        _exceeds(np.zeros((4, 2)), 1.0)
        print("OK", folder)
    """)
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CACHE_DIR"}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK")
    assert any(name.endswith(".nbi") for _, _, files in os.walk(tmp_path) for name in files)
