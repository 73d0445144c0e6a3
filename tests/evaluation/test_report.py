import csv
import io
import json
import math

import pytest

from aeib.evaluation.report import markdown_table, summarize, summary_csv, write_report
from aeib.evaluation.runner import ALL_METRICS, EvaluationResult, MethodRecord


def _scores(value):
    return {name: value for name in ALL_METRICS}


@pytest.fixture
def result():
    """Three examples, two styles; "model" ran everywhere, "oracle" only on e1 and e3."""
    r = EvaluationResult("hand-made", 24_000, n_examples=3)
    r.methods = [MethodRecord("input", "baseline", ""), MethodRecord("model", "model", "", run_s=0.3, examples=3, audio_s=15.0),
                 MethodRecord("oracle", "baseline", ""), MethodRecord("matchering", "baseline", "", skip_reason="skipped: x")]
    inputs = {"e1": 4.0, "e2": 2.0, "e3": 6.0}
    r.input_scores = {k: _scores(v) for k, v in inputs.items()}
    styles = {"e1": "boomy", "e2": "boomy", "e3": "harsh"}
    model = {"e1": 1.0, "e2": 3.0, "e3": 2.0}
    oracle = {"e1": 0.5, "e3": 1.0}
    for example, value in inputs.items():
        r.rows.append({"example_id": example, "style": styles[example], "method": "input", **_scores(value)})
    for example, value in model.items():
        r.rows.append({"example_id": example, "style": styles[example], "method": "model", **_scores(value)})
    for example, value in oracle.items():
        r.rows.append({"example_id": example, "style": styles[example], "method": "oracle", **_scores(value)})
    r.rows[3]["loudness_error_lu"] = math.nan  # model's e1 loudness undefined: that pair drops out
    return r


def _get(summary, scope, method, metric):
    (row,) = [s for s in summary if (s.scope, s.method, s.metric) == (scope, method, metric)]
    return row


def test_means_std_and_paired_reductions_match_hand_computation(result):
    summary = summarize(result)
    row = _get(summary, "all", "model", "mel_distance_db")
    assert (row.n, row.mean, row.input_mean) == (3, pytest.approx(2.0), pytest.approx(4.0))
    assert row.std == pytest.approx(math.sqrt(2 / 3))
    assert row.reduction_pct == pytest.approx(50.0)
    oracle = _get(summary, "all", "oracle", "mrstft")  # paired with the input on e1 and e3 only
    assert (oracle.n, oracle.mean, oracle.input_mean) == (2, pytest.approx(0.75), pytest.approx(5.0))
    assert oracle.reduction_pct == pytest.approx(85.0)
    loud = _get(summary, "all", "model", "loudness_error_lu")
    assert (loud.n, loud.mean, loud.input_mean) == (2, pytest.approx(2.5), pytest.approx(4.0))
    boomy = _get(summary, "boomy", "model", "rms_error_db")
    assert (boomy.n, boomy.mean, boomy.input_mean, boomy.reduction_pct) == (2, 2.0, 3.0, pytest.approx(100 / 3))
    harsh_input = _get(summary, "harsh", "input", "mrstft")
    assert harsh_input.reduction_pct == 0.0
    assert not [s for s in summary if s.method == "matchering"]


def test_markdown_and_csv_carry_the_same_numbers(result):
    summary = summarize(result)
    table = markdown_table(summary, "all", ("mel_distance_db",))
    assert "| input | 3 | 4.00 ± 1.63 |" in table
    assert "| model | 3 | 2.00 ± 0.82 (+50 %) |" in table
    assert "| oracle | 2 | 0.750 ± 0.250 (+85 %) |" in table
    rows = list(csv.DictReader(io.StringIO(summary_csv(summary))))
    line = [r for r in rows if (r["scope"], r["method"], r["metric"]) == ("harsh", "oracle", "mrstft")][0]
    assert float(line["mean"]) == 1.0 and float(line["input_mean"]) == 6.0 and float(line["reduction_pct"]) == pytest.approx(83.3333, rel=1e-4)


def test_write_report_files(result, tmp_path):
    written = write_report(result, tmp_path / "out", command="aeib evaluate ...", plots=False)
    assert {p.name for p in written.values()} == {"results.md", "summary.csv", "examples.csv", "results.json"}
    text = (tmp_path / "out" / "results.md").read_text()
    assert "aeib evaluate ..." in text and "skipped: x" in text and "### boomy" in text
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["examples"] == 3 and data["methods"][1]["run_s"] == 0.3
    assert len((tmp_path / "out" / "examples.csv").read_text().splitlines()) == 1 + 8
    assert not list((tmp_path / "out").glob(".*partial*"))


def test_no_reduction_when_there_is_nothing_to_reduce(result):
    for scores in result.input_scores.values():
        scores["eq_inversion_error_db"] = 1e-15  # e.g. a style that applies no EQ at all
    row = _get(summarize(result), "all", "model", "eq_inversion_error_db")
    assert row.n == 3 and math.isnan(row.reduction_pct)
    assert "(" not in markdown_table(summarize(result), "all", ("eq_inversion_error_db",)).splitlines()[3]


def test_style_glance_table(result):
    from aeib.evaluation.report import style_reduction_table

    lines = style_reduction_table(summarize(result), "mel_distance_db").splitlines()
    assert lines[0] == "| mel distance (dB) | input | model | oracle |"
    assert lines[2] == "| all | 4.00 | +50 % | +85 % |"
    assert lines[3] == "| boomy | 3.00 | +33 % | +88 % |"  # oracle on e1 only: 1 − 0.5 / 4
    assert lines[4] == "| harsh | 6.00 | +67 % | +83 % |"


def test_groups_are_scopes_an_example_can_share(result):
    """Data-v2 examples are reported in every group they belong to (mode, families), not only by style."""
    groups = {"e1": ["mode:live", "family:tonal", "family:capture"], "e2": ["mode:live", "family:capture"], "e3": []}
    for row in result.rows:
        row["groups"] = groups[row["example_id"]]
    summary = summarize(result)
    metric = ALL_METRICS[0]
    capture = _get(summary, "family:capture", "model", metric)
    assert capture.n == 2 and capture.mean == pytest.approx(2.0)        # e1 (1.0) and e2 (3.0)
    tonal = _get(summary, "family:tonal", "model", metric)
    assert tonal.n == 1 and tonal.mean == pytest.approx(1.0)
    assert _get(summary, "all", "model", metric).n == 3


def test_example_groups_of_v2_records():
    from aeib.evaluation.datasets import example_groups

    record = {"recipe": "v2", "mode": "board", "degradations": [{"family": "capture", "kind": "gsm"}]}
    assert example_groups(record) == ("mode:board", "family:capture", "kind:gsm")
    assert example_groups({"recipe": "v2", "mode": "live", "degradations": []}) == ("mode:live", "family:level-only")
    assert example_groups({"recipe": "v2", "mode": "identity", "degradations": []}) == ("mode:identity",)
