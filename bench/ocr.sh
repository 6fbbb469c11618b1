#!/bin/bash
# OCR (make bench-ocr, and part of make bench): gz-extract reading scanned
# gazettes made from known typed Portuguese text by tests/helpers/scan-pdf.py
# (a typed A4 page, 35 lines, rendered by pdftoppm at 150 dpi and wrapped
# as an image with no text layer):
#   one scan   one PDF of BENCH_OCR_PAGES pages (default 12; 4 with QUICK=1),
#              --ocr-jobs 1: one core's pace
#   two scans  two such PDFs at once, --ocr-jobs 2: both cores
# Reports wall time, CPU (user+sys, the workers included), pages per second
# per core (pages / CPU seconds), peak RSS of the largest process, and the
# word recovery: the share of the typed words found again in the text, as
# a multiset.  Writes bench/results/ocr.md.  No services needed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
SCAN="$root/tests/helpers/scan-pdf.py"
export PATH="$root/bin:$PATH" LC_ALL=C.UTF-8
unset GZ_OCR
if [ -n "${QUICK:-}" ] && [ "${QUICK:-0}" != 0 ]; then
	PAGES=${BENCH_OCR_PAGES:-4}
else
	PAGES=${BENCH_OCR_PAGES:-12}
fi
W=$(mktemp -d /tmp/gz-ocr.XXXXXX)
trap 'rm -rf "$W"' EXIT
out="$root/bench/results/ocr.md"
mkdir -p "$root/bench/results"

say() { printf '[ocr] %s\n' "$*" >&2; }

# scan NAME SEED: a PDF of $PAGES scanned pages, its words in NAME.pdf.words
scan() {
	$PY "$SCAN" make "$W/$1.pdf" "$(printf 's%.0s' $(seq "$PAGES"))" "$2" "$W/$1.pdf.words"
}

# run_set NAME OCR_JOBS FILE...: gz-extract over the files, and a table row.
run_set() {
	local name=$1 jobs=$2 wall user sys rss pages cpu recovered
	shift 2
	say "$name: $# PDF(s) of $PAGES pages, --ocr-jobs $jobs"
	/usr/bin/time -f '%e %U %S %M' -o "$W/$name.t" \
		gz-extract --quiet --jobs 1 --ocr-jobs "$jobs" "$@" >"$W/$name.ndjson"
	read -r wall user sys rss <"$W/$name.t"
	pages=$(jq -s 'map(.gz.ocr.pages | length) | add' "$W/$name.ndjson")
	cpu=$(echo "$user + $sys" | bc -l)
	cat "${@/%/.words}" >"$W/$name.words"
	jq -r '.source_text' "$W/$name.ndjson" >"$W/$name.txt"
	recovered=$($PY "$SCAN" score "$W/$name.words" "$W/$name.txt" | sed 's/^recovered //')
	printf '| %s | %s | %s | %s s | %.1f s | %.3f | %.3f | %s MiB | %s |\n' \
		"$name" "$pages" "$jobs" "$wall" "$cpu" \
		"$(echo "$pages / $cpu" | bc -l)" "$(echo "$pages / $wall" | bc -l)" \
		"$((rss / 1024))" "$recovered" >>"$W/rows"
}

say "making the scans"
scan a 11
scan b 12
: >"$W/rows"
run_set "one scan" 1 "$W/a.pdf"
run_set "two scans" 2 "$W/a.pdf" "$W/b.pdf"
{
	echo "# OCR: scanned gazettes through gz-extract (tesseract, Portuguese)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
	echo "Each page: a typed A4 page of Portuguese (35 lines) scanned at 150 dpi, rendered again at 300 dpi for tesseract."
	echo "Pages/s per core = pages / CPU seconds (gz-extract and its workers); recovery = typed words found again."
	echo
	echo "| set | pages | --ocr-jobs | wall | CPU | pages/s per core | pages/s | peak RSS | word recovery |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	cat "$W/rows"
} | tee "$out"
