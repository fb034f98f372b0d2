#!/usr/bin/env bash
# Formats C sources in GStreamer's style with GNU indent (Debian package
# "indent"), run twice as gst-indent does. With --check, only reports the
# files that are not formatted and exits 1 if there are any.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -euo pipefail
cd "$(dirname "$0")/.."

INDENT_ARGS=(--braces-on-if-line --case-brace-indentation0 --case-indentation2
  --braces-after-struct-decl-line --line-length80 --no-tabs --cuddle-else
  --dont-line-up-parentheses --continuation-indentation4 --honour-newlines
  --tab-size8 --indent-level2 --leave-preprocessor-space)

check=0
[ "${1:-}" = "--check" ] && { check=1; shift; }
files=("$@")
[ ${#files[@]} -eq 0 ] && mapfile -t files < <(git ls-files '*.c' '*.h')

bad=0
for f in "${files[@]}"; do
  tmp=$(mktemp)
  indent "${INDENT_ARGS[@]}" "$f" -o "$tmp"
  indent "${INDENT_ARGS[@]}" "$tmp" -o "$tmp.2"
  if ! cmp -s "$f" "$tmp.2"; then
    if [ $check -eq 1 ]; then
      echo "not formatted: $f"
      bad=1
    else
      cp "$tmp.2" "$f"
    fi
  fi
  rm -f "$tmp" "$tmp.2"
done
exit $bad
