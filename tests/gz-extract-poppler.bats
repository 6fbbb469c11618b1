# gz-extract's default PDF engine: poppler in long-lived workers.  Its text
# must be pdftotext's (the reference, --pdf-engine pdftotext), and a worker
# that crashes or overruns --timeout must fail its document alone.
load helpers/common

FIX="$GZ_ROOT/tests/fixtures/gazettes"
GZX="$GZ_ROOT/tests/fixtures/gz-extract"
HEAVY="$GZX/heavy.pdf"	# ~15 s of CPU for poppler: time to look at a worker
# The engines are compared on their text layers; OCR is tested in
# tests/gz-extract-ocr.bats.
export GZ_OCR=never

setup() {
	export GZ_SPOOL="$BATS_TEST_TMPDIR/spool"
	CROP="$BATS_TEST_TMPDIR/cropbox.pdf"
	"$GZ_PYTHON" "$GZX/cropbox-pdf.py" >"$CROP"
}

# What may differ: the engine's name, its time, its attempts, and the words
# of a failure (pdftotext's own, poppler's in another form).
UNLIKE='del(.gz.extractor, .gz.extract_seconds, .gz.error.attempts, .gz.error.message)'

# same FILE...: what each engine makes of the files, as comparable lines.
same() {
	local f
	for f in "$@"; do
		gz-extract --pdf-engine=poppler "$f" 2>/dev/null | jq -c "$UNLIKE" >"$BATS_TEST_TMPDIR/poppler"
		gz-extract --pdf-engine=pdftotext "$f" 2>/dev/null | jq -c "$UNLIKE" >"$BATS_TEST_TMPDIR/pdftotext"
		[ -s "$BATS_TEST_TMPDIR/poppler" ] || fail "no record for $f"
		cmp "$BATS_TEST_TMPDIR/poppler" "$BATS_TEST_TMPDIR/pdftotext" ||
			fail "$f: the engines differ: $(diff "$BATS_TEST_TMPDIR/poppler" "$BATS_TEST_TMPDIR/pdftotext" | head -c 600)"
	done
}

# worker_of PID: the PDF worker gz-extract PID started (waits up to 60 s).
worker_of() {
	local i w
	for i in $(seq 600); do
		w=$(pgrep -P "$1" -f -- '--pdf-worker' | head -n 1)
		[ -n "$w" ] && { echo "$w"; return 0; }
		sleep 0.1
	done
	return 1
}

@test "both engines give byte-identical records on every PDF fixture, failures included" {
	same "$FIX"/*.pdf "$GZX/senha.pdf" "$CROP"
	run -0 --separate-stderr gz-extract "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.gz.extractor == "poppler" and .gz.pages == 3'
}

@test "many PDFs in one run: the same text as pdftotext's, from one worker" {
	set -- "$FIX/diario-sp-2024-01-02.pdf" "$FIX/duas-colunas.pdf" "$FIX/escaneado.pdf" "$FIX/protegido.pdf" "$FIX/corrompido.pdf"
	run -1 --separate-stderr gz-extract -v --jobs=1 "$@"
	echo "$output" | jq -c '{f: .gz.file, t: .source_text, p: .gz.pages, e: .gz.error.code}' | sort >"$BATS_TEST_TMPDIR/a"
	assert_equal "$(grep -c 'PDF worker [0-9]* started' <<<"$stderr")" 1
	run -1 --separate-stderr gz-extract --pdf-engine=pdftotext --jobs=1 "$@"
	echo "$output" | jq -c '{f: .gz.file, t: .source_text, p: .gz.pages, e: .gz.error.code}' | sort >"$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/a")" 5
}

@test "--pdf-recycle N: a worker is replaced after N documents" {
	run -0 --separate-stderr gz-extract -v --jobs=1 --pdf-recycle=2 "$FIX/diario-sp-2024-01-02.pdf" \
		"$FIX/duas-colunas.pdf" "$FIX/escaneado.pdf" "$FIX/protegido.pdf" "$FIX/diario-sp-2024-01-02.pdf"
	assert_equal "$(grep -c 'PDF worker [0-9]* started' <<<"$stderr")" 3
	echo "$output" | jq -se 'length == 5 and all(.gz.extractor == "poppler" and (.gz | has("error") | not))'
}

@test "a CropBox smaller than the page goes to pdftotext, which reads the whole page" {
	run -0 --separate-stderr gz-extract "$CROP"
	echo "$output" | jq -e '.gz.extractor == "pdftotext" and (.source_text | contains("fora da caixa") and contains("dentro da caixa"))'
}

@test "a worker killed mid-document fails that document alone; it ran under the limits; the next PDFs get a new worker" {
	GZ_SECRET=hunter2 gz-extract -v --jobs=1 --child-memory=512M "$HEAVY" \
		"$FIX/diario-sp-2024-01-02.pdf" "$FIX/duas-colunas.pdf" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	gz=$!
	w=$(worker_of "$gz")
	# Its own process group, no variable of ours, the converters' limits
	# (no address-space limit in the sanitizer build, as for converters).
	assert_equal "$(ps -o pgid= -p "$w" | tr -d ' ')" "$w"
	run ! grep -q SECRET "/proc/$w/environ"
	grep -qE '^Max file size +16777216 ' "/proc/$w/limits"
	grep -qE '^Max core file size +0 ' "/proc/$w/limits"
	if [[ "${GZ_BIN:-}" != *sanitize* ]]; then
		grep -qE '^Max address space +536870912 ' "/proc/$w/limits"
	fi
	# What a PDF that crashes poppler does, without one at hand: the
	# worker dies by a signal in the middle of its document.
	kill -KILL "$w"
	st=0
	wait "$gz" || st=$?
	assert_equal "$st" 1
	rec() { jq -c --arg f "$1" 'select(.gz.file | endswith("/" + $f))' "$BATS_TEST_TMPDIR/out"; }
	rec heavy.pdf | jq -e '.gz.error.code == "extractor_crashed" and .gz.extractor == "poppler"'
	rec heavy.pdf | jq -e '.gz.error.message | startswith("poppler killed by SIGKILL")'
	rec diario-sp-2024-01-02.pdf | jq -e '.gz.pages == 3 and (.gz | has("error") | not)'
	rec duas-colunas.pdf | jq -e '.gz.pages == 1 and (.gz | has("error") | not)'
	assert_equal "$(grep -c 'PDF worker [0-9]* started' "$BATS_TEST_TMPDIR/err")" 2
}

@test "a document past --timeout fails with timeout, its worker is killed, and the next PDF extracts" {
	run -1 --separate-stderr gz-extract --jobs=1 --timeout=1 "$HEAVY" "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -se 'map(select(.gz.file | endswith("heavy.pdf")))[0].gz | .error.code == "timeout" and .extractor == "poppler"'
	echo "$output" | jq -se 'map(select(.gz.file | endswith("diario-sp-2024-01-02.pdf")))[0].gz | .pages == 3 and (has("error") | not)'
}

@test "--max-text-bytes cuts poppler's text where it cuts pdftotext's, and every page is still counted" {
	run -0 --separate-stderr gz-extract --max-text-bytes=100 "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -c '[.source_text, .gz.pages, .gz.truncated, .gz.text_bytes]' >"$BATS_TEST_TMPDIR/a"
	run -0 --separate-stderr gz-extract --pdf-engine=pdftotext --max-text-bytes=100 "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -c '[.source_text, .gz.pages, .gz.truncated, .gz.text_bytes]' >"$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	grep -q '^\[".*",3,true,' "$BATS_TEST_TMPDIR/a"
}

@test "the poppler engine needs no pdftotext on PATH" {
	gzx=$(command -v gz-extract)
	mkdir "$BATS_TEST_TMPDIR/empty"
	run -0 --separate-stderr env PATH="$BATS_TEST_TMPDIR/empty" "$gzx" "$FIX/duas-colunas.pdf"
	echo "$output" | jq -e '.gz.extractor == "poppler" and .gz.pages == 1'
	run -2 --separate-stderr env PATH="$BATS_TEST_TMPDIR/empty" "$gzx" --pdf-engine=pdftotext "$FIX/duas-colunas.pdf"
	[[ "$stderr" == *"pdftotext not found on PATH"* ]]
}

@test "an unknown --pdf-engine or GZ_PDF_ENGINE, a bad --pdf-recycle, or --pdf-recycle with pdftotext, is a usage error" {
	run -2 --separate-stderr gz-extract --pdf-engine=mupdf "$FIX/duas-colunas.pdf"
	[[ "$stderr" == *"--pdf-engine: poppler or pdftotext"* ]]
	run -2 --separate-stderr env GZ_PDF_ENGINE=mupdf gz-extract "$FIX/duas-colunas.pdf"
	[[ "$stderr" == *"GZ_PDF_ENGINE: poppler or pdftotext"* ]]
	run -2 --separate-stderr gz-extract --pdf-recycle=0 "$FIX/duas-colunas.pdf"
	# Conflicting options: pdftotext has no workers to recycle.
	run -2 --separate-stderr gz-extract --pdf-engine=pdftotext --pdf-recycle=5 "$FIX/duas-colunas.pdf"
	[[ "$stderr" == *"--pdf-recycle: the pdftotext engine has no workers"* ]]
	[ -z "$output" ]
	# The option wins over the variable.
	run -0 --separate-stderr env GZ_PDF_ENGINE=mupdf gz-extract --pdf-engine=pdftotext "$FIX/duas-colunas.pdf"
}
