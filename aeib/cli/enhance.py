"""``aeib enhance``: let the analyzer choose the EQ/compressor setting and apply it to a file or folder."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from aeib.analysis_options import AnalysisOptions
from aeib.audio import WRITABLE_SUFFIXES
from aeib.avio import check_bitrate_applies
from aeib.cli.messages import error_text
from aeib.errors import AeibError, AudioError, OutputError
from aeib.progress import write_line

ANALYSIS_DEFAULTS = AnalysisOptions()
"""The analysis settings ``aeib enhance`` uses unless told otherwise (the library's defaults)."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _shipped_styles() -> str:
    """The shipped model's styles for the --style help (read from its bundle JSON; empty if unreadable)."""
    try:
        import json

        from aeib.runtime.bundle import default_bundle_json

        styles = json.loads(default_bundle_json().read_text(encoding="utf-8")).get("styles", {})
        return ", ".join(sorted(styles)) if isinstance(styles, dict) else ""
    except Exception:  # the help must never fail
        return ""

SETTING_FLAGS = {"bitrate_kbps": "--bitrate"}
"""Flags for the library arguments whose names differ from them (error messages)."""


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
        "Inputs: anything soundfile reads (WAV, FLAC, OGG, Opus, AIFF, MP3) and anything FFmpeg reads "
        "(m4a/AAC/ALAC, mp4/mov/mkv/webm videos: their first audio stream). Outputs by extension: .wav, "
        ".flac, .aiff, .ogg, .opus, and .m4a (AAC), .mp3, .mp4/.mov/.mkv (AAC; the video stream of a video "
        "input is copied untouched). "
        "If INPUT is a folder, every file in it (not in subfolders, not hidden) is enhanced into the folder "
        "OUTPUT, which must differ from INPUT; a file that cannot be read or enhanced is named with the "
        "reason and skipped, and the exit code is then 2. "
        "Outputs are written to temporary files and renamed into place only when complete; the input "
        "is never modified.",
    )
    parser.add_argument("input", metavar="INPUT",
                        help="audio or video file (WAV, FLAC, OGG, Opus, AIFF, MP3, m4a, mp4, mov, mkv, webm, ...) or folder")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                        help="output file (format from its extension: " + ", ".join(WRITABLE_SUFFIXES) +
                        "), or output folder if INPUT is a folder")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--reference", metavar="REF",
                        help="a recording that sounds the way you want (any rate/channels; several windows "
                        "of it are embedded and their median used)")
    shipped = _shipped_styles()
    target.add_argument("--style", metavar="NAME",
                        help="a built-in target style of the model (default: the model's default style). "
                        + (f"The shipped model's styles: {shipped}; " if shipped else "")
                        + "another --model may have others (a wrong name lists them)")
    parser.add_argument("--params-out", metavar="P.json",
                        help="also write the setting used (physical units) in the format `aeib apply --params` "
                        "reads; with --adaptive, the median setting. Folder mode: a folder, one "
                        "OUTPUTNAME.json per file")
    parser.add_argument("--plot", metavar="P.png",
                        help="also draw the EQ curve, the compressor curve, the before/after long-term spectra "
                        "at matched loudness and the raw level change (and, with --adaptive, the main parameters "
                        "over time); PNG, SVG or PDF by the extension. Folder mode: a folder, one OUTPUTNAME.png per file")
    parser.add_argument("--report", metavar="R.html",
                        help="also write one self-contained HTML page: before/after players with a matched-loudness "
                        "switch, the plots, the settings, the summary and the command that reproduces the output. "
                        "Folder mode: a folder, one OUTPUTNAME.html per file")
    parser.add_argument("--bitrate", type=int, default=None, metavar="KBPS",
                        help="bit rate of an AAC (.m4a/.mp4/.mov/.mkv) or MP3 output in kbit/s, 32-320 (default 192); "
                        "refused for another output file (folder mode: used for the AAC/MP3 files)")
    parser.add_argument("--model", metavar="PATH",
                        help="analyzer bundle (.json, or .tflite with its JSON beside it) written by "
                        "`aeib export`; default: the model shipped with aeib")
    parser.add_argument("--refine", type=float, default=None, metavar="S",
                        help="with --reference, move the EQ this fraction of the way from the analyzer's setting "
                        "toward the curve of the bundle's learned refinement (the shipped model's: default 1), or, "
                        "for a bundle without one, toward the measured match of the reference's long-term spectrum "
                        "(default 0.25), 0-1 (0 = the analyzer alone); without --reference, toward the style's "
                        "tonal target, matched within ±1 dB (default 0.5)")
    parser.add_argument("--match", type=float, default=None, metavar="B",
                        help="with --reference, move the refinement's EQ curve this share of the way on to the "
                        "reference's measured spectrum (limited to the EQ's ±18 dB), 0-1 (default 0): more repairs "
                        "more of a recording the analyzer misjudges, and changes one that needed nothing more "
                        "(0.25: about twice the change to a clean recording; docs/TRAINING.md)")
    parser.add_argument("--dead-zone", type=float, default=None, metavar="DB", dest="dead_zone",
                        help="move each EQ band's gain this many dB toward 0 after the refinement, so smaller "
                        "moves are not made: the analyzer's small moves are mostly guesses about a recording "
                        "that needs nothing (default 1 without --reference, 0 = off with one; not with --adaptive)")
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
    parser.add_argument("--max-windows", type=int, default=ANALYSIS_DEFAULTS.max_windows, metavar="N",
                        help="fixed mode: most analysis windows per file, spread at most "
                        f"{ANALYSIS_DEFAULTS.spacing_s:g} s apart (default %(default)s)")
    parser.add_argument("--hop", type=float, default=None, metavar="S",
                        help=f"with --adaptive: seconds between analysis windows (default {ANALYSIS_DEFAULTS.hop_s:g})")
    parser.add_argument("--smoothing", type=float, default=None, metavar="S",
                        help=f"with --adaptive: standard deviation of the smoothing over time, seconds "
                        f"(default {ANALYSIS_DEFAULTS.smoothing_s:g})")
    subtype = parser.add_mutually_exclusive_group()
    subtype.add_argument("--float", dest="float_output", action="store_true", default=None,
                         help="write 32-bit float WAV/AIFF regardless of the input's format")
    subtype.add_argument("--pcm24", dest="float_output", action="store_false",
                         help="write 24-bit PCM WAV/AIFF regardless of the input's format")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar, summary or warnings")
    parser.set_defaults(handler=run, enhance_parser=parser)


def _warner(quiet: bool):
    def warn(message: str) -> None:
        if not quiet:
            write_line(f"aeib: warning: {message}")
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
    from aeib.runtime.dead_zone import check_dead_zone
    from aeib.runtime.refine import check_match, check_refine
    from aeib.runtime.render import check_loudness

    check_strength(args.strength)  # bad --strength/--loudness: one error line before any work
    check_refine(args.refine, "--refine")
    check_match(args.match, args.reference is not None, "--match")
    check_dead_zone(args.dead_zone, "--dead-zone")
    check_loudness(args.loudness)

    if args.adaptive and args.match:
        raise AeibError("--match moves the refined EQ, and --adaptive is not refined; leave one out")
    if not args.adaptive:
        given = [flag for flag, value in (("--hop", args.hop), ("--smoothing", args.smoothing)) if value is not None]
        if given:
            verb, pronoun = ("applies", "it") if len(given) == 1 else ("apply", "them")
            raise AeibError(f"{' and '.join(given)} only {verb} with --adaptive; add --adaptive or leave {pronoun} out")
    hop = ANALYSIS_DEFAULTS.hop_s if args.hop is None else args.hop
    smoothing = ANALYSIS_DEFAULTS.smoothing_s if args.smoothing is None else args.smoothing
    return AnalysisOptions(max_windows=args.max_windows, hop_s=hop, smoothing_s=smoothing)


def _check_model_arg(model: str | None) -> None:
    """A --model folder must hold a bundle (the runtime's own message speaks of the installation)."""
    if model is None or not Path(model).is_dir():
        return
    from aeib.runtime.errors import ModelError

    if not any(Path(model).glob("*.json")):
        raise ModelError(f"--model {model} is a folder without an analyzer bundle in it; give the bundle's "
                         ".json (or its .tflite), or a folder holding one NAME.VARIANT.json + .tflite pair "
                         "written by `aeib export`")


def reproduce_command(args: argparse.Namespace, **paths) -> str:
    """The ``aeib enhance ...`` command line that makes this output (options that differ from defaults).

    ``paths`` overrides destinations by option name (``input``, ``output``, ``params_out``, ``plot``,
    ``report``), for one file of a folder run.
    """
    parser = args.enhance_parser
    words = ["aeib", "enhance"]
    for action in parser._actions:
        if action.dest in ("help", "quiet"):
            continue
        value = paths.get(action.dest, getattr(args, action.dest, None))
        if not action.option_strings:
            words.append(str(value))
            continue
        if value is None or value == action.default and action.dest not in paths:
            continue
        flag = action.option_strings[-1]
        if action.nargs == 0:  # store_true / store_const flags
            if value == action.const:
                words.append(flag)
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def _trajectory(model, result):
    analysis = result.analysis
    if result.mode != "adaptive" or getattr(analysis, "trajectory01", None) is None:
        return None
    schema = model.schema
    return analysis.times_s, [schema.to_dict(schema.denormalize(row)) for row in analysis.trajectory01]


def _enhance_one(model, source: Path, output: Path, params_out: Path | None, plot: Path | None,
                 args: argparse.Namespace, options, progress: bool, report: Path | None = None):
    """Enhance one file and write the side outputs; returns (result, summary lines)."""
    from aeib.api import Enhancer
    from aeib.audio import atomic_output
    from aeib.settings import setting_to_json
    from aeib.summary import measure_levels, summary_lines

    enhancer = Enhancer(model, reference=args.reference, style=args.style, strength=args.strength, refine=args.refine,
                        loudness=args.loudness, adaptive=args.adaptive, dead_zone_db=args.dead_zone, match=args.match)
    result = enhancer.enhance_file(source, output, options=options, float_output=args.float_output,
                                   bitrate_kbps=args.bitrate, spectra=plot is not None or report is not None,
                                   progress=progress, warn=_warner(args.quiet))
    params_json = setting_to_json(result.setting)
    if params_out is not None:
        with atomic_output(params_out) as tmp:
            tmp.write_text(params_json, encoding="utf-8")
    levels = None
    if not args.quiet or plot is not None or report is not None:
        levels = measure_levels(source), measure_levels(output)
    setting = "median setting" if result.mode == "adaptive" else "setting"
    title = f"aeib enhance {source.name} — {setting} for {result.target}"
    figure_args = dict(spectra=result.spectra, title=title, trajectory=_trajectory(model, result),
                       loudness_lufs=(levels[0].lufs, levels[1].lufs) if levels else None)
    if plot is not None:
        from aeib.plots import plot_enhancement

        plot_enhancement(result.params, result.info.sample_rate, plot, **figure_args)
    written = [output] + [p for p in (params_out, plot, report) if p is not None]
    lines = summary_lines(result, result.params, *(levels or (None, None)), written)
    if report is not None:
        from aeib.plots import enhancement_figure
        from aeib.report import write_report

        write_report(report, source=source, output=output, title=title, summary=[_summary(result)] + lines,
                     params=result.params, schema=model.schema, params_json=params_json,
                     command=reproduce_command(args, input=str(source), output=str(output),
                                               params_out=params_out and str(params_out),
                                               plot=plot and str(plot), report=str(report)),
                     figure=enhancement_figure(result.params, result.info.sample_rate, **figure_args))
    return result, lines


def _summary(result) -> str:
    analysis = result.analysis
    used = sum(w.used for w in analysis.windows)
    how = {"fixed": f"median of {_plural(used, 'analysis window')}",
           "adaptive": f"adaptive over {len(analysis.windows)} windows ({used} used)",
           "passthrough": "silence copied through unchanged"}[result.mode]
    info = result.info
    return (f"wrote {result.output}: {info.duration_s:.1f} s, {info.sample_rate} Hz, {info.channels} ch; "
            f"{how}, target {result.target} ({result.seconds:.2f} s)")


def _print_summary(result, lines: list[str], write=None) -> None:
    write = write or (lambda text: print(text, file=sys.stderr))
    write(_summary(result))
    for line in lines:
        write(f"  {line}")


def run(args: argparse.Namespace) -> int:
    from aeib.runtime import load_model

    source = Path(args.input)
    if source.is_dir():
        return _run_folder(args, source)
    output = Path(args.output)
    if output.is_dir():
        raise OutputError(f"output {output} is a folder; give an output file name (folders are for folder input)")
    inputs = [source] + ([Path(args.reference)] if args.reference else [])
    sides = {"--params-out": args.params_out, "--plot": args.plot, "--report": args.report}
    for what, path in sides.items():
        _check_side_output(path, inputs + [output], what)
    seen: dict[Path, str] = {}
    for what, path in sides.items():
        if path and Path(path).resolve() in seen:
            raise OutputError(f"{seen[Path(path).resolve()]} and {what} name the same file")
        if path:
            seen[Path(path).resolve()] = what
    if args.plot:
        from aeib.plots import image_format

        image_format(args.plot)
    check_bitrate_applies(output, args.bitrate)
    if args.reference and Path(args.reference).exists() and Path(args.reference).resolve() == output.resolve():
        raise OutputError(f"output {output} is the reference file; choose another path")
    options = _options(args)
    _check_model_arg(args.model)
    model = load_model(args.model, args.threads)
    result, lines = _enhance_one(model, source, output, Path(args.params_out) if args.params_out else None,
                                 Path(args.plot) if args.plot else None, args, options, progress=not args.quiet,
                                 report=Path(args.report) if args.report else None)
    if not args.quiet:
        _print_summary(result, lines)
    return 0


def folder_outputs(folder: Path, out_folder: Path) -> list[tuple[Path, Path]]:
    """(input, output) pairs of a folder run: every regular, non-hidden file (whether it is readable
    audio is found out when it is enhanced); same names, ``.wav`` appended to formats aeib does not write."""
    pairs = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
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
        raise AudioError(f"{source} holds no audio files (no files at all, apart from hidden ones and subfolders)")
    options = _options(args)
    _check_model_arg(args.model)
    model = load_model(args.model, args.threads)
    try:
        out_folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {out_folder}: {exc.strerror or exc}") from None
    params_folder = _side_folder(args.params_out, "--params-out", source)
    plot_folder = _side_folder(args.plot, "--plot", source)
    report_folder = _side_folder(args.report, "--report", source)

    unreadable, failed = [], []
    from tqdm import tqdm

    with tqdm(pairs, unit="file", desc="enhance", disable=args.quiet or None, file=sys.stderr) as bar:
        for path, output in bar:
            params_out = params_folder / f"{output.name}.json" if params_folder else None
            plot = plot_folder / f"{output.name}.png" if plot_folder else None
            report = report_folder / f"{output.name}.html" if report_folder else None
            try:
                result, lines = _enhance_one(model, path, output, params_out, plot, args, options, progress=False,
                                             report=report)
            except AeibError as exc:
                (unreadable if "not a readable audio file" in str(exc) else failed).append(path.name)
                write_line(f"aeib: error: {path.name}: skipped: {error_text(exc, getattr(args, 'setting_flags', {}))}")
                continue
            if not args.quiet:
                _print_summary(result, lines, write_line)
    skipped = len(unreadable) + len(failed)
    if skipped:
        why = ", ".join(part for part in (f"{len(unreadable)} not readable audio" if unreadable else "",
                                          f"{len(failed)} failed" if failed else "") if part)
        raise AeibError(f"{skipped} of {_plural(len(pairs), 'file')} in {source} skipped ({why}; each named above); "
                        f"the other {len(pairs) - skipped} written to {out_folder}")
    if not args.quiet:
        print(f"enhanced {_plural(len(pairs), 'file')} into {out_folder}", file=sys.stderr)
    return 0
