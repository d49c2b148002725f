#!/usr/bin/env bash
# bench/run-server.sh: measure vellumd over HTTPS on loopback (bench/server:
# ciphertext ingest against the disk, small authenticated GETs with wrk
# against a fasthttp hello-world) and the server's per-call costs (go test
# -bench in server/api, keys/opaque, keys/seal); keep the raw output in
# bench/results/server-<date>.txt and print the Server table of
# bench/README.md from it.
#
#   bench/run-server.sh                          # about 2 min: 2 rounds, wrk 10 s per run
#   ROUNDS=3 bench/run-server.sh                 # steadier medians, about 1 min more
#   DURATION=5s INGEST_MIB=128 bench/run-server.sh
#   LOAD_BELOW=2 MAX_WAIT=600 bench/run-server.sh  # first wait (≤ 600 s) for the 1-min load < 2
#
# Needs wrk: installed from Debian's packages (apt-get install -y wrk) when
# missing and run as root. vellumd runs as a child process on 127.0.0.1
# with temporary directories; no traffic leaves loopback. Every step has a
# time limit. Not part of make test. Exit status: the first failing step's.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
INGEST_MIB=${INGEST_MIB:-256}
UPLOAD_MIB=${UPLOAD_MIB:-64}
COUNT=${COUNT:-3}
BENCHTIME=${BENCHTIME:-300ms}
GO=${GO:-go}

if ! command -v wrk >/dev/null 2>&1; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		echo "run-server: installing wrk from Debian's packages" >&2
		apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }
	else
		echo "run-server: wrk is missing; install it with: sudo apt-get install -y wrk" >&2
		exit 2
	fi
fi

load() {
	if [[ -r /proc/loadavg ]]; then cut -d' ' -f1-3 /proc/loadavg; else uptime | sed 's/.*load averages*: //; s/,//g'; fi
}

if [[ -n ${LOAD_BELOW:-} ]]; then
	deadline=$((SECONDS + ${MAX_WAIT:-600}))
	until awk -v l="$(load | cut -d' ' -f1)" -v max="$LOAD_BELOW" 'BEGIN { exit !(l < max) }'; do
		if ((SECONDS >= deadline)); then
			echo "run-server: load still $(load) after ${MAX_WAIT:-600}s; running anyway" >&2
			break
		fi
		sleep 10
	done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "run-server: building vellumd and bench/server" >&2
timeout 300 $GO build -o "$tmp/vellumd" ./cmd/vellumd
timeout 300 $GO build -o "$tmp/server-bench" ./bench/server

mkdir -p bench/results
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
out=bench/results/server-${now:0:10}.txt
for ((i = 2; ; i++)); do
	[[ -e $out ]] || break
	out=bench/results/server-${now:0:10}-$i.txt
done

driver="bench/server -rounds $ROUNDS -duration $DURATION -threads 2 -conns 64 -ingest-mib $INGEST_MIB -upload-mib $UPLOAD_MIB -streams 4"
regex='^Benchmark(LoginStart|LoginStartUnknown|AuthenticatedGet|BaselineHandler|ServerLoginStart|ServerLoginFinish|BaselineEd25519Verify)$'
gobench="$GO test -run '^\$' -bench '$regex' -benchmem -count=$COUNT -benchtime=$BENCHTIME ./server/api ./keys/opaque ./keys/seal"
{
	echo "date: $now"
	echo "go: $($GO env GOVERSION)"
	echo "command: $driver; $gobench"
	echo "nproc: $(nproc 2>/dev/null || echo unknown)"
	echo "load-start: $(load)"
} >"$out"
echo "run-server: load $(load); raw output in $out" >&2

status=0
echo "run-server: $driver" >&2
timeout 240 "$tmp/server-bench" -vellumd "$tmp/vellumd" -rounds "$ROUNDS" -duration "$DURATION" -threads 2 -conns 64 \
	-ingest-mib "$INGEST_MIB" -upload-mib "$UPLOAD_MIB" -streams 4 >>"$out" || status=$?
echo "run-server: $gobench" >&2
timeout 240 $GO test -run '^$' -bench "$regex" -benchmem -count="$COUNT" -benchtime="$BENCHTIME" \
	./server/api ./keys/opaque ./keys/seal >>"$out" 2>&1 || { ((status)) || status=$?; }
echo "load-end: $(load)" >>"$out"
echo "run-server: done, load $(load)" >&2

rstatus=0
$GO run ./bench/ratios -table server "$out" || rstatus=$?
if ((status != 0)); then
	echo "run-server: a measurement failed (exit $status); see $out" >&2
	exit "$status"
fi
exit "$rstatus"
