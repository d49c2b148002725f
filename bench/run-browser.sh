#!/usr/bin/env bash
# bench/run-browser.sh: run the browser benchmark page (web/static/bench/)
# headless in Chromium and print its table: encrypt and SHA-256 throughput
# from a File through the page API, next to the same Go code running in a
# loop inside the worker with no JavaScript boundary, their ratio, and the
# worker's memory while the file streams. The raw output is kept in
# bench/results/browser-<date>.txt.
#
#   bench/run-browser.sh                          # 64 MiB, median of 3 runs
#   BENCH_SIZE_MIB=256 BENCH_RUNS=5 bench/run-browser.sh
#
# It is BenchmarkBenchPage in web/ (go test -bench), which builds the
# client with scripts/build-wasm.sh and serves the page through vellumd's
# HTTP front. People can run the same page at https://<vellumd>/bench/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
export BENCH_SIZE_MIB=${BENCH_SIZE_MIB:-64} BENCH_RUNS=${BENCH_RUNS:-3}
scripts/ensure-chromium.sh >/dev/null

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }
mkdir -p bench/results
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
out=bench/results/browser-${now:0:10}.txt
for ((i = 2; ; i++)); do
	[[ -e $out ]] || break
	out=bench/results/browser-${now:0:10}-$i.txt
done
{
	echo "date: $now"
	echo "go: $($GO env GOVERSION)"
	echo "command: BENCH_SIZE_MIB=$BENCH_SIZE_MIB BENCH_RUNS=$BENCH_RUNS $GO test -run '^\$' -bench BenchPage -benchtime 1x ./web/"
	echo "nproc: $(nproc 2>/dev/null || echo unknown)"
	echo "load-start: $(load)"
} >"$out"
echo "run-browser: raw output in $out" >&2
status=0
$GO test -run '^$' -bench BenchPage -benchtime 1x -v ./web/ >>"$out" 2>&1 || status=$?
echo "load-end: $(load)" >>"$out"
# The table the benchmark logs, without go test's indentation.
sed -n 's/^ *\(|.*\)$/\1/p; s/^ *\(worker memory.*\)$/\1/p; s/^ *\(go1.*cores.*\)$/\1/p' "$out"
if ((status != 0)); then
	echo "run-browser: go test failed (exit $status); see $out" >&2
fi
exit "$status"
