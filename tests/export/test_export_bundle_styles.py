"""Built-in reference-free styles: board-mix and live-room from data v2, clean-live-mix from data v1."""

import numpy as np

from aeib.export.bundle import BOARD_MIX_STYLE, DEFAULT_STYLE, LIVE_ROOM_STYLE, builtin_styles


def test_v2_styles_are_the_mean_embeddings_of_each_kind_of_reference():
    embeddings = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 4.0]])
    styles, default = builtin_styles(embeddings, ("board", "board", "live", "live"))
    assert default == LIVE_ROOM_STYLE and set(styles) == {BOARD_MIX_STYLE, LIVE_ROOM_STYLE}
    np.testing.assert_allclose(styles[BOARD_MIX_STYLE], [2.0, 0.0])
    np.testing.assert_allclose(styles[LIVE_ROOM_STYLE], [0.0, 3.0])


def test_v1_data_keeps_its_one_style_and_a_board_only_set_defaults_to_board_mix():
    embeddings = np.array([[1.0, 1.0], [3.0, 3.0]])
    styles, default = builtin_styles(embeddings, None)
    assert default == DEFAULT_STYLE and list(styles) == [DEFAULT_STYLE]
    np.testing.assert_allclose(styles[DEFAULT_STYLE], [2.0, 2.0])
    styles, default = builtin_styles(embeddings, ("board", "board"))
    assert default == BOARD_MIX_STYLE and list(styles) == [BOARD_MIX_STYLE]
