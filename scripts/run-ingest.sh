#!/usr/bin/env bash
# The "run" command (README): an RTMP ingest server on rtmp://0.0.0.0:1935/live
# (any stream key) that records what is published and prints live statistics.
# Ctrl-C ends the recording cleanly (gst-launch-1.0 -e sends EOS).
#
# Environment:
#   PORT=1935            TCP port (0 = any free port, printed at start)
#   ADDRESS=             listen address (default: every IPv4 and IPv6 address)
#   APP=live             the only application accepted ("" = any)
#   STREAM_KEY=          if set, the only stream key accepted
#   FORMAT=flv           flv (any codec, stream copied as published) or
#                        mp4 (H.264 + AAC, via flvdemux ! mp4mux)
#   ON_UNPUBLISH=        stay-alive (default for flv: one file across
#                        publishers, stop with Ctrl-C) or eos (stop when the
#                        publisher stops; default for mp4)
#   RECORD_DIR=recordings   where files go (ingest-<date>.<format>)
#   GST_DEBUG=rtmp*:5    to see the protocol story of each connection
# SPDX-License-Identifier: LGPL-2.1-or-later

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages
configure_build "$BUILD_DIR"

PORT=${PORT:-1935}
ADDRESS=${ADDRESS:-}
APP=${APP-live}
STREAM_KEY=${STREAM_KEY:-}
FORMAT=${FORMAT:-flv}
RECORD_DIR=${RECORD_DIR:-$TOP/recordings}
case "$FORMAT" in
  flv) ON_UNPUBLISH=${ON_UNPUBLISH:-stay-alive} ;;
  mp4) ON_UNPUBLISH=${ON_UNPUBLISH:-eos} ;;
  *) log "FORMAT must be flv or mp4 (got '$FORMAT')"; exit 1 ;;
esac

mkdir -p "$RECORD_DIR"
FILE="$RECORD_DIR/ingest-$(date +%Y%m%d-%H%M%S).$FORMAT"

src=(rtmpingestsrc name=ingest "port=$PORT" "on-unpublish=$ON_UNPUBLISH"
  stats-interval=1000)
[ -n "$ADDRESS" ] && src+=("address=$ADDRESS")
[ -n "$APP" ] && src+=("application=$APP")
[ -n "$STREAM_KEY" ] && src+=("stream-key=$STREAM_KEY")

if [ "$FORMAT" = flv ]; then
  sink=(! filesink "location=$FILE")
else
  sink=(! flvdemux name=d
    d.video ! queue ! h264parse ! mp4mux name=mux ! filesink "location=$FILE"
    d.audio ! queue ! aacparse ! mux.)
fi

host=${ADDRESS:-0.0.0.0}
log "RTMP ingest server: rtmp://$host:$PORT/${APP:-<any app>}/<stream key>"
log "  ffmpeg: ffmpeg -re -i input.mp4 -c:v libx264 -c:a aac -f flv rtmp://<this host>:$PORT/${APP:-live}/${STREAM_KEY:-mykey}"
log "  OBS:    Settings > Stream > Service: Custom, Server: rtmp://<this host>:$PORT/${APP:-live}, Stream Key: ${STREAM_KEY:-anything}"
log "Recording to $FILE ($FORMAT, on unpublish: $ON_UNPUBLISH). Ctrl-C to stop."

export GST_PLUGIN_PATH="$BUILD_DIR/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
set +e
gst-launch-1.0 -e -m "${src[@]}" "${sink[@]}" |
  /usr/bin/python3 "$TOP/scripts/ingest-stats.py"
status=${PIPESTATUS[0]}
if [ -s "$FILE" ]; then
  log "Recorded $(du -h "$FILE" | cut -f1) to $FILE"
else
  rm -f "$FILE"
  log "Nothing was recorded."
fi
exit "$status"
