#!/bin/sh
# Runs every bats file once per build variant (release, and the ASan+UBSan
# build), and ends with one line "N passed, N failed" that CI reads.
# GZ_VARIANTS picks the variants; GZ_TESTS picks the files (default: all).
# GZ_FILE_TIMEOUT (2700 s) ends a file that hangs; it is a guard against
# a hang, not a time budget, so it is far above what a loaded machine needs.
# The variants run side by side (GZ_SERIAL=1 runs them one after the other):
# the tests spend most of their time waiting on services and children, so
# two streams fit on two cores, and each test starts its own services on
# free ports and in its own folders, so the streams do not meet.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
variants=${GZ_VARIANTS:-release sanitize}
files=${GZ_TESTS:-$(ls tests/*.bats tests/faults/*.bats 2>/dev/null)}
# Files that test no gz binary (the test doubles, and the fuzz targets,
# which are built with their own sanitizers whatever the variant): they run
# in the first variant only, as running them again would test the same thing.
once_files="tests/fuzz.bats tests/doubles-http.bats tests/doubles-opensearch.bats
tests/doubles-s3.bats"
first_variant=${variants%% *}
mkdir -p build
summary=build/test-summary.txt
started=$(date +%s)

# run_variant VARIANT: runs every file against build/VARIANT/bin; writes
# its report to build/run-VARIANT.log and its counts to build/run-VARIANT.counts.
run_variant() {
	variant=$1
	bin="$root/build/$variant/bin"
	log=build/run-$variant.log
	passed=0 failed=0 skipped=0
	: >"$log"
	for f in $files; do
		if [ "$variant" != "$first_variant" ] &&
		    printf '%s\n' $once_files | grep -qxF "$f"; then
			continue
		fi
		tap="build/tap-$variant-$(basename "$f" .bats).txt"
		t0=$(date +%s)
		GZ_BIN="$bin" timeout "${GZ_FILE_TIMEOUT:-2700}" bats --timing --tap "$f" >"$tap" 2>&1
		took=$(( $(date +%s) - t0 ))
		p=$(grep -c '^ok ' "$tap" | tr -d ' ')
		s=$(grep -c '^ok .* # skip' "$tap" | tr -d ' ')
		x=$(grep -c '^not ok ' "$tap" | tr -d ' ')
		planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)
		# A file that died before finishing its plan counts its
		# missing tests as failed.
		ran=$((p + x))
		if [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then
			x=$((x + planned - ran))
		elif [ -z "$planned" ]; then
			x=$((x + 1))
		fi
		passed=$((passed + p - s))
		skipped=$((skipped + s))
		failed=$((failed + x))
		{
			echo "== $variant: $f"
			grep -E '^(not ok|# )' "$tap" | head -n 60
			echo "   $((p - s)) passed, $x failed, $s skipped in $took s"
		} >>"$log"
	done
	echo "$passed $failed $skipped" >"build/run-$variant.counts"
}

for variant in $variants; do
	if [ ! -d "$root/build/$variant/bin" ]; then
		echo "run-all: $root/build/$variant/bin is missing; build it first" >&2
		exit 2
	fi
	rm -f "build/run-$variant.counts"
done

if [ "${GZ_SERIAL:-0}" = 1 ]; then
	for variant in $variants; do
		run_variant "$variant"
		cat "build/run-$variant.log"
	done
else
	pids=
	for variant in $variants; do
		run_variant "$variant" &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid"
	done
	for variant in $variants; do
		cat "build/run-$variant.log"
	done
fi

passed=0 failed=0 skipped=0
for variant in $variants; do
	if [ ! -s "build/run-$variant.counts" ]; then
		echo "run-all: the $variant run ended without its counts" >&2
		failed=$((failed + 1))
		continue
	fi
	read -r p x s <"build/run-$variant.counts"
	passed=$((passed + p)) failed=$((failed + x)) skipped=$((skipped + s))
done

echo "tests took $(( $(date +%s) - started )) s"
# The slowest tests, so the suite's time is kept in sight.
echo "slowest tests:"
for variant in $variants; do
	for tap in build/tap-"$variant"-*.txt; do
		[ -f "$tap" ] || continue
		sed -n "s/^\(not \)\{0,1\}ok [0-9]* \(.*\) in \([0-9]*\)ms.*/\3 $variant $(basename "$tap" .txt | sed "s/^tap-$variant-//"): \2/p" "$tap"
	done
done | sort -rn | head -n 12 | awk '{ ms = $1; $1 = ""; printf "  %6.1f s %s\n", ms / 1000, $0 }'
# Skipped tests are neither: they are reported on their own line so the
# last line stays the "N passed, N failed" that CI reads.
echo "$skipped skipped"
line="$passed passed, $failed failed"
echo "$line" >"$summary"
echo "$line"
[ "$failed" -eq 0 ]
