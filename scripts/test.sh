#!/usr/bin/env bash
# The test command (README): installs what is needed (Debian 12, as root),
# builds twice and runs the whole test suite with memory checkers:
#   - gcc build: the whole suite under valgrind memcheck (`meson test
#     --setup=valgrind`: the C tests, the processes the harnesses start
#     with our elements, and the harnesses that run them in their own
#     process); PLAIN_TESTS again plainly;
#   - clang build with AddressSanitizer + UndefinedBehaviorSanitizer (and
#     libFuzzer instrumentation): the whole suite, leak checks included
#     (tests/meson.build sets the sanitizer options);
#   - a short fuzz smoke run of every fuzz target.
# The two builds' test runs go side by side (most interop tests wait on
# real-time peers). Exits non-zero on any failure.
# SPDX-License-Identifier: LGPL-2.1-or-later

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-5}
# The gcc build runs every test under valgrind memcheck; these also run
# plainly: ingest-sync-playback asserts real-time playback through libav
# decoders only there (under memcheck it runs without decoders and without
# its lateness bound: valgrind stops on an instruction in a library libav
# loads, and timing means little under memcheck); the four C tests that cut
# their inputs at every byte position do so only in a plain run (under a
# checker only near structure boundaries, tests/check/core/test-util.h).
PLAIN_TESTS=${PLAIN_TESTS:-ingest-sync-playback chunk handshake session flv}
# tests left out of the valgrind run (none)
NOT_UNDER_VALGRIND=${NOT_UNDER_VALGRIND:-}
# Concurrent `meson test` runs over the valgrind tests: most of them wait on
# real-time peers, one at a time (is_parallel: false).
VALGRIND_SHARDS=${VALGRIND_SHARDS:-3}
failed_steps=()
outputs=()

install_packages
configure_build "$BUILD_DIR"
# -fno-sanitize=alignment: GStreamer's GST_READ_UINT*/GST_WRITE_UINT* macros
# do unaligned loads on x86 on purpose (GST_HAVE_UNALIGNED_ACCESS), which
# UBSan would report in every user of them.
CC=clang configure_build "$ASAN_BUILD_DIR" -Dfuzzing=true \
  -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
  -Dc_args=-fno-sanitize=alignment

# run_tests LABEL OUTPUT [meson test options...]: output kept for the
# summary; a failure is reported by the exit status.
run_tests () {
  local label=$1 out=$2 nice=()
  shift 2
  case $label in valgrind*) nice=(nice -n 10) ;; esac
  if "${nice[@]}" meson test --print-errorlogs "$@" >"$out" 2>&1; then
    echo "$label: ok" >"$out.status"
  else
    echo "$label: FAILED" >"$out.status"
  fi
}

# the gcc build: plugin-registry first, then every other test under
# valgrind in VALGRIND_SHARDS concurrent runs (round robin over the list),
# then PLAIN_TESTS plainly
gcc_tests () {
  local all t i=0 pids=() n
  local -a shard
  all=$(meson test -C "$BUILD_DIR" --list 2>/dev/null | sed -n 's/^.* \/ //p')
  for t in $all; do
    case " plugin-registry $(echo $NOT_UNDER_VALGRIND) " in
      *" $t "*) continue ;;
    esac
    n=$((i % VALGRIND_SHARDS))
    shard[n]="${shard[n]:-} $t"
    i=$((i + 1))
  done
  run_tests "registry (gcc build)" "$BUILD_DIR/test-registry.out" \
    -C "$BUILD_DIR" --setup=valgrind plugin-registry
  # at a lower priority than the ASan run beside them: their time limits
  # are stretched 8x, while a starved ASan gst-launch-1.0 with encoders
  # could not keep a live pipeline going
  for n in $(seq 0 $((VALGRIND_SHARDS - 1))); do
    # shellcheck disable=SC2086
    run_tests "valgrind tests $((n + 1))/$VALGRIND_SHARDS (gcc build)" \
      "$BUILD_DIR/test-valgrind-$n.out" -C "$BUILD_DIR" --no-rebuild \
      --setup=valgrind --logbase "testlog-valgrind-$n" ${shard[n]} &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  # shellcheck disable=SC2086
  run_tests "plain tests (gcc build)" "$BUILD_DIR/test.out" \
    -C "$BUILD_DIR" --num-processes 2 $PLAIN_TESTS
}

log "== gcc build: $(( $(meson test -C "$BUILD_DIR" --list 2>/dev/null | wc -l) - $(echo $NOT_UNDER_VALGRIND | wc -w) )) tests under valgrind, plainly: $PLAIN_TESTS ($BUILD_DIR)"
log "== ASan+UBSan build: whole suite ($ASAN_BUILD_DIR)"
gcc_tests &
gcc_pid=$!
run_tests "ASan+UBSan tests" "$ASAN_BUILD_DIR/test.out" \
  -C "$ASAN_BUILD_DIR" --num-processes 2 --timeout-multiplier 3 &
asan_pid=$!
wait $gcc_pid $asan_pid || true
outputs=("$BUILD_DIR/test-registry.out")
for n in $(seq 0 $((VALGRIND_SHARDS - 1))); do
  outputs+=("$BUILD_DIR/test-valgrind-$n.out")
done
outputs+=("$BUILD_DIR/test.out" "$ASAN_BUILD_DIR/test.out")
for f in "${outputs[@]}"; do
  status=$(cat "$f.status" 2>/dev/null || echo "${f}: did not run")
  log "-- $status"
  case $status in *": ok") ;; *) failed_steps+=("${status%%:*}") ;; esac
  grep -E '^ *[0-9]+/[0-9]+ ' "$f" | grep -v ' OK ' >&2 || true
  # the end of each failed test's own output (meson --print-errorlogs puts
  # it right after the test's result line), so a CI log says why
  awk '/^ *[0-9]+\/[0-9]+ .* (FAIL|TIMEOUT) / { n = 60 }
       n > 0 { print "   | " $0; n-- }' "$f" >&2
  sed -n '/^Ok:/,/^Timeout:/p' "$f" >&2
done

log "== fuzz smoke (${FUZZ_SECONDS}s per target)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:fast_unwind_on_malloc=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$TOP/tests/lsan.supp:print_suppressions=0
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
ok=$fuzz_ok
bad=$fuzz_failed
for f in "${outputs[@]}"; do
  ok=$(( ok + $(count Ok "$f") ))
  bad=$(( bad + $(count Fail "$f") + $(count Timeout "$f") ))
done
if [ ${#failed_steps[@]} -ne 0 ]; then
  # last, so that the end of a CI log names each failed test and why
  logs=("registry=$BUILD_DIR/meson-logs/testlog-valgrind.json")
  for n in $(seq 0 $((VALGRIND_SHARDS - 1))); do
    logs+=("valgrind$((n + 1))=$BUILD_DIR/meson-logs/testlog-valgrind-$n-valgrind.json")
  done
  logs+=("plain=$BUILD_DIR/meson-logs/testlog.json"
    "asan=$ASAN_BUILD_DIR/meson-logs/testlog.json")
  log "== failed tests (full output above and in meson-logs/)"
  python3 "$TOP/scripts/test-failures.py" "${logs[@]}" >&2 || true
  log "FAILED: ${failed_steps[*]}"
  [ $bad -eq 0 ] && bad=1
  echo "$ok passed, $bad failed"
  exit 1
fi
echo "$ok passed, $bad failed"
