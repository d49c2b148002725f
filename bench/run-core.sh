#!/usr/bin/env bash
# bench/run-core.sh: run the crypto core's benchmarks (./keys/...), keep the
# raw output in bench/results/core-<date>.txt, and print the ratio table of
# bench/README.md from it.
#
#   bench/run-core.sh                        # -count=3 at 500ms: about 2 min on 2 idle cores
#   COUNT=5 BENCHTIME=1s bench/run-core.sh   # steadier figures, takes longer
#   ROUNDS=3 COUNT=1 bench/run-core.sh       # 3 passes over all packages instead of 3 runs
#                                            # in a row: a load spike then hits one run of
#                                            # every benchmark, not all runs of one
#   LOAD_BELOW=1 MAX_WAIT=600 bench/run-core.sh  # first wait (≤ 600 s) for the 1-min load < 1
#
# The figures move with the machine and its load; the ratios, each against a
# baseline benchmark of the same run, are what to compare. The raw file
# carries extra "key: value" lines (date, go, command, load) that go test
# does not write; benchstat and bench/ratios both read them as configuration.
# Exit status: go test's if it failed, else bench/ratios' (1 = rows missing).
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-3}
ROUNDS=${ROUNDS:-1}
BENCHTIME=${BENCHTIME:-500ms}
PKGS=${PKGS:-./keys/...}
GO=${GO:-go}

load() {
	if [[ -r /proc/loadavg ]]; then cut -d' ' -f1-3 /proc/loadavg; else uptime | sed 's/.*load averages*: //; s/,//g'; fi
}

if [[ -n ${LOAD_BELOW:-} ]]; then
	deadline=$((SECONDS + ${MAX_WAIT:-600}))
	until awk -v l="$(load | cut -d' ' -f1)" -v max="$LOAD_BELOW" 'BEGIN { exit !(l < max) }'; do
		if ((SECONDS >= deadline)); then
			echo "run-core: load still $(load) after ${MAX_WAIT:-600}s; running anyway" >&2
			break
		fi
		sleep 10
	done
fi

mkdir -p bench/results
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
out=bench/results/core-${now:0:10}.txt
for ((i = 2; ; i++)); do
	[[ -e $out ]] || break
	out=bench/results/core-${now:0:10}-$i.txt
done

cmd="$GO test -run '^\$' -bench . -benchmem -count=$COUNT -benchtime=$BENCHTIME $PKGS"
{
	echo "date: $now"
	echo "go: $($GO env GOVERSION)"
	if ((ROUNDS > 1)); then echo "command: $cmd, $ROUNDS times"; else echo "command: $cmd"; fi
	echo "nproc: $(nproc 2>/dev/null || echo unknown)"
	echo "load-start: $(load)"
} >"$out"

echo "run-core: $cmd" >&2
echo "run-core: load $(load); raw output in $out" >&2
status=0
# The test binaries' stdout and stderr both reach go test's stdout; go's own
# stderr has build errors, which the table reports as missing rows.
for ((r = 1; r <= ROUNDS; r++)); do
	((ROUNDS == 1)) || echo "run-core: round $r of $ROUNDS, load $(load)" >&2
	$GO test -run '^$' -bench . -benchmem -count="$COUNT" -benchtime="$BENCHTIME" $PKGS >>"$out" 2>&1 || status=$?
done
echo "load-end: $(load)" >>"$out"
echo "run-core: done, load $(load)" >&2

rstatus=0
$GO run ./bench/ratios "$out" || rstatus=$?
if ((status != 0)); then
	echo "run-core: go test failed (exit $status); see $out" >&2
	exit "$status"
fi
exit "$rstatus"
