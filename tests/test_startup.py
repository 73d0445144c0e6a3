"""What a command imports (issue 15): `aeib --help` and argument errors stay light, `aeib apply` never
loads LiteRT, nothing loads TensorFlow. Each case runs the real entry point in a fresh interpreter and
reads ``sys.modules`` when it exits. No timings here: speed belongs in `aeib bench` and scripts/."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

HEAVY = ("numpy", "scipy", "numba", "ai_edge_litert", "tflite_runtime", "tensorflow", "soundfile", "av")

WRAPPER = """
import atexit, json, sys
def report():
    sys.stderr.write("MODULES " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})) + "\\n")
atexit.register(report)
from aeib.cli.main import console_main
console_main()
"""


def loaded_after(*argv: str) -> tuple[int, set[str], str]:
    """Run ``aeib ARGV`` in a fresh interpreter: exit code, top-level packages loaded at exit, stderr."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, *argv], capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    assert lines, done.stderr
    rest = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("MODULES "))
    return done.returncode, set(json.loads(lines[-1][len("MODULES "):])), rest


@pytest.mark.parametrize("argv, exit_code", [
    (["--help"], 0),
    (["--version"], 0),
    ([], 2),
    (["no-such-command"], 2),
    (["--no-such-option"], 2),
])
def test_help_and_top_level_errors_import_nothing_heavy(argv, exit_code):
    code, modules, stderr = loaded_after(*argv)
    assert code == exit_code, stderr
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    assert "Traceback" not in stderr


GC_SPY = """
import atexit, gc, sys
import aeib.cli.main as cli
seen = []
real_main = cli.main
def spying_main(argv=None, *, on_started=None):
    def started():
        seen.append(("before", gc.isenabled()))
        on_started()
        seen.append(("after", gc.isenabled()))
    return real_main(argv, on_started=started)
cli.main = spying_main
atexit.register(lambda: sys.stderr.write(f"SEEN {seen} {gc.isenabled()} {len(gc.get_objects()) < 10_000}\\n"))
cli.console_main()
"""


def test_console_entry_point_collects_garbage_only_while_the_command_works():
    done = subprocess.run([sys.executable, "-c", GC_SPY, "params"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    # Off while the command's modules load, on (start-up objects frozen) while it works, and at exit
    # everything frozen, so the interpreter's final collection has nothing left to walk.
    assert "SEEN [('before', False), ('after', True)] True True" in done.stderr, done.stderr
    usage_error = subprocess.run([sys.executable, "-c", GC_SPY, "params", "--no-such-flag"],
                                 capture_output=True, text=True, timeout=300)
    assert usage_error.returncode == 2 and "Traceback" not in usage_error.stderr


def test_help_lists_every_command_with_its_own_help_line():
    """The help lines main.py keeps for `aeib --help` are the command modules' own."""
    from aeib.cli.main import COMMAND_NAMES, COMMANDS, build_parser

    loaded = build_parser(COMMAND_NAMES)
    placeholders = build_parser()
    for parser in (loaded, placeholders):
        assert all(name in parser.format_help() for name in COMMAND_NAMES)
    registered = {action.dest: action.help for action in loaded._subparsers._group_actions[0]._choices_actions}
    assert registered == {name: help_line for name, _, help_line in COMMANDS}


def test_a_command_is_loaded_only_when_named():
    from aeib.cli.main import _command_in

    assert _command_in(["--help"]) is None
    assert _command_in(["enhance", "--help"]) == "enhance"
    assert _command_in(["--", "enhance"]) is None


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("startup") / "clip.wav"
    t = np.arange(48_000) / 48_000
    sf.write(path, 0.2 * np.sin(2 * np.pi * 440 * t)[:, None].repeat(2, axis=1), 48_000)
    return path


def test_apply_never_loads_litert_or_tensorflow(clip, tmp_path):
    code, modules, stderr = loaded_after("apply", str(clip), "-o", str(tmp_path / "out.wav"),
                                         "--params", "club-fix", "-q")
    assert code == 0, stderr
    assert (tmp_path / "out.wav").exists()
    assert not modules & {"ai_edge_litert", "tflite_runtime", "tensorflow", "keras"}, modules


def test_enhance_loads_no_tensorflow_and_no_scipy_signal(clip, tmp_path):
    """scipy.signal costs half a second to import; the enhance path does without it."""
    done = subprocess.run([sys.executable, "-c", WRAPPER.replace(
        'sorted({name.split(".")[0] for name in sys.modules})', "sorted(sys.modules)"),
        "enhance", str(clip), "-o", str(tmp_path / "out.wav"), "-q"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stderr.splitlines()[-1][len("MODULES "):]))
    assert "ai_edge_litert" in modules or "tflite_runtime" in modules
    assert not {"tensorflow", "keras", "scipy.signal", "scipy.sparse", "pyloudnorm", "aeib.data",
                "aeib.export", "aeib.model", "aeib.train"} & modules, modules
    # numba's scipy version check and BLAS probe are skipped in a command process
    # (aeib/cli/numba_start.py) and a quiet run draws no progress bar: neither scipy nor tqdm is imported.
    assert "numba" in modules and not {"scipy", "scipy.linalg", "tqdm"} & modules, modules


def test_quiet_apply_imports_neither_tqdm_nor_scipy(clip, tmp_path):
    done = subprocess.run([sys.executable, "-c", WRAPPER.replace(
        'sorted({name.split(".")[0] for name in sys.modules})', "sorted(sys.modules)"),
        "apply", str(clip), "-o", str(tmp_path / "out.wav"), "--params", "club-fix", "-q"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stderr.splitlines()[-1][len("MODULES "):]))
    assert "numba" in modules and not {"scipy", "scipy.linalg", "tqdm"} & modules, modules


def test_the_console_script_exits_without_teardown_but_with_its_output_and_exit_handlers():
    """console_main ends with os._exit after the atexit handlers and a flush: a piped stdout still gets
    every line, an atexit handler still runs, and the exit code is the command's."""
    script = ("import atexit, sys\n"
              "atexit.register(lambda: sys.stderr.write('HANDLER RAN\\n'))\n"
              "from aeib.cli.main import console_main\n"
              "console_main()\n")
    done = subprocess.run([sys.executable, "-c", script, "params", "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)   # complete JSON: the buffered output was flushed
    assert "HANDLER RAN" in done.stderr
    failed = subprocess.run([sys.executable, "-c", script, "enhance", "/no/such/file.wav", "-o", "/tmp/x.wav"],
                            capture_output=True, text=True, timeout=300)
    assert failed.returncode == 2 and "HANDLER RAN" in failed.stderr and "Traceback" not in failed.stderr
    assert failed.stderr.count("\n") == 2, failed.stderr   # one error line, then the handler's
