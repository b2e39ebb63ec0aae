#!/bin/sh
# Runs the airspace monitor's end-to-end benchmarks (issue 5's targets) with
# the real server, side by side with Tile38 on the same machine:
#   1. throughput over SBS-1 TCP and NDJSON HTTP with 1,000, 5,000 and 20,000
#      zones, and Tile38's rate with the same fences and positions;
#   2. alert latency, position sent -> SSE event read, at 50,000 positions/s;
#   3. RSS with 20,000 live tracks and 5,000 zones.
# See bench/README.md.
#
#   TILE38_BIN=/tmp/tile38/tile38-server bench/airspace.sh
#
# TILE38_BIN is a tile38-server built from github.com/tidwall/tile38 (nothing
# here builds it). Optional: TILE38_PORT (9851), ZONES (1000,5000,20000),
# POSITIONS (300000), AIRSPACE_WORK (a directory kept between runs, so the
# zone set-up, several minutes for 20,000 zones, is done once; default a
# temporary directory removed at the end).
set -eu
: "${TILE38_BIN:?set TILE38_BIN to a tile38-server binary, e.g. /tmp/tile38/tile38-server}"
[ -x "$TILE38_BIN" ] || { echo "airspace.sh: $TILE38_BIN is not an executable" >&2; exit 1; }
cd "$(dirname "$0")/.."
port=${TILE38_PORT:-9851}
zones=${ZONES:-1000,5000,20000}
positions=${POSITIONS:-300000}
if [ -n "${AIRSPACE_WORK:-}" ]; then
	work=$AIRSPACE_WORK
	mkdir -p "$work"
	keep=1
else
	work=$(mktemp -d)
	keep=0
fi
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	if [ "$keep" = 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

go build -o "$work/airspace" ./bench/airspace

# Tile38 without persistence (its append-only file would make it pay for
# disk writes the monitor's position path does not make) and without logs.
rm -rf "$work/tile38"
mkdir -p "$work/tile38"
"$TILE38_BIN" -p "$port" -q --appendonly no -d "$work/tile38" >"$work/tile38.log" 2>&1 &
pid=$!

data="$work/data"
if [ ! -d "$data/lat" ]; then
	rm -rf "$data"
	# The memory test runs on the 5,000-zone directory.
	"$work/airspace" setup -dir "$data" -zones "$zones,5000"
fi

echo "== throughput ($(uptime))"
"$work/airspace" throughput -dir "$data" -zones "$zones" -positions "$positions" -tile38 "127.0.0.1:$port" -tile38-pid "$pid"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

echo "== alert latency ($(uptime))"
"$work/airspace" latency -dir "$data"

echo "== memory ($(uptime))"
"$work/airspace" memory -dir "$data" -mode node
"$work/airspace" memory -mode engine
echo "== done ($(uptime))"
