#!/bin/sh
# Runs the airspace monitor's end-to-end benchmarks (issues 5 and 13) with a
# real `truce serve` process, side by side with Tile38 on the same machine:
#   1. throughput over SBS-1 TCP and NDJSON HTTP with 1,000, 5,000 and 20,000
#      zones on two scenarios (real polygons with rare alerts; small fences
#      with alerts on over 10 % of positions), and Tile38's rate with the same
#      fences and positions, per server CPU-second, counted until every alert
#      is journalled and read from the event stream;
#   2. alert latency, position sent -> SSE event read, on the dense scenario;
#   3. RSS of truce serve with 20,000 live tracks and 5,000 zones, without
#      forced garbage collection.
# See bench/README.md.
#
#   TILE38_BIN=/tmp/tile38/tile38-server bench/airspace.sh
#   TILE38_BIN=... TRUCE_BIN=/tmp/truce-before AIRSPACE_WORK=/tmp/aw bench/airspace.sh
#
# TILE38_BIN is a tile38-server built from github.com/tidwall/tile38 (nothing
# here builds it). TRUCE_BIN is the truce binary measured (default: built
# from this tree), so two builds can be compared one after the other on the
# same data directories. Optional: TILE38_PORT (9851), ZONES
# (1000,5000,20000), SCENARIOS (real,dense), POSITIONS (300000), PATHS
# (sbs,ndjson), LAT_ZONES (1000), LAT_RATE (2000,10000: a run per rate), LAT_SECONDS (60),
# STEPS (throughput,latency,memory), AIRSPACE_WORK (a directory kept between
# runs, so the zone set-up, minutes for 20,000 zones, is done once; default
# a temporary directory removed at the end).
set -eu
: "${TILE38_BIN:?set TILE38_BIN to a tile38-server binary, e.g. /tmp/tile38/tile38-server}"
[ -x "$TILE38_BIN" ] || { echo "airspace.sh: $TILE38_BIN is not an executable" >&2; exit 1; }
cd "$(dirname "$0")/.."
port=${TILE38_PORT:-9851}
zones=${ZONES:-1000,5000,20000}
scenarios=${SCENARIOS:-real,dense}
positions=${POSITIONS:-300000}
paths=${PATHS:-sbs,ndjson}
steps=${STEPS:-throughput,latency,memory}
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
if [ -n "${TRUCE_BIN:-}" ]; then
	[ -x "$TRUCE_BIN" ] || { echo "airspace.sh: $TRUCE_BIN is not an executable" >&2; exit 1; }
	truce=$TRUCE_BIN
else
	go build -o "$work/truce" ./cmd/truce
	truce=$work/truce
fi
echo "== truce: $truce ($("$truce" version 2>/dev/null | head -1 || true))"

data="$work/data"
has() { case ",$1," in *",$2,"*) return 0;; esac; return 1; }
# The memory test runs on z5000, the latency test on d$LAT_ZONES.
for s in real dense; do
	p=z; [ "$s" = dense ] && p=d
	need=$zones
	[ "$s" = real ] && need="$need,5000"
	[ "$s" = dense ] && need="$need,${LAT_ZONES:-1000}"
	missing=
	for n in $(echo "$need" | tr , ' '); do
		[ -d "$data/$p$n" ] || missing="$missing,$n"
	done
	if [ -n "$missing" ]; then
		"$work/airspace" setup -dir "$data" -scenario "$s" -zones "${missing#,}"
	fi
done

if has "$steps" throughput; then
	# Tile38 without persistence (its append-only file would make it pay for
	# disk writes the monitor's position path does not make) and without logs.
	rm -rf "$work/tile38"
	mkdir -p "$work/tile38"
	"$TILE38_BIN" -p "$port" -q --appendonly no -d "$work/tile38" >"$work/tile38.log" 2>&1 &
	pid=$!
	for s in $(echo "$scenarios" | tr , ' '); do
		echo "== throughput, $s ($(uptime))"
		"$work/airspace" throughput -dir "$data" -truce "$truce" -scenario "$s" -zones "$zones" -positions "$positions" \
			-paths "$paths" -tile38 "127.0.0.1:$port" -tile38-pid "$pid"
	done
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
fi

if has "$steps" latency; then
	echo "== alert latency, dense ($(uptime))"
	"$work/airspace" latency -dir "$data" -truce "$truce" -zones "${LAT_ZONES:-1000}" -rate "${LAT_RATE:-2000,10000}" -seconds "${LAT_SECONDS:-60}"
fi

if has "$steps" memory; then
	echo "== memory ($(uptime))"
	"$work/airspace" memory -dir "$data" -truce "$truce"
fi
echo "== done ($(uptime))"
