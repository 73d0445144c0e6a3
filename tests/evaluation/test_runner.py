import math

import pytest

from aeib.baselines.oracle import OracleConfig
from aeib.evaluation.methods import Method, MethodOutput, make_baselines
from aeib.evaluation.report import write_report
from aeib.evaluation.runner import ALL_METRICS, run_evaluation


class Flaky(Method):
    """Fails on the second example, halves the input elsewhere."""

    name = "flaky"
    kind = "model"

    def __init__(self):
        super().__init__()
        self.seen = 0

    def run(self, example, shared):
        self.seen += 1
        if self.seen == 2:
            raise RuntimeError("boom\nsecond line")
        return MethodOutput(example.input * 0.5, None)


@pytest.fixture(scope="module")
def result():
    from aeib.evaluation.synthetic import synthetic_dataset

    dataset = synthetic_dataset(3, 16_000, seconds=1.0, styles=("boomy", "harsh", "muffled"), seed=1)
    methods = make_baselines(["input", "oracle", "rb-dsp", "matchering"], OracleConfig(iterations=8)) + [Flaky()]
    methods[1].subset = frozenset({0, 2})
    methods[3].skip_reason = "skipped: not here"
    return run_evaluation(dataset, methods, spectra_examples=2, progress=False)


def test_rows_failures_and_subsets(result):
    by_method = {}
    for row in result.rows:
        by_method.setdefault(row["method"], []).append(row["example_id"])
        assert set(ALL_METRICS) <= set(row)
    assert by_method["input"] == by_method["rb-dsp"] == ["synthetic-000", "synthetic-001", "synthetic-002"]
    assert by_method["oracle"] == ["synthetic-000", "synthetic-002"]
    assert by_method["flaky"] == ["synthetic-000", "synthetic-002"]
    assert "matchering" not in by_method
    records = {r.name: r for r in result.methods}
    assert records["flaky"].failures == 1 and records["flaky"].first_failure == "synthetic-001: RuntimeError: boom"
    assert records["matchering"].skip_reason == "skipped: not here" and records["matchering"].examples == 0
    assert records["rb-dsp"].examples == 3 and records["oracle"].examples == 2


def test_input_rows_are_the_input_scores_and_settings_are_collected(result):
    for row in result.rows:
        if row["method"] == "input":
            scores = result.input_scores[row["example_id"]]
            assert [row[m] for m in ALL_METRICS] == pytest.approx([scores[m] for m in ALL_METRICS], nan_ok=True)
            assert row["eq_inversion_error_db"] > 0.5  # no EQ does not undo a style
    flaky = [r for r in result.rows if r["method"] == "flaky"]
    assert all(r["rms_error_db"] > 0 and math.isnan(r["eq_inversion_error_db"]) for r in flaky)
    assert len(result.settings["rb-dsp"]) == 3 and result.settings["flaky"] == []
    assert [s["example_id"] for s in result.spectra] == ["synthetic-000", "synthetic-001"]
    assert set(result.spectra[0]["signals"]) == {"input", "target", "oracle", "rb-dsp", "flaky"}
    assert "flaky" not in result.spectra[1]["signals"]


def test_rb_dsp_time_is_charged_to_rb_dsp(result):
    records = {r.name: r for r in result.methods}
    # The oracle ran first and computed the rb-dsp start; that time moved to rb-dsp.
    assert records["rb-dsp"].run_s > 0 and records["oracle"].run_s > 0
    assert records["rb-dsp"].ms_per_example > 0 and records["rb-dsp"].real_time_factor > 0


def test_figures_are_written(result, tmp_path):
    written = write_report(result, tmp_path, plots=True)
    for name in ("metrics.png", "spectra.png", "settings.png"):
        assert (tmp_path / name).stat().st_size > 10_000
        assert f"({name})" in (tmp_path / "results.md").read_text()
    assert written["markdown"].name == "results.md"
