"""`import aeib.data` must stay light: no TensorFlow, no pyroomacoustics until rooms are simulated."""

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(out.split())


def test_import_data_package_leaves_tensorflow_and_pyroomacoustics_out():
    modules = _modules_after("import aeib.data")
    assert "aeib.data" in modules  # the probe really imported it
    assert "tensorflow" not in modules
    assert "keras" not in modules
    assert "pyroomacoustics" not in modules


def test_cli_module_import_does_not_load_the_data_pipeline():
    modules = _modules_after("import aeib.cli.make_data")
    assert "aeib.cli.make_data" in modules
    assert "aeib.data.build" not in modules
    assert "tensorflow" not in modules
