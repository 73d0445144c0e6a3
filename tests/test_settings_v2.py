"""Parameter files version 2 (strength, loudness gain) beside version 1."""

import json

import pytest

from aeib.errors import ParameterError
from aeib.settings import LoudnessGain, Setting, load_params, load_setting, setting_to_json


def _write(tmp_path, body):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(body))
    return path


def test_version_1_files_and_presets_read_as_full_strength_without_loudness_gain(tmp_path):
    path = _write(tmp_path, {"format": "aeib-params", "version": 1, "params": {"comp.ratio": 4.0}})
    setting = load_setting(path)
    assert setting.strength == 1.0 and setting.loudness == LoudnessGain() and setting.params["comp.ratio"] == 4.0
    assert load_setting("club-fix").strength == 1.0


def test_version_2_round_trip_and_applied_params(tmp_path):
    setting = Setting({"comp.ratio": 4.0, "eq.band1.gain_db": -6.0}, 0.5, LoudnessGain(3.25, "default", -16.0, -19.25))
    path = tmp_path / "p.json"
    path.write_text(setting_to_json(setting))
    back = load_setting(path)
    assert back.strength == 0.5 and back.loudness == setting.loudness and back.params["comp.ratio"] == 4.0
    assert load_params(path)["eq.band1.gain_db"] == pytest.approx(-3.0)  # the setting actually run
    assert load_params(path)["comp.ratio"] == pytest.approx(2.0)


@pytest.mark.parametrize("change, message", [({"strength": 2}, "strength"), ({"strength": "x"}, "strength"),
                                             ({"loudness": {"gain_db": 99}}, "outside ±40"),
                                             ({"loudness": {"gain_db": "3"}}, "finite number"),
                                             ({"loudness": {"gain_db": 1, "mode": "loud"}}, "loudness.mode"),
                                             ({"loudness": [1]}, "JSON object")])
def test_bad_version_2_fields_are_refused(tmp_path, change, message):
    path = _write(tmp_path, {"format": "aeib-params", "version": 2, "params": {}, **change})
    with pytest.raises(ParameterError, match=message):
        load_setting(path)
