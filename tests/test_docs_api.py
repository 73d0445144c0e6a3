"""Every Python example in docs/API.md runs as written."""

import re
from pathlib import Path

import pytest

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "API.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", API_DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_doc_has_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_doc_example_runs(index, capsys):
    exec(compile(EXAMPLES[index], f"docs/API.md example {index + 1}", "exec"), {"__name__": "__doc_example__"})
