#!/usr/bin/env bash
# Fetch aeib's free music corpus: the soundtracks of eight free games, from Debian packages.
#
#   scripts/fetch_music.sh [TARGET_DIR]        (default: data/music in the repository, git-ignored)
#
# data v1: wesnoth-1.16-music (Vorbis), warzone2100-music (Opus), nexuiz-music (Vorbis in music.pk3).
# data v2 adds: fretsonfire-songs-muldjord (rock songs; each song's stems are mixed into one FLAC),
# asc-music (MP3), drascula-music (Vorbis), colobot-common-sounds (its music/ folder only) and
# boswars-data (its intro music only). No other Debian music package is used: the rest are kept apart
# for independent evaluation. Each package is fetched with `apt-get download` into a cache folder
# (TARGET_DIR/.cache/debs, or $AEIB_DEB_CACHE), unpacked with `dpkg -x` into a scratch folder, and only
# its music files are copied to TARGET_DIR/<game>/, next to the package's copyright file (licences).
# Mixing the Frets on Fire stems needs a Python with numpy and soundfile ($AEIB_PYTHON, else the
# repository's .venv/bin/python, else python3).
# Idempotent: a game whose folder holds a .complete marker for the same package version is skipped, and
# a cached .deb is not downloaded again. Each game folder is assembled beside its final place and
# renamed into place only when complete, so an interrupted run leaves nothing half-written.
# Needs apt-get and dpkg (Debian/Ubuntu); runs `apt-get update` once when a package is unknown.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-$repo_root/data/music}"
if [[ "${target}" == "-h" || "${target}" == "--help" ]]; then
    sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
fi
cache="${AEIB_DEB_CACHE:-$target/.cache/debs}"

# game folder name : Debian package : which files are music (an extended regex on the unpacked path)
packages=(
    "wesnoth:wesnoth-1.16-music:."
    "warzone2100:warzone2100-music:."
    "nexuiz:nexuiz-music:."
    "fretsonfire:fretsonfire-songs-muldjord:/songs/"
    "asc:asc-music:/music/"
    "drascula:drascula-music:/audio/"
    "colobot:colobot-common-sounds:/colobot/music/"
    "boswars:boswars-data:/intro/[^/]*[.]ogg$"
)
python_bin="${AEIB_PYTHON:-}"
if [[ -z "$python_bin" ]]; then
    if [[ -x "$repo_root/.venv/bin/python" ]]; then python_bin="$repo_root/.venv/bin/python"; else python_bin=python3; fi
fi

mix_stems() {  # mix each Frets on Fire song folder's stems (song, guitar, rhythm) into <song>.flac
    local songs_root="$1" dest="$2"
    "$python_bin" - "$songs_root" "$dest" <<'EOF'
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

root, dest = Path(sys.argv[1]), Path(sys.argv[2])
for folder in sorted(p.parent for p in root.rglob("song.ogg")):
    stems = [folder / f"{name}.ogg" for name in ("song", "guitar", "rhythm") if (folder / f"{name}.ogg").is_file()]
    decoded = [sf.read(str(path), dtype="float32", always_2d=True) for path in stems]
    rate = decoded[0][1]
    if any(r != rate for _, r in decoded):
        sys.exit(f"fetch_music: stems of {folder.name} have different sample rates")
    frames = max(a.shape[0] for a, _ in decoded)
    channels = max(a.shape[1] for a, _ in decoded)
    mix = np.zeros((frames, channels), dtype=np.float64)
    for audio, _ in decoded:
        mix[: audio.shape[0]] += audio if audio.shape[1] == channels else audio.mean(axis=1, keepdims=True)
    peak = float(np.max(np.abs(mix)))
    if peak > 0.99:
        mix *= 0.99 / peak   # one gain for the whole song: the stems' balance is the band's own
    sf.write(str(dest / f"{folder.name}.flac"), mix.astype(np.float32), rate, subtype="PCM_16")
    print(f"fetch_music: mixed {folder.name} from {', '.join(p.stem for p in stems)}", file=sys.stderr)
EOF
}

for tool in apt-get apt-cache dpkg dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "fetch_music: $tool not found (needs a Debian-based system)" >&2; exit 1; }
done
mkdir -p "$target" "$cache"

updated=0
ensure_known() {  # make sure apt knows the package; update the lists once if it does not
    local pkg="$1"
    if apt-cache show "$pkg" >/dev/null 2>&1; then return 0; fi
    if [[ $updated -eq 0 ]]; then
        echo "fetch_music: $pkg unknown to apt; running apt-get update" >&2
        apt-get update -qq
        updated=1
    fi
    apt-cache show "$pkg" >/dev/null 2>&1 || { echo "fetch_music: package $pkg not found in the apt sources" >&2; exit 1; }
}

extract_pk3_audio() {  # extract only the audio members of a .pk3 (zip) archive into a folder
    local pk3="$1" dest="$2"
    mkdir -p "$dest"
    if command -v unzip >/dev/null; then
        local members=()
        mapfile -t members < <(unzip -Z1 "$pk3" | grep -iE '\.(ogg|opus|flac|wav)$' || true)
        [[ ${#members[@]} -eq 0 ]] || unzip -q -o "$pk3" "${members[@]}" -d "$dest"
    else
        python3 - "$pk3" "$dest" <<'EOF'
import sys, zipfile
pk3, dest = sys.argv[1:]
with zipfile.ZipFile(pk3) as archive:
    for name in archive.namelist():
        if name.lower().endswith((".ogg", ".opus", ".flac", ".wav")):
            archive.extract(name, dest)
EOF
    fi
}

for entry in "${packages[@]}"; do
    IFS=: read -r game pkg include <<< "$entry"
    ensure_known "$pkg"
    version="$(apt-cache show "$pkg" | sed -n 's/^Version: //p' | head -n1)"
    final="$target/$game"
    if [[ -f "$final/.complete" && "$(cat "$final/.complete")" == "$pkg $version" ]]; then
        echo "fetch_music: $game already complete ($pkg $version)" >&2
        continue
    fi

    deb="$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n1)"
    if [[ -n "$deb" ]] && ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
        rm -f "$deb"; deb=""   # a truncated download from an interrupted run
    fi
    if [[ -z "$deb" || "$(dpkg-deb --field "$deb" Version)" != "$version" ]]; then
        echo "fetch_music: downloading $pkg $version" >&2
        (cd "$cache" && apt-get download -q "$pkg")
        deb="$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n1)"
    fi

    scratch="$(mktemp -d "$target/.unpack-$game.XXXXXX")"
    staging="$target/.$game.partial"
    trap 'rm -rf "$scratch" "$staging"' EXIT
    rm -rf "$staging"
    mkdir -p "$staging"
    dpkg -x "$deb" "$scratch/root"
    while IFS= read -r -d '' pk3; do
        extract_pk3_audio "$pk3" "$scratch/pk3-$(basename "$pk3" .pk3)"
    done < <(find "$scratch/root" -iname '*.pk3' -print0)

    count=0
    if [[ "$game" == "fretsonfire" ]]; then
        mix_stems "$scratch/root" "$staging"
        count="$(find "$staging" -name '*.flac' | wc -l)"
    fi
    while IFS= read -r -d '' file; do
        [[ "$game" == "fretsonfire" ]] && break
        rel="${file#"$scratch"/}"
        [[ "$rel" =~ $include ]] || continue
        # keep the path below the game's music folder (music/ or sound/cdtracks/), else the file name
        case "$rel" in
            */cdtracks/*) rel="${rel#*/cdtracks/}" ;;
            */music/*) rel="${rel#*/music/}" ;;
            */drascula/audio/*) rel="${rel#*/audio/}" ;;
            *) rel="$(basename "$rel")" ;;
        esac
        mkdir -p "$staging/$(dirname "$rel")"
        cp "$file" "$staging/$rel"
        count=$((count + 1))
    done < <(find "$scratch" -type f \( -iname '*.ogg' -o -iname '*.opus' -o -iname '*.flac' -o -iname '*.wav' -o -iname '*.mp3' \) -print0 | sort -z)
    if [[ $count -eq 0 ]]; then
        echo "fetch_music: no audio files found in $pkg" >&2
        exit 1
    fi
    find "$scratch/root/usr/share/doc" -name copyright -exec cp {} "$staging/COPYRIGHT" \; 2>/dev/null || true
    echo "$pkg $version" > "$staging/.complete"
    rm -rf "$final"
    mv "$staging" "$final"
    rm -rf "$scratch"
    trap - EXIT
    echo "fetch_music: $game: $count audio files ($pkg $version)" >&2
done

total="$(find "$target" -path "$target/.cache" -prune -o -type f \( -iname '*.ogg' -o -iname '*.opus' -o -iname '*.flac' -o -iname '*.wav' -o -iname '*.mp3' \) -print | wc -l)"
size="$(du -sh --exclude=.cache "$target" | cut -f1)"
echo "fetch_music: $total audio files, $size in $target (downloaded packages cached in $cache)" >&2
