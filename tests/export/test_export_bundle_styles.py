"""Built-in reference-free styles: board-mix and live-room from data v2, clean-live-mix from data v1."""

import re

import numpy as np
import pytest

from aeib.export.bundle import (
    BOARD_MIX_STYLE,
    DEFAULT_STYLE,
    LIVE_ROOM_STYLE,
    STYLE_PULLS,
    builtin_styles,
    check_style_pulls,
    style_entry,
)
from aeib.export.config import ExportError


def test_v2_styles_are_the_mean_embeddings_of_each_kind_of_reference():
    embeddings = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 4.0]])
    styles, default = builtin_styles(embeddings, ("board", "board", "live", "live"))
    assert default == BOARD_MIX_STYLE and set(styles) == {BOARD_MIX_STYLE, LIVE_ROOM_STYLE}
    np.testing.assert_allclose(styles[BOARD_MIX_STYLE], [2.0, 0.0])
    np.testing.assert_allclose(styles[LIVE_ROOM_STYLE], [0.0, 3.0])


def test_v1_data_keeps_its_one_style_and_a_board_only_set_defaults_to_board_mix():
    embeddings = np.array([[1.0, 1.0], [3.0, 3.0]])
    styles, default = builtin_styles(embeddings, None)
    assert default == DEFAULT_STYLE and list(styles) == [DEFAULT_STYLE]
    np.testing.assert_allclose(styles[DEFAULT_STYLE], [2.0, 2.0])
    styles, default = builtin_styles(embeddings, ("board", "board"))
    assert default == BOARD_MIX_STYLE and list(styles) == [BOARD_MIX_STYLE]


def test_style_entries_record_the_pull_of_partial_styles():
    board = style_entry(BOARD_MIX_STYLE, np.array([1.0, 2.0]))
    assert board["pull"] == STYLE_PULLS[BOARD_MIX_STYLE] and 0.0 < board["pull"] < 1.0
    assert board["embedding"] == [1.0, 2.0] and "board mix" in board["description"]
    assert "pull" not in style_entry(DEFAULT_STYLE, np.array([1.0, 2.0]))   # a fixed style


def test_an_export_may_set_a_styles_pull_and_its_description_says_so():
    default = style_entry(BOARD_MIX_STYLE, np.array([1.0, 2.0]))
    assert "40 % of the way" in default["description"]
    board = style_entry(BOARD_MIX_STYLE, np.array([1.0, 2.0]), pull=0.55)
    assert board["pull"] == 0.55 and "55 % of the way" in board["description"]
    room = style_entry(LIVE_ROOM_STYLE, np.array([1.0, 2.0]))
    assert room["pull"] == 0.5 and room["description"].startswith("live room: half of the way")
    assert "pull" not in style_entry(BOARD_MIX_STYLE, np.array([1.0, 2.0]), pull=1.0)   # the full style


@pytest.mark.parametrize("pulls, message", [
    ({"clean-live-mix": 0.5}, "has no pull to set"),
    ({BOARD_MIX_STYLE: 0.0}, "must lie in (0, 1]"),
    ({BOARD_MIX_STYLE: 1.2}, "must lie in (0, 1]"),
    ({BOARD_MIX_STYLE: float("nan")}, "must lie in (0, 1]"),
])
def test_bad_style_pulls_are_refused(pulls, message):
    with pytest.raises(ExportError, match=re.escape(message)):
        check_style_pulls(pulls)
    assert check_style_pulls({BOARD_MIX_STYLE: 0.55, LIVE_ROOM_STYLE: 1}) == {BOARD_MIX_STYLE: 0.55, LIVE_ROOM_STYLE: 1.0}
    assert check_style_pulls(None) == {}


def test_a_written_partial_style_reads_back_as_one(tmp_path):
    """The export's entry and the runtime's reader agree on what a pull is."""
    import json

    from aeib.runtime.bundle import _styles

    data = {"styles": {BOARD_MIX_STYLE: style_entry(BOARD_MIX_STYLE, np.array([1.0, 2.0])),
                       DEFAULT_STYLE: style_entry(DEFAULT_STYLE, np.array([0.0, 1.0]))}}
    styles = _styles(json.loads(json.dumps(data)), 2, tmp_path / "x.json")
    assert styles[BOARD_MIX_STYLE].partial and styles[BOARD_MIX_STYLE].pull == STYLE_PULLS[BOARD_MIX_STYLE]
    assert not styles[DEFAULT_STYLE].partial


def test_a_style_entry_carries_its_tonal_target_and_reads_back(tmp_path):
    import json

    from aeib.runtime.bundle import _styles

    spectrum = {"freqs_hz": [20.0, 40.0, 80.0], "level_db": [-10.0, -12.0, -15.0], "references": 2}
    data = {"styles": {BOARD_MIX_STYLE: style_entry(BOARD_MIX_STYLE, np.array([1.0, 2.0]), spectrum),
                       LIVE_ROOM_STYLE: style_entry(LIVE_ROOM_STYLE, np.array([0.0, 1.0]))}}
    assert data["styles"][BOARD_MIX_STYLE]["spectrum"] == spectrum and "spectrum" not in data["styles"][LIVE_ROOM_STYLE]
    styles = _styles(json.loads(json.dumps(data)), 2, tmp_path / "x.json")
    assert styles[BOARD_MIX_STYLE].spectrum[1].tolist() == [-10.0, -12.0, -15.0]
    assert styles[LIVE_ROOM_STYLE].spectrum is None


def test_style_spectra_are_the_mean_aligned_spectrum_of_every_reference_of_the_kind(tmp_path):
    """Every training reference of the kind counts (level-aligned: a quieter copy is the same sound);
    shards without example records give none."""
    from aeib.data.shards import encode_meta, write_npz
    from aeib.export.data import aligned_spectrum_db, log_grid_spectrum, style_spectra
    from tests.conftest import music_like

    rate = 24_000
    refs = [music_like(1.0, rate, 1, seed=s)[:, 0] for s in (1, 2, 3)]
    refs[1] = refs[0] * 0.1   # the same sound, 20 dB quieter
    kinds = ["board", "board", "live"]
    meta = {"examples": [{"recipe": "v2", "target_mode": k} for k in kinds]}
    audio = np.stack(refs).astype(np.float16)
    write_npz(tmp_path / "train-00000.npz", {"input": audio, "reference": audio, "meta": encode_meta(meta)})
    spectra = style_spectra(tmp_path, ("board",), rate)
    assert list(spectra) == ["board"] and spectra["board"]["references"] == 2
    freqs, level = aligned_spectrum_db(audio[0].astype(np.float32), rate)
    grid, expected = log_grid_spectrum(freqs, level, rate / 2.0)
    np.testing.assert_allclose(spectra["board"]["freqs_hz"], grid, atol=0.01)
    np.testing.assert_allclose(spectra["board"]["level_db"], expected, atol=0.1)
    assert grid[0] == 20.0 and grid[-1] <= rate / 2.0 and np.all(np.diff(grid) > 0)
    (tmp_path / "v1").mkdir()
    write_npz(tmp_path / "v1" / "train-00000.npz", {"input": audio, "reference": audio})
    assert style_spectra(tmp_path / "v1", ("board",), rate) == {}
