"""`aeib make-data` argument handling: flags map onto the config; bad values are one-line errors."""

import argparse

import pytest

from aeib.cli import make_data as cli
from aeib.data.corpus import CorpusError
from aeib.errors import AeibError, ParameterError


def _parse(argv):
    parser = argparse.ArgumentParser(prog="aeib")
    cli.register(parser.add_subparsers(required=True))
    return parser.parse_args(["make-data", *argv])


def test_flags_build_the_config(tmp_path):
    args = _parse(["--music", "m", "--out", str(tmp_path / "o"), "--examples", "40", "--seed", "3", "--workers", "2",
                   "--sample-rate", "16000", "--segment-s", "2", "--styles", "warm, bright", "--splits", "7,2,1",
                   "--rooms", "3", "--mics-per-room", "2", "--room-max-order", "5", "--phones", "4",
                   "--shard-size", "8", "--noise-prob", "0.1", "--agc-prob", "0.3", "-q"])
    config = cli.config_from_args(args)
    assert (config.examples, config.seed, config.workers, config.shard_size, config.n_phones) == (40, 3, 2, 8, 4)
    assert config.pair.sample_rate == 16_000 and config.pair.segment_s == 2.0
    assert config.pair.styles == ("warm", "bright")
    assert config.pair.split_fractions == pytest.approx((0.7, 0.2, 0.1))
    assert (config.rooms.n_rooms, config.rooms.mics_per_room, config.rooms.max_order) == (3, 2, 5)
    assert (config.pair.noise_prob, config.pair.agc_prob) == (0.1, 0.3)
    assert config.progress is False


def test_defaults_match_the_issue():
    config = cli.config_from_args(_parse(["--music", "m", "--out", "o"]))
    assert config.pair.sample_rate == 24_000 and config.pair.segment_s == 5.0
    assert config.pair.source_peak_dbfs == -12.0 and len(config.pair.styles) == 10


@pytest.mark.parametrize("argv", [["--styles", "lofi"], ["--noise-prob", "2"], ["--sample-rate", "1000"],
                                  ["--splits", "1,2"], ["--examples", "0"], ["--segment-s", "0"]])
def test_bad_values_are_parameter_errors(argv):
    with pytest.raises(ParameterError):
        cli.config_from_args(_parse(["--music", "m", "--out", "o", *argv]))


def test_missing_music_folder_raises_an_aeib_error(tmp_path):
    args = _parse(["--music", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"), "-q"])
    with pytest.raises(CorpusError) as info:
        args.handler(args)
    assert isinstance(info.value, AeibError) and "\n" not in str(info.value)


def test_run_prints_a_summary(corpus_dir, tmp_path, capsys):
    args = _parse(["--music", str(corpus_dir), "--out", str(tmp_path / "o"), "--examples", "6", "--sample-rate",
                   "16000", "--segment-s", "0.5", "--rooms", "1", "--mics-per-room", "1", "--room-max-order", "2",
                   "--phones", "1", "--shard-size", "3", "--splits", "0.5,0.25,0.25"])
    assert args.handler(args) == 0
    err = capsys.readouterr().err
    assert "6 usable tracks" in err and "examples/s" in err and "1 unreadable" in err
    assert (tmp_path / "o" / "manifest.json").is_file()
