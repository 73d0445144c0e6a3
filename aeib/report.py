"""``aeib enhance --report out.html``: one self-contained page to judge an enhancement.

The page needs no server and no network: the audio (an excerpt of up to :data:`EXCERPT_S` seconds of
the input and of the output, the same stretch of both, as MP3), the figure (PNG) and the parameter
file are embedded as ``data:`` URLs. It holds

* a before and an after player with a **matched loudness** switch (on by default): the louder
  excerpt is turned down by the measured loudness difference, so the ear judges tone, not volume;
* the plain summary, the figure of :func:`aeib.plots.enhancement_figure`, the setting in physical
  units (every parameter, with its neutral value) and a link that saves it as a parameter file;
* the command that reproduces the output.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from aeib.audio import atomic_output, audio_info, read_frames, resample

EXCERPT_S = 30.0
"""Longest stretch of audio embedded (the middle of the file; the whole file if shorter)."""

PREVIEW_RATES = (32000, 44100, 48000)
PREVIEW_BITRATE_KBPS = 160


@dataclass(frozen=True)
class Excerpt:
    """An embedded stretch of audio: MP3 bytes, where it starts, its length and loudness."""

    mp3: bytes
    start_s: float
    seconds: float
    lufs: float


def excerpt_window(frames: int, sample_rate: int, seconds: float = EXCERPT_S) -> tuple[int, int]:
    """(start frame, frames) of the middle ``seconds`` of a file of ``frames`` frames."""
    length = min(frames, int(round(seconds * sample_rate)))
    return max(0, (frames - length) // 2), length


def _preview(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """At most stereo, at an MP3 rate."""
    if audio.shape[1] > 2:
        audio = audio.mean(axis=1, keepdims=True)
    if sample_rate not in PREVIEW_RATES:
        target = 48000 if sample_rate > 48000 else min(r for r in PREVIEW_RATES if r >= min(sample_rate, 48000))
        audio, sample_rate = resample(audio, sample_rate, target), target
    return np.ascontiguousarray(audio, dtype=np.float32), sample_rate


def make_excerpt(path: str | os.PathLike, start: int, frames: int) -> Excerpt:
    """Read ``frames`` frames of ``path`` from ``start`` on and encode them as MP3 (in memory).

    Raises:
        AudioError: if the file cannot be read.
    """
    from aeib.audio import write_audio
    from aeib.dsp.loudness import integrated_loudness_lufs

    info = audio_info(path)
    audio = read_frames(info.path, start, frames)
    lufs = integrated_loudness_lufs(audio, info.sample_rate)
    preview, rate = _preview(audio, info.sample_rate)
    with tempfile.TemporaryDirectory(prefix="aeib-report-") as folder:
        target = Path(folder) / "excerpt.mp3"
        write_audio(target, preview, rate, "MP3", "MP3", bitrate_kbps=PREVIEW_BITRATE_KBPS)
        data = target.read_bytes()
    return Excerpt(data, start / info.sample_rate, frames / info.sample_rate, lufs)


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.4g}"
    return f"{text} {unit}".strip() if unit not in ("", "-") else text


def settings_rows(params: Mapping[str, float], schema) -> str:
    """HTML rows of the settings table: name, description, value, neutral value; changed rows marked."""
    rows = []
    for spec in schema:
        value = params.get(spec.name, spec.default)
        changed = not math.isclose(value, spec.default, rel_tol=1e-6, abs_tol=1e-9)
        rows.append(f"<tr class=\"{'changed' if changed else 'neutral'}\"><td><code>{html.escape(spec.name)}</code></td>"
                    f"<td>{html.escape(spec.description)}</td><td>{html.escape(_fmt(value, spec.unit))}</td>"
                    f"<td>{html.escape(_fmt(spec.default, spec.unit))}</td></tr>")
    for name in params:
        if name not in schema.names:
            rows.append(f"<tr class=\"changed\"><td><code>{html.escape(name)}</code></td><td></td>"
                        f"<td>{params[name]:.4g}</td><td></td></tr>")
    return "\n".join(rows)


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;background:#fff}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
.players{display:flex;gap:2em;flex-wrap:wrap}.players figure{margin:0}.players figcaption{font-weight:600;margin-bottom:.3em}
table{border-collapse:collapse;font-size:.9em}td,th{border-bottom:1px solid #eee;padding:.2em .6em;text-align:left}
tr.neutral{color:#888}pre{background:#f5f5f5;padding:.8em;overflow-x:auto;white-space:pre-wrap}
img{max-width:100%;height:auto}ul.summary li{margin:.2em 0}.note{color:#555;font-size:.9em}
"""

_SCRIPT = """
(function () {
  var before = document.getElementById('before'), after = document.getElementById('after');
  var toggle = document.getElementById('matched'), note = document.getElementById('matched-note');
  var diff = parseFloat(toggle.dataset.differenceDb);  // after minus before, LU
  function apply() {
    var on = toggle.checked && isFinite(diff);
    var down = on ? Math.pow(10, -Math.abs(diff) / 20) : 1;
    before.volume = on && diff < 0 ? down : 1;
    after.volume = on && diff > 0 ? down : 1;
    note.textContent = !isFinite(diff) ? 'loudness could not be measured (silence)'
      : on ? ('the ' + (diff > 0 ? 'after' : 'before') + ' excerpt is turned down ' + Math.abs(diff).toFixed(1) + ' dB')
      : 'raw levels (after is ' + (diff >= 0 ? '+' : '') + diff.toFixed(1) + ' LU against before)';
  }
  function only(playing, other) { playing.addEventListener('play', function () { other.pause(); }); }
  only(before, after); only(after, before);
  toggle.addEventListener('change', apply);
  apply();
})();
"""


def render_report(*, title: str, before: Excerpt, after: Excerpt, summary: Sequence[str], params: Mapping[str, float],
                  schema, command: str, params_json: str, figure_png: bytes | None, total_s: float) -> str:
    """The page as one HTML string (see the module docstring)."""
    difference = after.lufs - before.lufs if math.isfinite(before.lufs) and math.isfinite(after.lufs) else float("nan")
    stretch = ("the whole recording" if before.seconds >= total_s - 0.05 else
               f"{_clock(before.start_s)}–{_clock(before.start_s + before.seconds)} of {_clock(total_s)}")
    figure = (f'<img id="figure" alt="EQ, compressor and spectra before and after" src="{_data_url("image/png", figure_png)}">'
              if figure_png else "<p>no figure</p>")
    items = "\n".join(f"<li>{html.escape(line)}</li>" for line in summary)
    diff_attr = "NaN" if math.isnan(difference) else f"{difference:.3f}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<h2>Listen</h2>
<p class="note">Excerpt: {html.escape(stretch)}.</p>
<div class="players">
<figure><figcaption>before</figcaption><audio id="before" controls preload="auto" src="{_data_url("audio/mpeg", before.mp3)}"></audio></figure>
<figure><figcaption>after</figcaption><audio id="after" controls preload="auto" src="{_data_url("audio/mpeg", after.mp3)}"></audio></figure>
</div>
<p><label><input type="checkbox" id="matched" checked data-difference-db="{diff_attr}"> matched loudness</label>
<span id="matched-note" class="note"></span></p>
<h2>Summary</h2>
<ul class="summary">
{items}
</ul>
<h2>Plots</h2>
{figure}
<h2>Settings</h2>
<p class="note">Physical units; grey rows are at their neutral value.
<a download="settings.json" href="{_data_url("application/json", params_json.encode("utf-8"))}">Save as a parameter file</a>
(re-apply with <code>aeib apply IN -o OUT --params settings.json</code>).</p>
<table id="settings"><thead><tr><th>parameter</th><th>what</th><th>value</th><th>neutral</th></tr></thead>
<tbody>
{settings_rows(params, schema)}
</tbody></table>
<h2>Reproduce</h2>
<pre id="command">{html.escape(command)}</pre>
<script>{_SCRIPT}</script>
</body></html>
"""


def write_report(path: str | os.PathLike, *, source: str | os.PathLike, output: str | os.PathLike, title: str,
                 summary: Sequence[str], params: Mapping[str, float], schema, command: str, params_json: str,
                 figure=None) -> Path:
    """Write the page atomically.

    Args:
        path: The ``.html`` file.
        source, output: The input and the enhanced file (same rate and length).
        title: Page title.
        summary: Lines of the plain summary.
        params: The setting used, physical units.
        schema: The parameter schema (for descriptions and neutral values).
        command: The command line that reproduces the output.
        params_json: The setting as a parameter file (offered for download).
        figure: A matplotlib figure to embed as PNG (closed here), or None.

    Raises:
        AudioError, OutputError: unreadable audio or an unwritable page.
    """
    info = audio_info(source)
    start, frames = excerpt_window(info.frames, info.sample_rate)
    before, after = make_excerpt(source, start, frames), make_excerpt(output, start, frames)
    png = None
    if figure is not None:
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        try:
            figure.savefig(buffer, dpi=90, format="png")
        finally:
            plt.close(figure)
        png = buffer.getvalue()
    page = render_report(title=title, before=before, after=after, summary=summary, params=params, schema=schema,
                         command=command, params_json=params_json, figure_png=png, total_s=info.duration_s)
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
