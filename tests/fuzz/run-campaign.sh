#!/usr/bin/env bash
# Long fuzzing campaign: runs every libFuzzer target of a -Dfuzzing=true
# build for SECONDS each (JOBS targets at a time, at nice $NICE, default
# 10), then merges
# what it found into a minimised corpus and prints one line per target
# (executions, coverage, findings). Not part of the test command.
#
#   CC=clang meson setup build-fuzz -Dfuzzing=true \
#     -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
#     -Dc_args=-fno-sanitize=alignment && ninja -C build-fuzz
#   tests/fuzz/run-campaign.sh build-fuzz 1800 2
#
# With UPDATE_CORPUS=1 the minimised corpora replace tests/fuzz/corpus/*.
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
BUILD=${1:?usage: run-campaign.sh BUILD_DIR [SECONDS] [JOBS]}
SECONDS_EACH=${2:-1800}
JOBS=${3:-2}
NICE=${NICE:-10}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${OUT:-$BUILD/fuzz-campaign}
mkdir -p "$OUT"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$TOP/tests/lsan.supp:print_suppressions=0

run_one () {
  local target=$1 name=${1##*/fuzz-} dir=$OUT/${1##*/fuzz-}
  rm -rf "$dir" && mkdir -p "$dir/new" "$dir/min" "$dir/artifacts"
  # -timeout is wall-clock time per input: generous, so that a loaded
  # machine starving the fuzzer does not count as a finding (replay any
  # timeout-* artifact on its own to tell)
  nice -n "$NICE" "$target" -max_total_time="$SECONDS_EACH" -timeout=120 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" "$dir/new" \
    "$TOP/tests/fuzz/corpus/$name" >"$dir/run.log" 2>&1
  echo $? >"$dir/rc"
  nice -n "$NICE" "$target" -merge=1 "$dir/min" "$TOP/tests/fuzz/corpus/$name" \
    "$dir/new" >"$dir/merge.log" 2>&1
}
export -f run_one
export OUT SECONDS_EACH TOP NICE

find "$BUILD/tests/fuzz" -maxdepth 1 -type f -executable -name 'fuzz-*' |
  sort | xargs -P "$JOBS" -I{} bash -c 'run_one {}'

status=0
for target in $(find "$BUILD/tests/fuzz" -maxdepth 1 -type f -executable \
    -name 'fuzz-*' | sort); do
  dir=$OUT/${target##*/fuzz-}/
  name=$(basename "$dir")
  [ -f "$dir/rc" ] || continue
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/run.log")
  last=$(grep -E '^#[0-9]+' "$dir/run.log" | tail -n1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
  found=$(ls "$dir/artifacts" | wc -l)
  printf '%-16s rc=%s execs=%s %s corpus=%s findings=%s\n' "$name" \
    "$(cat "$dir/rc")" "${execs:-?}" "${last:-?}" "$(ls "$dir/min" | wc -l)" "$found"
  [ "$(cat "$dir/rc")" = 0 ] && [ "$found" = 0 ] || status=1
  if [ "${UPDATE_CORPUS:-0}" = 1 ] && [ "$found" = 0 ]; then
    rm -rf "$TOP/tests/fuzz/corpus/$name" && cp -r "$dir/min" "$TOP/tests/fuzz/corpus/$name"
  fi
done
exit $status
