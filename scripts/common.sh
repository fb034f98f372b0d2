#!/usr/bin/env bash
# Shared by scripts/test.sh and scripts/run-ingest.sh: installs what the
# project needs on Debian 12 (as root), then configures and builds.
# Idempotent and quiet when everything is already in place.
# SPDX-License-Identifier: LGPL-2.1-or-later

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-$TOP/build-asan}

# Everything the build, the tests and the interop peers need.
DEB_PACKAGES=(
  # build
  gcc pkg-config meson ninja-build
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libssl-dev
  # sanitizers, fuzzing (libFuzzer ships in libclang-rt-14-dev), coverage
  clang llvm libclang-rt-14-dev gcovr valgrind
  # GStreamer runtime: gst-launch/inspect, flvdemux/flvmux (good),
  # rtmp2sink and rtmpsink (bad), parsers, encoders for the test sources
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  # interop peers
  ffmpeg nginx-light libnginx-mod-rtmp stunnel4 openssl
  # style
  indent
)

log () { printf '%s\n' "$*" >&2; }

install_packages () {
  local missing=()
  local p
  for p in "${DEB_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  if [ "$(id -u)" -ne 0 ]; then
    log "Missing Debian packages: ${missing[*]}"
    log "Run this script as root (or install them with apt-get) and try again."
    exit 1
  fi
  log "Installing ${#missing[@]} Debian packages: ${missing[*]}"
  # Package scripts must not start services (nginx would take port 80):
  # our tests start their own peers on loopback ports.
  local added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/rtmp-apt.log 2>&1; then
    tail -n 30 /tmp/rtmp-apt.log >&2
    [ $added_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    log "apt-get install failed (log above)."
    exit 1
  fi
  [ $added_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# configure_build DIR [meson options...]
configure_build () {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$TOP" "$@" >"$dir.setup.log" 2>&1 || {
      cat "$dir.setup.log" >&2
      log "meson setup of $dir failed."
      exit 1
    }
  fi
  if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
    grep -E 'error|FAILED' -A3 "$dir.build.log" | head -n 60 >&2
    log "Build in $dir failed (full log: $dir.build.log)."
    exit 1
  fi
  if grep -q 'warning:' "$dir.build.log"; then
    grep 'warning:' "$dir.build.log" >&2
    log "Build in $dir has compiler warnings; the project builds warning-free."
    exit 1
  fi
}
