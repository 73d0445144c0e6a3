"""The command processes' fast numba start (aeib/cli/numba_start.py): the DSP gives the same output,
scipy.linalg and cffi stay importable, and nothing is done when they are already loaded. Each case runs in a
fresh interpreter (the trick acts on a process's module table)."""

from __future__ import annotations

import subprocess
import sys

CASE = """
import sys
import numpy as np
{before}
from aeib.cli.numba_start import start_numba_without_blas_probe
start_numba_without_blas_probe()
from aeib.dsp import CHAIN_SCHEMA, process
x = np.random.default_rng(0).standard_normal((4_800, 2)).astype(np.float32) * 0.3
params = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.default_vector())
params.update({{"comp.threshold_db": -20.0, "comp.ratio": 4.0, "eq.band2.gain_db": 3.0}})
y = process(x, 48_000, params)
np.save(sys.argv[1], y)
print("linalg loaded by the DSP:", "scipy.linalg" in sys.modules)
import scipy.linalg
print("linalg importable:", scipy.linalg.cython_blas is not None)
print("cffi loaded by the DSP:", "cffi" in sys.modules)
import numba.core.typing.cffi_utils
print("numba's cffi support:", numba.core.typing.cffi_utils.SUPPORTED)
import cffi
print("cffi importable:", cffi.FFI is not None)
"""


def _run(tmp_path, name: str, before: str = "") -> tuple[str, "object"]:
    import numpy as np

    out = tmp_path / f"{name}.npy"
    done = subprocess.run([sys.executable, "-c", CASE.format(before=before), str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout, np.load(out)


def test_the_chain_is_unchanged_and_scipy_linalg_is_not_loaded_for_it(tmp_path):
    stdout, fast = _run(tmp_path, "fast")
    assert "linalg loaded by the DSP: False" in stdout and "linalg importable: True" in stdout
    assert "cffi loaded by the DSP: False" in stdout and "cffi importable: True" in stdout
    assert "numba's cffi support: False" in stdout
    _, usual = _run(tmp_path, "usual", before="import scipy.linalg")   # the probe has nothing to skip
    assert fast.shape == (4_800, 2) and (fast == usual).all()


def test_nothing_is_done_when_scipy_linalg_is_already_loaded(tmp_path):
    stdout, _ = _run(tmp_path, "loaded", before="import scipy.linalg")
    assert "linalg loaded by the DSP: True" in stdout


def test_numbas_cffi_support_is_left_alone_when_cffi_is_already_loaded(tmp_path):
    stdout, fast = _run(tmp_path, "cffi", before="import cffi")
    assert "numba's cffi support: True" in stdout
    _, usual = _run(tmp_path, "usual", before="import scipy.linalg")
    assert (fast == usual).all()


IMPORT_CASE = """
import sys
{before}
from aeib.cli.numba_start import import_numba_without_scipy
import_numba_without_scipy()
print("numba:", "numba" in sys.modules, "scipy loaded:", "scipy" in sys.modules)
import scipy
print("scipy importable:", scipy.__version__ is not None)
"""


def test_numba_is_imported_without_scipy_and_scipy_stays_importable():
    done = subprocess.run([sys.executable, "-c", IMPORT_CASE.format(before="")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "numba: True scipy loaded: False" in done.stdout and "scipy importable: True" in done.stdout


def test_nothing_is_done_when_numba_is_already_loaded():
    done = subprocess.run([sys.executable, "-c", IMPORT_CASE.format(before="import numba")], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "scipy loaded: True" in done.stdout  # numba's own import checked scipy's version
