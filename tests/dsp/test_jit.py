"""aeib.dsp.jit: the DSP's kernels import numba at their first call, and then behave as numba's own."""

import json
import subprocess
import sys

import numpy as np

CASE = """
import json, sys, threading
import aeib.runtime, aeib.dsp
imported_early = "numba" in sys.modules
from aeib.dsp import jit
from aeib.dsp.compressor import channel_peak  # a name imported before the first call
hook_threads = []
jit.run_before_numba_import(lambda: hook_threads.append(threading.current_thread().name))
jit.run_before_numba_import(lambda: hook_threads.append(threading.current_thread().name))
import numpy as np
from aeib.dsp.warmup import load_kernels
worker = threading.Thread(target=load_kernels, name="warm-up")
worker.start(); worker.join()
import numba
import aeib.dsp.biquad, aeib.dsp.loudness
print(json.dumps({
    "imported_early": imported_early,
    "hook_threads": hook_threads,
    "globals_are_dispatchers": isinstance(aeib.dsp.biquad._cascade6, numba.core.registry.CPUDispatcher)
                               and isinstance(aeib.dsp.loudness.biquad_step, numba.core.registry.CPUDispatcher),
    "early_name_forwards": len(channel_peak.signatures) >= 1,
    "peak": channel_peak(np.array([[0.5, -2.0], [0.1, 0.2]]), 0.0).tolist(),
}))
"""


def test_numba_is_imported_at_the_first_kernel_call_on_that_thread():
    done = subprocess.run([sys.executable, "-c", CASE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["imported_early"] is False  # importing the runtime and the DSP leaves numba out
    assert report["hook_threads"] == ["warm-up", "warm-up"]  # each hook once, on the compiling thread
    assert report["globals_are_dispatchers"] is True  # jitted callers see numba dispatchers
    assert report["early_name_forwards"] is True
    assert report["peak"] == [2.0, 0.2]


def test_a_lazy_kernel_computes_what_its_python_function_does():
    from aeib.dsp.compressor import channel_peak

    block = np.random.default_rng(1).standard_normal((64, 3))
    expected = np.maximum(np.abs(block).max(axis=1), 0.25)
    np.testing.assert_array_equal(channel_peak(block, 0.25), expected)
    np.testing.assert_array_equal(channel_peak.py_func(block, 0.25), expected)
