"""``aeib enhance``: let the analyzer choose the EQ/compressor setting and apply it to a file or folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from aeib.errors import AeibError, AudioError, OutputError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".aif", ".aiff", ".aifc", ".mp3", ".caf",
                  ".w64", ".rf64", ".au", ".snd")
"""Files a folder run picks up (everything soundfile may read); other files are ignored."""
WRITABLE_SUFFIXES = (".wav", ".flac", ".aif", ".aiff", ".ogg", ".opus")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "enhance",
        help="repair a recording (or a folder of them): the analyzer picks the EQ/compressor setting",
        description="Analyse INPUT with the exported analyzer and run the EQ → compressor → limiter chain "
        "with the predicted setting at INPUT's own sample rate and channel count. The analyzer compares "
        "INPUT with a target: a reference recording (--reference), a built-in style (--style), or by "
        "default the model's 'clean live mix' style. It looks at several windows spread over the file "
        "(near-silent ones are skipped) and uses the median setting; --adaptive lets the setting follow "
        "the music, smoothed over time. Inputs shorter than one analysis window are extended by "
        "mirroring (with a warning); digital silence is copied through unchanged (with a warning). "
        "If INPUT is a folder, every audio file in it (not in subfolders) is enhanced into the folder "
        "OUTPUT, which must differ from INPUT; a bad file is reported and skipped and the exit code is 2. "
        "Outputs are written to temporary files and renamed into place only when complete; the input "
        "is never modified.",
    )
    parser.add_argument("input", metavar="INPUT", help="audio file (WAV, FLAC, OGG, Opus, AIFF, ...) or folder")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                        help="output file (container from its extension), or output folder if INPUT is a folder")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--reference", metavar="REF",
                        help="a recording that sounds the way you want (any rate/channels; several windows "
                        "of it are embedded and their median used)")
    target.add_argument("--style", metavar="NAME",
                        help="a built-in target style of the model (default: the model's default style, "
                        "'clean-live-mix' for the shipped model)")
    parser.add_argument("--params-out", metavar="P.json",
                        help="also write the setting used (physical units) in the format `aeib apply --params` "
                        "reads; with --adaptive, the median setting. Folder mode: a folder, one "
                        "OUTPUTNAME.json per file")
    parser.add_argument("--plot", metavar="P.png",
                        help="also draw the EQ curve, the compressor curve and the before/after long-term "
                        "spectra. Folder mode: a folder, one OUTPUTNAME.png per file")
    parser.add_argument("--model", metavar="PATH",
                        help="analyzer bundle (.json, or .tflite with its JSON beside it) written by "
                        "`aeib export`; default: the model shipped with aeib")
    parser.add_argument("--strength", type=float, default=1.0, metavar="S",
                        help="0…1 (default 1): how far the setting moves from neutral — gains, ratio and "
                        "makeup are scaled toward their neutral values; 0.5 is gentler, 0 leaves the "
                        "audio untouched (bit for bit). Written into --params-out")
    parser.add_argument("--loudness", default="auto", metavar="LUFS|keep|off",
                        help="loudness stage after the compressor: bring the integrated loudness (ITU BS.1770) "
                        "to LUFS, to the input's own (keep), or to the reference's (default with --reference; "
                        "without one −16 LUFS); a boost stops at −1 dBTP true peak; off disables it. The "
                        "measured gain is written into --params-out")
    parser.add_argument("--adaptive", action="store_true",
                        help="let the setting change slowly over time (windows every --hop seconds, "
                        "Gaussian smoothing of --smoothing seconds) instead of one setting for the whole file")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="interpreter threads for the analyzer (default 1)")
    parser.add_argument("--max-windows", type=int, default=16, metavar="N",
                        help="fixed mode: most analysis windows per file, spread at most 15 s apart (default 16)")
    parser.add_argument("--hop", type=float, default=2.5, metavar="S",
                        help="adaptive mode: seconds between analysis windows (default 2.5)")
    parser.add_argument("--smoothing", type=float, default=5.0, metavar="S",
                        help="adaptive mode: standard deviation of the smoothing over time, seconds (default 5)")
    subtype = parser.add_mutually_exclusive_group()
    subtype.add_argument("--float", dest="float_output", action="store_true", default=None,
                         help="write 32-bit float WAV/AIFF regardless of the input's format")
    subtype.add_argument("--pcm24", dest="float_output", action="store_false",
                         help="write 24-bit PCM WAV/AIFF regardless of the input's format")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar, summary or warnings")
    parser.set_defaults(handler=run)


def _warner(quiet: bool):
    def warn(message: str) -> None:
        if not quiet:
            tqdm.write(f"aeib: warning: {message}", file=sys.stderr)
    return warn


def _check_side_output(path: str | None, inputs: list[Path], what: str) -> None:
    """Refuse a --params-out/--plot path that is an input or whose folder does not exist (before any work)."""
    if path is None:
        return
    from aeib.audio import same_file

    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{what} {target} is a folder; give a file name")
    if not target.parent.is_dir():
        raise OutputError(f"cannot write {target}: directory {target.parent} does not exist")
    for source in inputs:
        if source is not None and same_file(source, target):
            raise OutputError(f"{what} {target} is an input file; choose another path (aeib never overwrites its input)")


def _options(args: argparse.Namespace):
    from aeib.dsp.schema import check_strength
    from aeib.runtime import AnalysisOptions
    from aeib.runtime.render import check_loudness

    check_strength(args.strength)  # bad --strength/--loudness: one error line before any work
    check_loudness(args.loudness)

    return AnalysisOptions(max_windows=args.max_windows, hop_s=args.hop, smoothing_s=args.smoothing)


def _enhance_one(model, source: Path, output: Path, params_out: Path | None, plot: Path | None,
                 args: argparse.Namespace, options, progress: bool):
    from aeib.audio import atomic_output
    from aeib.api import Enhancer
    from aeib.settings import setting_to_json

    enhancer = Enhancer(model, reference=args.reference, style=args.style, strength=args.strength,
                        loudness=args.loudness, adaptive=args.adaptive)
    result = enhancer.enhance_file(source, output, options=options, float_output=args.float_output,
                                   spectra=plot is not None, progress=progress, warn=_warner(args.quiet))
    if params_out is not None:
        with atomic_output(params_out) as tmp:
            tmp.write_text(setting_to_json(result.setting), encoding="utf-8")
    if plot is not None:
        from aeib.plots import plot_enhancement

        setting = "median setting" if result.mode == "adaptive" else "setting"
        plot_enhancement(result.params, result.info.sample_rate, plot, result.spectra,
                         title=f"aeib enhance {source.name} — {setting} for {result.target}")
    return result


def _summary(result) -> str:
    analysis = result.analysis
    used = sum(w.used for w in analysis.windows)
    how = {"fixed": f"median of {used} analysis window{'s' * (used != 1)}",
           "adaptive": f"adaptive over {len(analysis.windows)} windows ({used} used)",
           "passthrough": "silence copied through unchanged"}[result.mode]
    info = result.info
    return (f"wrote {result.output}: {info.duration_s:.1f} s, {info.sample_rate} Hz, {info.channels} ch; "
            f"{how}, target {result.target} ({result.seconds:.2f} s)")


def run(args: argparse.Namespace) -> int:
    from aeib.runtime import load_model

    source = Path(args.input)
    if source.is_dir():
        return _run_folder(args, source)
    output = Path(args.output)
    if output.is_dir():
        raise OutputError(f"output {output} is a folder; give an output file name (folders are for folder input)")
    inputs = [source] + ([Path(args.reference)] if args.reference else [])
    _check_side_output(args.params_out, inputs + [output], "--params-out")
    _check_side_output(args.plot, inputs + [output], "--plot")
    if args.params_out and args.plot and Path(args.params_out).resolve() == Path(args.plot).resolve():
        raise OutputError("--params-out and --plot name the same file")
    if args.reference and Path(args.reference).exists() and Path(args.reference).resolve() == output.resolve():
        raise OutputError(f"output {output} is the reference file; choose another path")
    options = _options(args)
    model = load_model(args.model, args.threads)
    result = _enhance_one(model, source, output, Path(args.params_out) if args.params_out else None,
                          Path(args.plot) if args.plot else None, args, options, progress=not args.quiet)
    if not args.quiet:
        print(_summary(result), file=sys.stderr)
    return 0


def folder_outputs(folder: Path, out_folder: Path) -> list[tuple[Path, Path]]:
    """(input, output) pairs of a folder run: same names, ``.wav`` appended to unwritable formats."""
    pairs = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        name = path.name if path.suffix.lower() in WRITABLE_SUFFIXES else path.name + ".wav"
        pairs.append((path, out_folder / name))
    return pairs


def _side_folder(path: str | None, what: str, source: Path) -> Path | None:
    if path is None:
        return None
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"in folder mode {what} must be a folder, and {folder} is a file")
    if folder.resolve() == source.resolve():
        raise OutputError(f"{what} {folder} is the input folder; choose another (aeib never writes into its input folder)")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {folder}: {exc.strerror or exc}") from None
    return folder


def _run_folder(args: argparse.Namespace, source: Path) -> int:
    from aeib.runtime import load_model

    out_folder = Path(args.output)
    if out_folder.exists() and not out_folder.is_dir():
        raise OutputError(f"INPUT is a folder, so OUTPUT must be a folder, and {out_folder} is a file")
    if out_folder.resolve() == source.resolve():
        raise OutputError(f"output folder {out_folder} is the input folder; choose another "
                          "(aeib never overwrites its inputs)")
    pairs = folder_outputs(source, out_folder)
    if not pairs:
        raise AudioError(f"{source} holds no audio files ({', '.join(AUDIO_SUFFIXES)})")
    options = _options(args)
    model = load_model(args.model, args.threads)
    try:
        out_folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {out_folder}: {exc.strerror or exc}") from None
    params_folder = _side_folder(args.params_out, "--params-out", source)
    plot_folder = _side_folder(args.plot, "--plot", source)

    failed = 0
    with tqdm(pairs, unit="file", desc="enhance", disable=args.quiet or None, file=sys.stderr) as bar:
        for path, output in bar:
            params_out = params_folder / f"{output.name}.json" if params_folder else None
            plot = plot_folder / f"{output.name}.png" if plot_folder else None
            try:
                result = _enhance_one(model, path, output, params_out, plot, args, options, progress=False)
            except AeibError as exc:
                failed += 1
                tqdm.write(f"aeib: error: {path.name}: {exc}", file=sys.stderr)
                continue
            if not args.quiet:
                tqdm.write(_summary(result), file=sys.stderr)
    if failed:
        raise AeibError(f"{failed} of {len(pairs)} files in {source} failed (reported above); "
                        f"the other {len(pairs) - failed} were written to {out_folder}")
    if not args.quiet:
        print(f"enhanced {len(pairs)} files into {out_folder}", file=sys.stderr)
    return 0
