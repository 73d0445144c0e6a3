"""aeib.progress: a bar that is off costs no tqdm import; one that is on is tqdm's."""

from __future__ import annotations

import subprocess
import sys

from aeib.progress import progress_bar


def test_a_disabled_bar_is_a_no_op_and_imports_no_tqdm():
    code = ("import sys; from aeib.progress import progress_bar\n"
            "with progress_bar(disable=True, total=10) as bar:\n    bar.update(3)\n"
            "print('tqdm' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_an_enabled_bar_counts(capsys):
    with progress_bar(disable=False, total=10, desc="work") as bar:
        bar.update(4)
        bar.update(6)
        assert bar.n == 10
    assert "work" in capsys.readouterr().err
