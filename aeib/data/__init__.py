"""Self-supervised training data: music corpus, club-room and phone IR bank, style pairs, shards.

TensorFlow-free (numpy, scipy, soundfile, soxr, the DSP core); pyroomacoustics is imported only
when rooms are simulated. The ``tf.data`` loader lives in :mod:`aeib.train.dataset`.

Typical use is the CLI, ``aeib make-data --music DIR --out DIR --examples N --seed S``; from Python::

    from aeib.data import MakeDataConfig, make_data
    result = make_data(MakeDataConfig(music_dir="data/music", out_dir="data/pairs", examples=100))
"""

from aeib.data.build import MakeDataConfig, MakeDataResult, make_data
from aeib.data.corpus import CorpusError, CorpusScan, Track, scan_corpus
from aeib.data.irs import ImpulseResponse, IRBank, convolve_causal, load_ir_dir
from aeib.data.manifest import MANIFEST_NAME, load_manifest, shard_files
from aeib.data.pairs import ExampleSpec, PairConfig, capture, load_segment, render_example
from aeib.data.phone import PhoneResponse, apply_agc, crowd_noise, parametric_phones
from aeib.data.rooms import RoomConfig, load_or_simulate_rooms, simulate_club_rooms
from aeib.data.shards import read_shard
from aeib.data.splits import SPLITS, split_of
from aeib.data.styles import STYLE_NAMES, sample_style
from aeib.hashing import file_sha256

__all__ = [
    "MANIFEST_NAME", "SPLITS", "STYLE_NAMES",
    "CorpusError", "CorpusScan", "ExampleSpec", "IRBank", "ImpulseResponse", "MakeDataConfig", "MakeDataResult",
    "PairConfig", "PhoneResponse", "RoomConfig", "Track",
    "apply_agc", "capture", "convolve_causal", "crowd_noise", "file_sha256", "load_ir_dir", "load_manifest",
    "load_or_simulate_rooms", "load_segment", "make_data", "parametric_phones", "read_shard", "render_example",
    "sample_style", "scan_corpus", "shard_files", "simulate_club_rooms", "split_of",
]
