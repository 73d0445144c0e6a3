"""Corpus scanning: folder, MUSDB18-HQ and MTG-Jamendo layouts; bad files counted, not fatal."""

import numpy as np
import pytest
import soundfile as sf

from aeib.data.corpus import CorpusError, detect_layout, scan_corpus
from data_helpers import synthetic_music, write_corpus


def _tone(path, seconds=1.0, rate=22_050):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, synthetic_music(seconds, rate, seed=len(str(path))), rate)


def test_folder_scan_finds_tracks_and_counts_unreadable(tmp_path):
    root = write_corpus(tmp_path / "music", seconds=1.0)
    scan = scan_corpus(root)
    assert scan.layout == "folder"
    ids = [t.track_id for t in scan.tracks]
    assert ids == sorted(ids)
    assert scan.skipped == {"unreadable": ["corrupt.wav"]}
    # six good tracks plus silence, short and lofi (those are only rejected later, on content)
    assert len(scan.tracks) == 9
    nested = [t for t in scan.tracks if t.rel_path.startswith("sub/")]
    assert nested and all(t.track_id == t.rel_path.rsplit(".", 1)[0] for t in nested)
    track = next(t for t in scan.tracks if t.track_id == "short")
    assert track.sample_rate == 44_100 and track.channels == 2
    assert track.duration_s == pytest.approx(0.6, abs=1e-3)


def test_same_track_in_two_formats_is_one_track(tmp_path):
    _tone(tmp_path / "a.ogg")
    _tone(tmp_path / "a.flac")
    _tone(tmp_path / ".hidden" / "b.wav")
    scan = scan_corpus(tmp_path)
    assert [t.rel_path for t in scan.tracks] == ["a.flac"]
    assert scan.skipped == {"duplicate": ["a.ogg"]}


def test_musdb_layout_uses_only_the_mixture(tmp_path):
    for split, name in (("train", "Artist A - Song"), ("test", "Artist B - Tune")):
        for stem in ("mixture", "vocals", "drums", "bass", "other"):
            _tone(tmp_path / split / name / f"{stem}.wav")
    assert detect_layout(tmp_path) == "musdb"
    scan = scan_corpus(tmp_path)
    assert scan.layout == "musdb"
    assert [t.track_id for t in scan.tracks] == ["test/Artist B - Tune", "train/Artist A - Song"]
    assert all(t.rel_path.endswith("mixture.wav") for t in scan.tracks)


def test_jamendo_layout_merges_low_and_full_quality_copies(tmp_path):
    mp3 = "MP3" in sf.available_formats()
    if not mp3:
        pytest.skip("libsndfile without MP3")
    for folder, track in (("14", 1214), ("14", 214), ("07", 3307)):
        path = tmp_path / folder / f"{track}.mp3"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, synthetic_music(1.0, 44_100, seed=track), 44_100, format="MP3")
    (tmp_path / "14" / "214.low.mp3").write_bytes((tmp_path / "14" / "214.mp3").read_bytes())
    assert detect_layout(tmp_path) == "jamendo"
    scan = scan_corpus(tmp_path)
    assert [t.track_id for t in scan.tracks] == ["track_0000214", "track_0001214", "track_0003307"]
    assert scan.skipped == {"duplicate": ["14/214.low.mp3"]}


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        scan_corpus(tmp_path / "nope")


def test_folder_without_audio_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no music here")
    with pytest.raises(CorpusError, match="no audio files"):
        scan_corpus(tmp_path)


def test_unknown_layout_is_rejected(tmp_path):
    _tone(tmp_path / "a.wav")
    with pytest.raises(CorpusError, match="layout"):
        scan_corpus(tmp_path, layout="itunes")


def test_a_corpus_of_only_bad_files_still_scans(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"not audio")
    sf.write(tmp_path / "y.wav", np.zeros(10, dtype=np.float32), 8000)
    scan = scan_corpus(tmp_path)
    assert scan.skipped["unreadable"] == ["x.wav"]
    assert [t.track_id for t in scan.tracks] == ["y"]
