# gz-extract's OCR: scanned pages and images recognised by tesseract
# (Portuguese).  The scans are made here from typed text
# (tests/helpers/scan-pdf.py: a typed page rendered by pdftoppm, wrapped
# as an image with no text layer), so the words to get back are known.
load helpers/common

SCAN="$GZ_ROOT/tests/helpers/scan-pdf.py"

setup() {
	export GZ_SPOOL="$BATS_TEST_TMPDIR/spool"
	unset GZ_OCR
}

# scan OUT KINDS [SEED]: a PDF, one page per letter (s scanned, t typed);
# the scanned pages' words go to OUT.words.
scan() {
	"$GZ_PYTHON" "$SCAN" make "$1" "$2" "${3:-1}" "$1.words"
}

# rec FILE: the record for FILE (records leave as their documents finish).
rec() {
	echo "$output" | jq -c --arg f "$1" 'select(.gz.file | endswith("/" + $f))'
}

# page N: page N of the first record's source_text (pages end in \f).
page() {
	echo "$output" | jq -r --argjson n "$1" '.source_text | split("\f")[$n - 1]'
}

@test "a scanned PDF of typed Portuguese gives back at least 90% of its words, accents included" {
	scan "$BATS_TEST_TMPDIR/ato.pdf" s
	run -0 --separate-stderr gz-extract --metrics-file "$BATS_TEST_TMPDIR/m.prom" "$BATS_TEST_TMPDIR/ato.pdf"
	echo "$output" | jq -e '.gz.pages == 1 and .gz.extractor == "poppler" and .gz.ocr.pages == [1] and .gz.ocr.seconds > 0'
	echo "$output" | jq -e '.gz | has("ocr_needed") or has("ocr_warning") or has("error") | not'
	page 1 >"$BATS_TEST_TMPDIR/text"
	run -0 "$GZ_PYTHON" "$SCAN" score "$BATS_TEST_TMPDIR/ato.pdf.words" "$BATS_TEST_TMPDIR/text"
	echo "# $output" >&3
	pct=$(sed -n 's/.* = \([0-9]*\)\..*%$/\1/p' <<<"$output")
	[ "$pct" -ge 90 ]
	grep -q 'Município de São Paulo' "$BATS_TEST_TMPDIR/text"
	grep -q 'licitação' "$BATS_TEST_TMPDIR/text"
	[[ "$stderr" == *"1 pages, 1 recognised in "* ]]
	grep -q '^gz_ocr_pages_total{tool="gz-extract"} 1$' "$BATS_TEST_TMPDIR/m.prom"
	grep -q '^gz_ocr_seconds_total{tool="gz-extract"} [0-9.]*[1-9]' "$BATS_TEST_TMPDIR/m.prom"
}

@test "in a PDF of typed and scanned pages only the scanned one is recognised, in its place, page breaks kept" {
	scan "$BATS_TEST_TMPDIR/misto.pdf" tst 2
	run -0 --separate-stderr gz-extract --ocr never "$BATS_TEST_TMPDIR/misto.pdf"
	typed1=$(page 1) typed3=$(page 3)
	[ "$(page 2)" = "" ]
	run -0 --separate-stderr gz-extract "$BATS_TEST_TMPDIR/misto.pdf"
	echo "$output" | jq -e '.gz.pages == 3 and .gz.ocr.pages == [2]'
	echo "$output" | jq -e '.source_text | split("\f") | length == 4 and .[3] == ""'
	[ "$(page 1)" = "$typed1" ]
	[ "$(page 3)" = "$typed3" ]
	[[ "$(page 2)" == *"São Paulo"* ]]
}

@test "--ocr never keeps a scan's empty text and ocr_needed; --ocr always reads typed pages too; GZ_OCR says the same" {
	scan "$BATS_TEST_TMPDIR/s.pdf" s
	SCAN_PDF_LINES=4 scan "$BATS_TEST_TMPDIR/t.pdf" t
	run -0 --separate-stderr gz-extract --ocr never "$BATS_TEST_TMPDIR/s.pdf"
	echo "$output" | jq -e '.source_text == "\f" and .gz.ocr_needed == true and (.gz | has("ocr") | not)'
	[[ "$stderr" == *"0 recognised in 0.0 s, 1 ocr_needed"* ]]
	run -0 --separate-stderr env GZ_OCR=never gz-extract "$BATS_TEST_TMPDIR/s.pdf"
	echo "$output" | jq -e '.gz.ocr_needed == true'
	run -0 --separate-stderr gz-extract "$BATS_TEST_TMPDIR/t.pdf"
	echo "$output" | jq -e '.gz | has("ocr") | not'
	run -0 --separate-stderr env GZ_OCR=never gz-extract --ocr always "$BATS_TEST_TMPDIR/t.pdf"
	echo "$output" | jq -e '.gz.ocr.pages == [1]'
	[[ "$(page 1)" == *"aviso de licitação"* ]]
}

@test "past --ocr-max-pages the pages within it are recognised, the rest counted in gz.ocr.skipped and gz.ocr_warning" {
	SCAN_PDF_LINES=4 scan "$BATS_TEST_TMPDIR/longo.pdf" sss
	run -0 --separate-stderr gz-extract --ocr-max-pages 1 "$BATS_TEST_TMPDIR/longo.pdf"
	echo "$output" | jq -e '.gz.pages == 3 and .gz.ocr.pages == [1] and .gz.ocr.skipped == 2 and .gz.ocr_needed == true'
	echo "$output" | jq -e '.gz.ocr_warning == "2 more pages without a text layer were not recognised: over --ocr-max-pages=1"'
	[[ "$(page 1)" == *"São Paulo"* ]]
	[ "$(page 2)" = "" ]
	[[ "$stderr" == *"1 recognised in "*"1 ocr_needed"* ]]
}

@test "JPEG, PNG and TIFF files are recognised instead of unsupported_type" {
	local d="$BATS_TEST_TMPDIR"
	SCAN_PDF_LINES=4 "$GZ_PYTHON" "$SCAN" image "$d/aviso.jpg" 3 "$d/aviso.words"
	SCAN_PDF_LINES=4 scan "$d/t.pdf" t 4
	pdftoppm -r 150 -gray -png -singlefile "$d/t.pdf" "$d/aviso"
	pdftoppm -r 150 -gray -tiff -singlefile "$d/t.pdf" "$d/aviso"
	run -0 --separate-stderr gz-extract --jobs 1 --ocr-jobs 3 "$d/aviso.jpg" "$d/aviso.png" "$d/aviso.tif"
	echo "$output" | jq -se 'length == 3 and all(.gz.extractor == "tesseract" and .gz.pages == 1 and .gz.ocr.pages == [1])'
	echo "$output" | jq -se 'all(.source_text | test("Munic.pio de S.o Paulo"))'
	echo "$output" | jq -se 'map(.gz.mime) | sort == ["image/jpeg", "image/png", "image/tiff"]'
	[[ "$stderr" == *"image 3, unsupported 0"* ]]
}

@test "a slow scan does not hold up the text documents behind it: they leave while it is being recognised" {
	local d="$BATS_TEST_TMPDIR" i
	scan "$d/lento.pdf" ss 5
	SCAN_PDF_LINES=4 scan "$d/rapido.pdf" t 6
	{
		echo '{"id":"scan","gz":{"file":"'"$d/lento.pdf"'"}}'
		for i in 1 2 3 4 5 6 7 8; do
			cp "$d/rapido.pdf" "$d/rapido-$i.pdf"
			echo '{"id":"t'"$i"'","gz":{"file":"'"$d/rapido-$i.pdf"'"}}'
		done
	} >"$d/in.ndjson"
	# One --jobs place: were the scan's OCR to hold it, no typed
	# document could pass before the scan's three pages are read.
	run -0 --separate-stderr gz-extract --keep --jobs 1 --ocr-jobs 1 <"$d/in.ndjson"
	echo "$output" | jq -se 'map(.id) == ["t1","t2","t3","t4","t5","t6","t7","t8","scan"]'
	echo "$output" | jq -se '.[-1].gz.ocr.pages == [1,2]'
}

# cpu_ticks PID: user + system CPU time of PID, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

@test "a page that overruns --timeout fails its document with timeout, naming tesseract; the worker is killed" {
	local d="$BATS_TEST_TMPDIR" pid w="" i hz status
	SCAN_PDF_LINES=50 scan "$d/s.pdf" s 7
	hz=$(getconf CLK_TCK)
	gz-extract --jobs 1 --timeout 3 "$d/s.pdf" >"$d/out" 2>"$d/err" &
	pid=$!
	# Reading the scan's empty text layer takes a few milliseconds of CPU;
	# past 0.8 s its worker is loading the model or recognising the dense
	# page (seconds of work).  Stopped there, it overruns --timeout (on a
	# busy machine it may overrun it unstopped: the same outcome).
	for i in $(seq 1200); do
		kill -0 "$pid" 2>/dev/null || break
		w=$(pgrep -P "$pid" -f -- --pdf-worker | head -n 1) || true
		if [ -n "$w" ] && [ "$(cpu_ticks "$w")" -ge $((hz * 8 / 10)) ]; then
			kill -STOP "$w"
			break
		fi
		sleep 0.05
	done
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 1 ]
	jq -e '.gz.error.code == "timeout" and .gz.extractor == "tesseract"' "$d/out"
	jq -e '.gz.error.message | test("^tesseract gave no result in 3 s( on page 1)? and was killed$")' "$d/out"
	[ -z "$w" ] || [ ! -e "/proc/$w" ]
}

@test "without tesseract's model: auto warns and passes scans on with ocr_needed; --ocr always is a configuration error" {
	scan "$BATS_TEST_TMPDIR/s.pdf" s
	mkdir "$BATS_TEST_TMPDIR/tessdata"
	run -1 --separate-stderr env TESSDATA_PREFIX="$BATS_TEST_TMPDIR/tessdata" gz-extract "$BATS_TEST_TMPDIR/s.pdf" "$GZ_ROOT/tests/fixtures/gazettes/brasao.png"
	rec s.pdf | jq -e '.gz.ocr_needed == true'
	rec brasao.png | jq -e '.gz.error.code == "unsupported_type"'
	[[ "$stderr" == *"tesseract's por model is not installed (Debian: tesseract-ocr-por)"* ]]
	run -2 --separate-stderr env TESSDATA_PREFIX="$BATS_TEST_TMPDIR/tessdata" gz-extract --ocr always "$BATS_TEST_TMPDIR/s.pdf"
	[ -z "$output" ]
	[[ "$stderr" == *"--ocr=always: tesseract's por model is not in \$TESSDATA_PREFIX"* ]]
}

@test "a bad --ocr, GZ_OCR, --ocr-max-pages or --ocr-jobs is a usage error" {
	run -2 --separate-stderr gz-extract --ocr sometimes /dev/null
	[[ "$stderr" == *"--ocr: auto, never or always, not 'sometimes'"* ]]
	run -2 --separate-stderr env GZ_OCR=yes gz-extract /dev/null
	[[ "$stderr" == *"GZ_OCR: auto, never or always, not 'yes'"* ]]
	run -2 gz-extract --ocr-max-pages 0 /dev/null
	run -2 gz-extract --ocr-max-pages 10001 /dev/null
	run -2 gz-extract --ocr-jobs 0 /dev/null
}
