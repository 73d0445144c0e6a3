"""The runtime must run without TensorFlow: checked in fresh interpreters, where nothing is preloaded."""

import subprocess
import sys

TENSORFLOW = ("tensorflow", "keras")
TRAINING_CODE = ("aeib.model", "aeib.train", "aeib.export")


def _check(code: str, forbidden: tuple[str, ...]) -> None:
    check = f"bad = [m for m in {forbidden!r} if m in sys.modules]; assert not bad, bad"
    done = subprocess.run([sys.executable, "-c", f"import sys\n{code}\n{check}"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_runtime_library_imports_neither_tensorflow_nor_training_code(cached_bundle, make_wav, tmp_path):
    src = make_wav(seconds=1.5)
    code = ("import aeib.runtime as rt\n"
            f"rt.enhance_file(r'{src}', r'{tmp_path / 'lib.wav'}', rt.load_model(r'{cached_bundle}'), warn=print)")
    _check(code, TENSORFLOW + TRAINING_CODE)


def test_full_enhance_command_never_imports_tensorflow(cached_bundle, make_wav, tmp_path):
    src = make_wav(seconds=2.5, sample_rate=44_100, channels=2)
    ref = make_wav(name="ref.wav", seconds=1.5, sample_rate=48_000, channels=1)
    argv = ["enhance", str(src), "-o", str(tmp_path / "out.wav"), "--model", str(cached_bundle), "-q",
            "--params-out", str(tmp_path / "p.json"), "--plot", str(tmp_path / "p.png"), "--adaptive",
            "--reference", str(ref)]
    _check(f"from aeib.cli.main import main\nrc = main({argv!r})\nassert rc == 0, rc", TENSORFLOW)
    assert (tmp_path / "out.wav").is_file() and (tmp_path / "p.png").is_file() and (tmp_path / "p.json").is_file()
