#!/bin/bash
# The PDF engines side by side (make bench-engines, or BENCH_ONLY=engines
# bench/run.sh): gz-extract with its poppler workers, gz-extract with
# --pdf-engine pdftotext, and `xargs -P2 pdftotext` (the process per file
# every PDF used to pay for), two at a time each, on
#   gazettes  BENCH_ENGINE_DOCS PDFs from bench/gen-corpus.py (default 300;
#             60 with QUICK=1): base-14 fonts, 2-30 pages mostly
#   large     the real PDFs over 100 KB under /usr/share/doc (embedded
#             fonts, typeset manuals), each BENCH_LARGE_COPIES times (10):
#             poppler's own work dominates there, start-up much less
# Reports wall time, CPU, the speed-up over xargs, peak RSS of gz-extract
# itself (its metrics) and of its largest child (GNU time), and whether both
# engines' source_text is byte-identical, document by document.  Writes
# bench/results/engines.md.  No services needed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
PY=/usr/bin/python3
export PATH="$root/bin:$PATH" LC_ALL=C.UTF-8
unset GZ_PDF_ENGINE
if [ -n "${QUICK:-}" ] && [ "${QUICK:-0}" != 0 ]; then
	N=${BENCH_ENGINE_DOCS:-60} COPIES=${BENCH_LARGE_COPIES:-3}
else
	N=${BENCH_ENGINE_DOCS:-300} COPIES=${BENCH_LARGE_COPIES:-10}
fi
JOBS=2
W=$(mktemp -d /tmp/gz-engines.XXXXXX)
trap 'rm -rf "$W"' EXIT
out="$root/bench/results/engines.md"
mkdir -p "$root/bench/results"

say() { printf '[engines] %s\n' "$*" >&2; }

# tm NAME CMD...: GNU time's wall, user, sys and max RSS (KiB) in $W/NAME.t
tm() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$W/$name.t" "$@" || true
}

# gazettes, large: a set's PDFs, NUL-separated, in $W/SET.list
gazettes() {
	say "generating $N gazettes"
	$PY "$bench/gen-corpus.py" --out "$W/corpus" --docs "$N" --jobs "$JOBS" >/dev/null
	find "$W/corpus/bucket" -type f -name '*.pdf' -print0 | sort -z >"$W/gazettes.list"
}

large() {
	local f i
	mkdir -p "$W/large"
	while IFS= read -r -d '' f; do
		for i in $(seq "$COPIES"); do
			cp "$f" "$W/large/$i-${f##*/}"
		done
	done < <(find /usr/share/doc -name '*.pdf' -size +100k -print0 2>/dev/null)
	find "$W/large" -type f -print0 | sort -z >"$W/large.list"
}

# run_set SET: the three ways over the set's files.
run_set() {
	local set=$1 files
	files=$(tr '\0' '\n' <"$W/$set.list" | grep -c . || true)
	if [ "$files" = 0 ]; then
		echo "| $set | no files | | | | | | |" >>"$W/rows"
		return
	fi
	say "$set: $files files, xargs -P$JOBS pdftotext"
	tm "$set.xargs" sh -c 'xargs -0 -P "$2" -I{} pdftotext -enc UTF-8 {} - <"$1" >/dev/null 2>&1' _ "$W/$set.list" "$JOBS"
	say "$set: gz-extract --pdf-engine pdftotext"
	tm "$set.pdftotext" sh -c 'xargs -0 gz-extract --pdf-engine=pdftotext --jobs "$2" --quiet <"$1" >"$3" 2>/dev/null' _ "$W/$set.list" "$JOBS" "$W/$set.pdftotext.ndjson"
	say "$set: gz-extract (poppler workers)"
	tm "$set.poppler" sh -c 'xargs -0 gz-extract --jobs "$2" --quiet --metrics-file "$4" <"$1" >"$3" 2>/dev/null' _ "$W/$set.list" "$JOBS" "$W/$set.poppler.ndjson" "$W/$set.prom"
	row "$set" "$files"
}

texts() { jq -c '[.gz.file, .source_text]' "$1" | sort; }

row() {
	local set=$1 files=$2 same docs self xw xu xs tw tu ts pw pu ps pm
	read -r xw xu xs _ <"$W/$set.xargs.t"
	read -r tw tu ts _ <"$W/$set.pdftotext.t"
	read -r pw pu ps pm <"$W/$set.poppler.t"
	self=$(awk '$1 ~ /^gz_peak_rss_bytes/ { printf "%.0f", $2 / 1048576 }' "$W/$set.prom" 2>/dev/null)
	docs=$(wc -l <"$W/$set.poppler.ndjson")
	same=$(comm -12 <(texts "$W/$set.poppler.ndjson") <(texts "$W/$set.pdftotext.ndjson") | wc -l)
	printf '| %s | %s | %s s (%s+%s) | %s s (%s+%s) | %s s (%s+%s) | %.2f× | %.2f× | %s / %s | %s MiB / %s MiB |\n' \
		"$set" "$files" "$xw" "$xu" "$xs" "$tw" "$tu" "$ts" "$pw" "$pu" "$ps" \
		"$(echo "$xw / $pw" | bc -l)" "$(echo "$xw / $tw" | bc -l)" \
		"$same" "$docs" "${self:-?}" "$((pm / 1024))" >>"$W/rows"
}

gazettes
large
: >"$W/rows"
run_set gazettes
run_set large
{
	echo "# PDF engines: gz-extract against xargs -P$JOBS pdftotext"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
	echo "Wall (user+sys CPU seconds); speed-up = xargs wall / gz-extract wall."
	echo "Identical = documents whose source_text is byte-identical between the two engines."
	echo "RSS: gz-extract's own peak / the largest process of the run (a worker, or gz-extract)."
	echo
	echo "| set | PDFs | xargs -P$JOBS pdftotext | gz-extract --pdf-engine pdftotext | gz-extract (poppler workers) | poppler vs xargs | pdftotext engine vs xargs | identical | RSS |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$W/rows"
} | tee "$out"
