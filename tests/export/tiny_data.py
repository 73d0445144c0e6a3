"""Helpers of the export tests: the export settings they use and small fake datasets."""

import numpy as np

from aeib.data.shards import write_npz
from aeib.export.config import ExportConfig
from tests.conftest import music_like

SAMPLE_RATE = 24_000
SEGMENT_SECONDS = 1.5
EXPORT_CONFIG = ExportConfig(window_seconds=1.0, representative_windows=12, parity_examples=4)


def write_shards(data_dir, split: str, n_shards: int, per_shard: int, seconds: float = SEGMENT_SECONDS, seed: int = 0):
    """Shards holding ``input`` and ``reference`` float16[per_shard, samples]; example k's input starts with k/1000."""
    data_dir.mkdir(parents=True, exist_ok=True)
    n = int(seconds * SAMPLE_RATE)
    for shard in range(n_shards):
        inputs, references = [], []
        for row in range(per_shard):
            index = shard * per_shard + row
            inputs.append(music_like(seconds, SAMPLE_RATE, 1, seed=seed + 2 * index)[:, 0] * (0.3 + 0.05 * row))
            references.append(music_like(seconds, SAMPLE_RATE, 1, seed=seed + 2 * index + 1)[:, 0])
        inputs = np.stack(inputs)
        inputs[:, n // 2] = np.arange(shard * per_shard, (shard + 1) * per_shard) / 1000.0  # marks each example
        write_npz(data_dir / f"{split}-{shard:05d}.npz",
                  {"input": inputs.astype(np.float16), "reference": np.stack(references).astype(np.float16)})
    return data_dir
