"""The DSP core must stay free of TensorFlow (edge devices run without it)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["aeib.dsp", "aeib.settings", "aeib.audio", "aeib.cli.main"])
def test_module_does_not_import_tensorflow(module):
    code = f"import sys, {module}; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_apply_run_does_not_import_tensorflow(make_wav, tmp_path):
    src = make_wav(seconds=0.5)
    code = (
        "import sys; from aeib.cli.main import main; "
        f"rc = main(['apply', r'{src}', '-o', r'{tmp_path / 'out.wav'}', '--params', 'club-fix', '-q']); "
        "assert rc == 0, rc; assert 'tensorflow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
