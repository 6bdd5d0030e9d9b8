#!/usr/bin/env bash
# Regenerates the default Vietnamese voice pack (assets/voice/vi/) with espeak-ng.
# Needs: espeak-ng and sox (Debian: apt-get install espeak-ng sox), and cargo.
# To use a real human voice instead, record one WAV per line of
# `motcua voice-clips` (mono, 16-bit, 22050 Hz) into a folder of your own.
# Clips already there are kept (a pack grows when motcua learns new sentences);
# `generate.sh --all` makes every clip again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/vi"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
format=(-r 22050 -c 1 -b 16)
# Silence trimmed at both ends, so the pack's own gaps set the rhythm.
trim=(silence 1 0.02 1% reverse silence 1 0.02 1% reverse)

cd "$here/../.."
all=${1:-}
cargo run -q -- voice-clips | while IFS=$'\t' read -r id text; do
  [ "$all" != "--all" ] && [ -f "$out/$id.wav" ] && continue
  espeak-ng -v vi -s 135 -w "$tmp/raw.wav" "$text"
  sox "$tmp/raw.wav" "${format[@]}" "$out/$id.wav" "${trim[@]}"
done

# A two-tone chime (ding-dong) before each announcement.
[ "$all" != "--all" ] && [ -f "$out/chime.wav" ] && { echo "voice pack in $out ($(ls "$out" | wc -l) clips)"; exit 0; }
sox -n "${format[@]}" "$tmp/ding.wav" synth 0.35 sine 880 fade q 0.01 0.35 0.3 vol 0.5
sox -n "${format[@]}" "$tmp/dong.wav" synth 0.6 sine 660 fade q 0.01 0.6 0.55 vol 0.5
sox "$tmp/ding.wav" "$tmp/dong.wav" "$out/chime.wav"
echo "voice pack written to $out ($(ls "$out" | wc -l) clips)"
