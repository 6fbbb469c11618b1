#!/bin/sh
# Runs every bats file once per build variant (release, then the ASan+UBSan
# build), and ends with one line "N passed, N failed" that CI reads.
# GZ_VARIANTS picks the variants; GZ_TESTS picks the files (default: all).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
variants=${GZ_VARIANTS:-release sanitize}
files=${GZ_TESTS:-$(ls tests/*.bats tests/faults/*.bats 2>/dev/null)}
mkdir -p build
summary=build/test-summary.txt
passed=0
failed=0
skipped=0
started=$(date +%s)

for variant in $variants; do
	bin="$root/build/$variant/bin"
	if [ ! -d "$bin" ]; then
		echo "run-all: $bin is missing; build it first" >&2
		exit 2
	fi
	for f in $files; do
		tap="build/tap-$variant-$(basename "$f" .bats).txt"
		echo "== $variant: $f"
		GZ_BIN="$bin" timeout 1200 bats --tap "$f" >"$tap" 2>&1
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
		grep -E '^(not ok|# )' "$tap" | head -n 60
		echo "   $((p - s)) passed, $x failed, $s skipped"
	done
done

echo "tests took $(( $(date +%s) - started )) s"
# Skipped tests are neither: they are reported on their own line so the
# last line stays the "N passed, N failed" that CI reads.
echo "$skipped skipped"
line="$passed passed, $failed failed"
echo "$line" >"$summary"
echo "$line"
[ "$failed" -eq 0 ]
