"""aeib.dsp.warmup: every kernel the commands run is loaded by load_kernels, in a fresh process."""

import json
import subprocess
import sys

import pytest

CASE = """
import json, sys
import numba
from aeib.dsp.warmup import load_kernels
load_kernels(int(sys.argv[1]))
import aeib.dsp.biquad, aeib.dsp.compressor, aeib.dsp.limiter, aeib.dsp.loudness
loaded = {}
for module in (aeib.dsp.biquad, aeib.dsp.compressor, aeib.dsp.limiter, aeib.dsp.loudness):
    for name in dir(module):
        kernel = getattr(module, name)
        if isinstance(kernel, numba.core.registry.CPUDispatcher):
            loaded[module.__name__.split(".")[-1] + "." + name] = len(kernel.signatures)
print(json.dumps(loaded))
"""

CHAIN_AND_METER = ["biquad._cascade6", "compressor._apply_gain", "compressor._smoothed_gain",
                   "compressor._static_reduction_db", "compressor.channel_peak", "limiter._exceeds",
                   "limiter._limit", "loudness._oversampled_max"]


@pytest.mark.parametrize("channels, meter_kernel", [(2, "loudness._weighted_energy_at_stereo"),
                                                    (1, "loudness._weighted_energy_at")])
def test_every_kernel_of_the_chain_and_the_meter_is_loaded(channels, meter_kernel):
    done = subprocess.run([sys.executable, "-c", CASE, str(channels)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    for kernel in [*CHAIN_AND_METER, meter_kernel]:
        assert loaded[kernel] >= 1, kernel
