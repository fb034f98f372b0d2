#!/usr/bin/env bash
# The test command (README): installs what is needed (Debian 12, as root),
# builds, runs the whole test suite, then the core tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer and a short fuzz smoke run
# of every fuzz target. Exits non-zero on any failure.
# SPDX-License-Identifier: LGPL-2.1-or-later

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-5}
failed_steps=()

install_packages
configure_build "$BUILD_DIR"

log "== meson test ($BUILD_DIR)"
if ! meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 2 >"$BUILD_DIR/test.out" 2>&1; then
  failed_steps+=("meson test")
fi
grep -E '^ *[0-9]+/[0-9]+ ' "$BUILD_DIR/test.out" | grep -v ' OK ' >&2 || true
sed -n '/^Ok:/,/^Timeout:/p' "$BUILD_DIR/test.out" >&2

# ASan + UBSan build with clang, which also links the libFuzzer targets.
log "== core tests under ASan+UBSan ($ASAN_BUILD_DIR)"
# -fno-sanitize=alignment: GStreamer's GST_READ_UINT*/GST_WRITE_UINT* macros
# do unaligned loads on x86 on purpose (GST_HAVE_UNALIGNED_ACCESS), which
# UBSan would report in every user of them.
CC=clang configure_build "$ASAN_BUILD_DIR" -Dfuzzing=true \
  -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
  -Dc_args=-fno-sanitize=alignment
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$TOP/tests/lsan.supp:print_suppressions=0
if ! meson test -C "$ASAN_BUILD_DIR" --suite core --print-errorlogs --num-processes 2 --timeout-multiplier 4 >"$ASAN_BUILD_DIR/test.out" 2>&1; then
  failed_steps+=("ASan/UBSan core tests")
fi
sed -n '/^Ok:/,/^Timeout:/p' "$ASAN_BUILD_DIR/test.out" >&2

log "== fuzz smoke (${FUZZ_SECONDS}s per target)"
fuzz_ok=0
fuzz_failed=0
for target in "$ASAN_BUILD_DIR"/tests/fuzz/fuzz-*; do
  { [ -f "$target" ] && [ -x "$target" ]; } || continue
  name=${target##*/fuzz-}
  work=$(mktemp -d)
  cp -r "$TOP/tests/fuzz/corpus/$name/." "$work/"
  if (cd "$work" && "$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=0 . >"$ASAN_BUILD_DIR/fuzz-$name.log" 2>&1); then
    fuzz_ok=$((fuzz_ok + 1))
  else
    fuzz_failed=$((fuzz_failed + 1))
    tail -n 40 "$ASAN_BUILD_DIR/fuzz-$name.log" >&2
    failed_steps+=("fuzz $name")
  fi
  rm -rf "$work"
done
log "fuzz smoke: $fuzz_ok targets clean, $fuzz_failed failed"

# One summary line over everything that ran.
count () {
  local v
  v=$(sed -n "s/^$1: *\([0-9]*\).*/\1/p" "$2" 2>/dev/null | head -n1)
  echo "${v:-0}"
}
ok=$(( $(count Ok "$BUILD_DIR/test.out") + $(count Ok "$ASAN_BUILD_DIR/test.out") + fuzz_ok ))
bad=0
for f in "$BUILD_DIR/test.out" "$ASAN_BUILD_DIR/test.out"; do
  bad=$(( bad + $(count Fail "$f") + $(count Timeout "$f") ))
done
bad=$(( bad + fuzz_failed ))
if [ ${#failed_steps[@]} -ne 0 ]; then
  log "FAILED: ${failed_steps[*]}"
  [ $bad -eq 0 ] && bad=1
  echo "$ok passed, $bad failed"
  exit 1
fi
echo "$ok passed, $bad failed"
