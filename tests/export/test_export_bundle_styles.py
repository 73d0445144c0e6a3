"""Built-in reference-free styles: board-mix and live-room from data v2, clean-live-mix from data v1."""

import numpy as np

from aeib.export.bundle import BOARD_MIX_STYLE, DEFAULT_STYLE, LIVE_ROOM_STYLE, STYLE_PULLS, builtin_styles, style_entry


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


def test_a_written_partial_style_reads_back_as_one(tmp_path):
    """The export's entry and the runtime's reader agree on what a pull is."""
    import json

    from aeib.runtime.bundle import _styles

    data = {"styles": {BOARD_MIX_STYLE: style_entry(BOARD_MIX_STYLE, np.array([1.0, 2.0])),
                       DEFAULT_STYLE: style_entry(DEFAULT_STYLE, np.array([0.0, 1.0]))}}
    styles = _styles(json.loads(json.dumps(data)), 2, tmp_path / "x.json")
    assert styles[BOARD_MIX_STYLE].partial and styles[BOARD_MIX_STYLE].pull == STYLE_PULLS[BOARD_MIX_STYLE]
    assert not styles[DEFAULT_STYLE].partial
