"""Executes notebooks/evaluation.ipynb on its tiny generated test set (needs nbclient and ipykernel)."""

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "evaluation.ipynb"


def test_evaluation_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    shown = "".join(str(out.get("data", {}).get("text/markdown", "")) for out in outputs)
    assert "| rb-dsp | 4 |" in shown and "| oracle | 4 |" in shown
    assert sum("image/png" in out.get("data", {}) for out in outputs) >= 2
    assert sum("text/html" in out.get("data", {}) and "<audio" in out["data"]["text/html"] for out in outputs) >= 3
