# gz-extract on the real sample gazettes (tests/fixtures/gazettes, described
# in EXPECTED.md there), with fake converters where a failure has to be
# provoked on purpose.  Files named as operands are never deleted, so those
# tests read the fixtures in place; tests of the spool rules work on copies.
load helpers/common
# These tests pin the reference engine, pdftotext, whose process they fake
# or watch; tests/gz-extract-poppler.bats covers the default engine.
export GZ_PDF_ENGINE=pdftotext
# And no OCR: a scan keeps its empty text and gz.ocr_needed, an image is
# unsupported_type; tests/gz-extract-ocr.bats tests OCR.
export GZ_OCR=never

FIX="$GZ_ROOT/tests/fixtures/gazettes"
GZX="$GZ_ROOT/tests/fixtures/gz-extract"	# made by make-fixtures.sh there
HEAVY="$GZX/heavy.pdf"

# The spool gz-extract may delete in: the folder spool() fills.
setup() {
	export GZ_SPOOL="$BATS_TEST_TMPDIR/spool"
}

setup_file() {
	export TEXTCLEAN="$(dirname "${GZ_BIN:-$GZ_ROOT/build/release/bin}")/test/textclean"
	[ -x "$TEXTCLEAN" ] || TEXTCLEAN="$GZ_ROOT/build/release/test/textclean"
}

# page N: page N of the first record's source_text (pages end in \f).
page() {
	echo "$output" | jq -r --argjson n "$1" '.source_text | split("\f")[$n - 1]'
}

# text [FILE]: source_text of the record for FILE (default: the first).
text() {
	if [ $# -eq 0 ]; then
		echo "$output" | jq -r '.source_text'
	else
		echo "$output" | jq -r --arg f "$1" 'select(.gz.file | endswith("/" + $f)) | .source_text'
	fi
}

# rec FILE: the record for FILE.
rec() {
	echo "$output" | jq -c --arg f "$1" 'select(.gz.file | endswith("/" + $f))'
}

# spool FILE...: copies of fixtures in a spool folder; prints its path.
spool() {
	local dir="$BATS_TEST_TMPDIR/spool"
	mkdir -p "$dir"
	for f in "$@"; do cp "$FIX/$f" "$dir/"; done
	echo "$dir"
}

# fake NAME <<script: a stand-in converter, first on PATH via $FAKE.
fake() {
	FAKE="$BATS_TEST_TMPDIR/fake"
	mkdir -p "$FAKE"
	cat >"$FAKE/$1"
	chmod +x "$FAKE/$1"
}

@test "a 3-page PDF with Portuguese accents: exact sentences on their pages and 3 page breaks" {
	run -0 --separate-stderr gz-extract "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.gz.mime == "application/pdf" and .gz.extractor == "pdftotext"'
	echo "$output" | jq -e '.gz.pages == 3 and (.gz | has("truncated") or has("ocr_needed") | not)'
	echo "$output" | jq -e '.source_text | ([scan("\f")] | length) == 3 and endswith("\f")'
	echo "$output" | jq -e '.gz.text_bytes == (.source_text | utf8bytelength)'
	echo "$output" | jq -e '.gz.extract_seconds >= 0'
	page 1 | grep -qxF 'Fica instituída a Ação Municipal de Alfabetização na Rede Municipal de Ensino.'
	page 1 | grep -qxF 'DECRETO Nº 63.100, DE 1º DE JANEIRO DE 2024'
	page 1 | grep -qxF 'Página 1'
	page 2 | grep -qxF 'Fica nomeada Maria da Conceição Araújo para o cargo de Diretora de Escola.'
	page 2 | grep -qxF 'Página 2'
	page 3 | grep -qxF 'A Câmara Municipal de São Paulo torna pública a licitação nº 12/2024.'
	page 3 | grep -qxF 'AVISO DE LICITAÇÃO — PREGÃO ELETRÔNICO Nº 12/2024'
	page 3 | grep -qxF 'Página 3'
	for n in 1 2 3; do
		page "$n" | grep -qxF 'Diário Oficial do Município de São Paulo'
	done
	[ -z "$(page 1 | grep -F 'Maria da Conceição')" ]
}

@test "a 2-column page keeps each column's sentence on its own line, left column first" {
	run -0 --separate-stderr gz-extract "$FIX/duas-colunas.pdf"
	echo "$output" | jq -e '.gz.pages == 1'
	left=$(text | grep -nxF 'Convocação dos aprovados no concurso da Saúde.' | cut -d: -f1)
	right=$(text | grep -nxF 'Aviso de licitação nº 7/2024 da Câmara Municipal.' | cut -d: -f1)
	[ -n "$left" ] && [ -n "$right" ] && [ "$left" -lt "$right" ]
	text | grep -qxF 'Diário Oficial do Município do Rio de Janeiro'
}

@test "an encrypted PDF that opens without a password is extracted" {
	run -0 --separate-stderr gz-extract "$FIX/protegido.pdf"
	echo "$output" | jq -e '.gz.pages == 1 and (.gz | has("error") | not)'
	text | grep -qxF 'Fica homologado o resultado da licitação nº 45/2024 de Salvador.'
}

@test "a corrupt PDF fails with extractor_failed quoting pdftotext, and the run goes on" {
	run -1 --separate-stderr gz-extract "$FIX/corrompido.pdf" "$FIX/diario-sp-2024-01-02.pdf"
	assert_equal "$(echo "$output" | jq -s length)" 2
	rec corrompido.pdf | jq -e '.gz.error | .code == "extractor_failed" and .stage == "gz-extract" and .retryable == false'
	rec corrompido.pdf | jq -e '.gz.error.message == "pdftotext exit 1: Syntax Error: Couldn'"'"'t read xref table"'
	rec corrompido.pdf | jq -e 'has("source_text") | not'
	rec diario-sp-2024-01-02.pdf | jq -e '.gz.pages == 3'
	[[ "$stderr" == *"corrompido.pdf: extractor_failed: pdftotext exit 1"* ]]
}

@test "a truncated PDF fails with extractor_failed" {
	run -1 --separate-stderr gz-extract "$FIX/truncado.pdf"
	echo "$output" | jq -e '.gz.mime == "application/pdf" and .gz.error.code == "extractor_failed"'
	echo "$output" | jq -e '.gz.error.message | startswith("pdftotext exit 1: ")'
}

@test "a PDF that needs a user password fails with password_required" {
	run -1 --separate-stderr gz-extract "$GZX/senha.pdf"
	echo "$output" | jq -e '.gz.error.code == "password_required" and .gz.error.retryable == false'
}

@test "a PDF that needs more than --child-memory fails with memory_limit" {
	run -1 --separate-stderr timeout 60 gz-extract --child-memory=64M "$HEAVY"
	echo "$output" | jq -e '.gz.error.code == "memory_limit" and .gz.error.retryable == false'
	echo "$output" | jq -e '.gz.error.message | test("^pdftotext ran out of memory under --child-memory=64M \\(killed by SIGABRT\\): Out of memory")'
}

@test "a limit too small for pdftotext to even load is memory_limit too" {
	run -1 --separate-stderr gz-extract --child-memory=4M "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.gz.error.code == "memory_limit"'
	echo "$output" | jq -e '.gz.error.message | contains("failed to map segment") or contains("Cannot allocate memory")'
}

@test "a PDF that outlasts --timeout is killed and fails with timeout" {
	run -1 --separate-stderr timeout 60 gz-extract --timeout=1 "$HEAVY"
	echo "$output" | jq -e '.gz.error.code == "timeout" and .gz.extractor == "pdftotext"'
	run ! pgrep -f "pdftotext.*$HEAVY"
}

@test "a scanned PDF passes with its empty text, ocr_needed and a count in the summary" {
	run -0 --separate-stderr gz-extract "$FIX/escaneado.pdf"
	echo "$output" | jq -e '.source_text == "\f" and .gz.pages == 1 and .gz.ocr_needed == true'
	echo "$output" | jq -e '.gz | has("error") | not'
	[[ "$stderr" == *"1 ocr_needed"* ]]
}

@test "a ZIP renamed .pdf, a real ZIP and an image are unsupported_type naming the MIME type" {
	run -1 --separate-stderr gz-extract "$FIX/pacote-renomeado.pdf" "$FIX/pacote.zip" "$FIX/brasao.png"
	rec pacote-renomeado.pdf | jq -e '.gz.mime == "application/zip" and .gz.error.code == "unsupported_type"'
	rec pacote-renomeado.pdf | jq -e '.gz.error.message == "unsupported type application/zip"'
	rec pacote.zip | jq -e '.gz.error.message == "unsupported type application/zip"'
	rec brasao.png | jq -e '.gz.error == {"stage": "gz-extract", "code": "unsupported_type", "message": "unsupported type image/png", "retryable": false}'
	[[ "$stderr" == *"unsupported 3"* ]]
}

@test "an empty file fails with empty_file" {
	run -1 --separate-stderr gz-extract "$FIX/vazio.pdf"
	echo "$output" | jq -e '.gz.error.code == "empty_file" and .gz.error.message == "the file is empty"'
}

# EXPECTED.md: the paragraphs of ato.doc, ato.docx and ato.odt.
ato_paragraphs() {
	cat <<'EOF'
CÂMARA MUNICIPAL DE CURITIBA
ATO DA MESA Nº 15, DE 4 DE JANEIRO DE 2024
A Mesa Diretora da Câmara Municipal de Curitiba, no uso de suas atribuições legais, resolve:
Art. 1º Fica nomeado José Antônio Simões.
Art. 2º A nomeação de que trata este Ato produzirá efeitos a partir da data de sua publicação, observadas as disposições da Lei Orgânica do Município, do Regimento Interno da Câmara e da legislação aplicável à Administração Pública, especialmente quanto à Ação de Transparência e à vedação de acúmulo de cargos.
Art. 3º Publique-se no “Diário Oficial do Município” – edição eletrônica.
Curitiba, 4 de janeiro de 2024.
Vereador Marcelo Fachinello – Presidente
ANEXO ÚNICO
Atribuições do cargo: assessorar a Mesa na elaboração de proposições e pareceres.
EOF
}

# has_paragraphs: every paragraph of the act is a whole line of the text.
has_paragraphs() {
	local body
	body=$(text "$1" | tr -d '\f')
	while IFS= read -r line; do
		grep -qxF -- "$line" <<<"$body" || fail "$1: missing line: $line"
	done < <(ato_paragraphs)
}

@test "a DOC comes out through antiword: exact, unwrapped paragraphs with curly quotes and dashes" {
	run -0 --separate-stderr gz-extract "$FIX/ato.doc"
	echo "$output" | jq -e '.gz.mime == "application/msword" and .gz.extractor == "antiword"'
	has_paragraphs ato.doc
}

@test "a DOCX comes out through the built-in reader: exact paragraphs, table cells, page break as \\f" {
	run -0 --separate-stderr gz-extract "$FIX/ato.docx"
	echo "$output" | jq -e '.gz.extractor == "builtin:docx"'
	echo "$output" | jq -e '.gz.mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"'
	has_paragraphs ato.docx
	text | grep -qxF 'Gabinete da Presidência'
	echo "$output" | jq -e '.source_text | test("Presidente\f\nANEXO ÚNICO\n")'
	echo "$output" | jq -e '.source_text | startswith("CÂMARA")'
}

@test "an ODT comes out through the built-in reader: exact paragraphs, no padding" {
	run -0 --separate-stderr gz-extract "$FIX/ato.odt"
	echo "$output" | jq -e '.gz.extractor == "builtin:odt" and .gz.mime == "application/vnd.oasis.opendocument.text"'
	has_paragraphs ato.odt
	echo "$output" | jq -e '[.source_text | split("\n")[] | select(startswith(" ") or endswith(" "))] == []'
}

@test "DOCX: field results not codes, insertions not deletions, tabs, breaks, one copy of alternate content, footnotes last" {
	run -0 --separate-stderr gz-extract "$GZX/estrutura.docx"
	echo "$output" | jq -e '.source_text == "Título\nCampo: 7 fim\nAntes inserido\na\tb\nc-d\ncaixa\n\fPágina dois\n\n Nota de rodapé.\n"'
}

@test "a DOCX that libmagic calls application/zip is recognised by what is inside" {
	assert_equal "$(file -b --mime-type "$GZX/sem-ordem.docx")" application/zip
	run -1 --separate-stderr gz-extract "$GZX/sem-ordem.docx" "$FIX/pacote.zip"
	rec sem-ordem.docx | jq -e '.gz.extractor == "builtin:docx" and (.source_text | startswith("Título\nCampo: 7 fim\n"))'
	rec sem-ordem.docx | jq -e '.gz.mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"'
	rec pacote.zip | jq -e '.gz.error.code == "unsupported_type"'
}

@test "ODT: white space collapsed as ODF says, text:s, tab, line break, notes after the body, no annotations" {
	run -0 --separate-stderr gz-extract "$GZX/estrutura.odt"
	echo "$output" | jq -e '.source_text == "Título\ndois espaços colapsados\na   b\tc\nd\nCom nota no meio.\nSem comentário.\n\nx y\nTexto da nota.\n"'
}

@test "a Latin-1 TXT comes out as the very text of its UTF-8 twin" {
	run -0 --separate-stderr gz-extract "$FIX/aviso-latin1.txt" "$FIX/aviso-utf8.txt"
	rec aviso-latin1.txt | jq -e '.gz.mime == "text/plain" and .gz.extractor == "builtin:txt"'
	assert_equal "$(text aviso-latin1.txt)" "$(cat "$FIX/aviso-utf8.txt")"
	assert_equal "$(text aviso-utf8.txt)" "$(cat "$FIX/aviso-utf8.txt")"
	text aviso-latin1.txt | grep -qxF 'Publicação do Município de São Paulo: a Secretaria Municipal de Educação torna público o resultado da licitação nº 3/2024.'
}

@test "a Windows-1252 TXT keeps its curly quotes, dashes, ellipsis and euro sign" {
	run -0 --separate-stderr gz-extract "$FIX/aviso-cp1252.txt"
	text | grep -qxF 'O edital “Merenda Escolar 2024” – pregão eletrônico nº 8/2024 – está disponível…'
	text | grep -qxF 'Cotação de referência para itens importados: € 1,00 = R$ 5,40.'
}

@test "a record without gz.file gets no_file, error records pass untouched, bad lines become bad_record" {
	dir=$(spool diario-sp-2024-01-02.pdf)
	printf '%s\n' '{"id":1}' \
		'{"id":2,"gz":{"file":"x.pdf","error":{"stage":"gz-fetch","code":"http_404","message":"m","retryable":false}}}' \
		'not json' \
		"{\"id\":3,\"gz\":{\"file\":\"$dir/diario-sp-2024-01-02.pdf\"}}" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_equal "$(echo "$output" | jq -s length)" 4
	echo "$output" | jq -se '.[] | select(.id == 1) | .gz.error | .code == "no_file" and .stage == "gz-extract"'
	echo "$output" | jq -se '.[] | select(.id == 2) == {"id":2,"gz":{"file":"x.pdf","error":{"stage":"gz-fetch","code":"http_404","message":"m","retryable":false}}}'
	echo "$output" | jq -se '.[] | select(.gz.error.code == "bad_record") | .gz.error.line == 3'
	echo "$output" | jq -se '.[] | select(.id == 3) | .gz.pages == 3'
	[[ "$stderr" == *"id 1: no_file"* ]]
}

@test "a record whose gz member is malformed (gz or gz.error not an object, wrong kinds) becomes one bad_record line" {
	run -1 --separate-stderr timeout 60 gz-extract <"$GZ_ROOT/tests/fixtures/malformed-gz.ndjson"
	assert_malformed_gz_output gz-extract
	[[ "$stderr" != *"Assertion"* ]]
	[[ "$stderr" == *"id 15: bad_record: gz.file is an object, not a string"* ]]
}

@test "a spool file that is gone gets file_missing" {
	echo '{"id":7,"gz":{"file":"/nonexistent/spool/7.pdf"}}' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	echo "$output" | jq -e '.id == 7 and .gz.error.code == "file_missing" and .gz.error.retryable == true'
}

@test "spool files go once their record is out; --keep and --keep-failed keep them" {
	dir=$(spool diario-sp-2024-01-02.pdf brasao.png)
	cd "$dir/.."
	printf '%s\n' '{"id":1,"gz":{"file":"spool/diario-sp-2024-01-02.pdf"}}' \
		'{"id":2,"gz":{"file":"spool/brasao.png"}}' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr gz-extract --keep --keep-failed <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_file_exists "$dir/diario-sp-2024-01-02.pdf"
	assert_file_exists "$dir/brasao.png"
	run -1 --separate-stderr gz-extract --keep <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_file_exists "$dir/diario-sp-2024-01-02.pdf"
	assert_file_not_exists "$dir/brasao.png"
	echo '{"id":1,"gz":{"file":"spool/diario-sp-2024-01-02.pdf"}}' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	echo "$output" | jq -e '.gz.file == "spool/diario-sp-2024-01-02.pdf" and .gz.pages == 3'
	assert_file_not_exists "$dir/diario-sp-2024-01-02.pdf"
}

@test "a record naming a file outside the spool gets its text, but the file is kept, with one warning naming the record" {
	mkdir -p "$BATS_TEST_TMPDIR/mine"
	cp "$FIX/aviso-utf8.txt" "$BATS_TEST_TMPDIR/mine/aviso.txt"
	f="$BATS_TEST_TMPDIR/mine/aviso.txt"
	printf '{"id":1,"file_checksum":"a","gz":{"file":"%s"}}\n' "$f" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	echo "$output" | jq -e '.source_text | length > 0'
	assert_file_exists "$f"
	assert_equal "$(echo "$stderr" | grep -c 'warning')" 1
	[[ "$stderr" == *"warning: id 1: kept $f: not in the spool $GZ_SPOOL"* ]]
	# nor is a path that only climbs out of the spool with ".."
	mkdir -p "$GZ_SPOOL/run-1"
	printf '{"id":2,"gz":{"file":"%s/run-1/../../mine/aviso.txt"}}\n' "$GZ_SPOOL" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_file_exists "$f"
	[[ "$stderr" == *"id 2: kept "*"not in the spool"* ]]
	# in the spool, gz-fetch's own dot files (.stream, .part) are kept too
	mkdir -p "$GZ_SPOOL/in"
	echo 'pipe:[1]' >"$GZ_SPOOL/in/.stream"
	printf '{"id":3,"gz":{"file":"%s/in/.stream"}}\n' "$GZ_SPOOL" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_file_exists "$GZ_SPOOL/in/.stream"
	[[ "$stderr" == *"id 3: kept $GZ_SPOOL/in/.stream: not a finished download"* ]]
}

@test "a symbolic link in the spool is neither followed nor deleted through" {
	mkdir -p "$BATS_TEST_TMPDIR/secret" "$GZ_SPOOL/run-1" "$GZ_SPOOL/in"
	echo "root only" >"$BATS_TEST_TMPDIR/secret/shadow.txt"
	ln -s "$BATS_TEST_TMPDIR/secret/shadow.txt" "$GZ_SPOOL/run-1/5-x-1.txt"
	ln -s "$BATS_TEST_TMPDIR/secret/shadow.txt" "$GZ_SPOOL/in/5.txt"
	ln -s "$BATS_TEST_TMPDIR/secret" "$GZ_SPOOL/run-2"
	printf '{"id":5,"gz":{"file":"%s"}}\n' "$GZ_SPOOL/run-1/5-x-1.txt" \
		"$GZ_SPOOL/in/5.txt" "$GZ_SPOOL/run-2/shadow.txt" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_equal "$(echo "$output" | jq -s 'map(select(.gz.error.code == "file_unreadable" and
		(.gz.error.message | contains("symbolic link in the spool, not followed")) and
		(has("source_text") | not))) | length')" 3
	[ "$(cat "$BATS_TEST_TMPDIR/secret/shadow.txt")" = "root only" ]
	[ -L "$GZ_SPOOL/in/5.txt" ]
	[ -L "$GZ_SPOOL/run-2" ]
	# one warning a record
	assert_equal "$(echo "$stderr" | grep -c 'warning')" 3
}

@test "a file in the spool owned by another user is read but kept, with one warning" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to chown"
	mkdir -p "$GZ_SPOOL/run-1"
	cp "$FIX/aviso-utf8.txt" "$GZ_SPOOL/run-1/6-x-1.txt"
	cp "$FIX/aviso-utf8.txt" "$GZ_SPOOL/run-1/7-x-2.txt"
	chown nobody "$GZ_SPOOL/run-1/6-x-1.txt"
	printf '{"id":%d,"gz":{"file":"%s"}}\n' 6 "$GZ_SPOOL/run-1/6-x-1.txt" \
		7 "$GZ_SPOOL/run-1/7-x-2.txt" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_equal "$(echo "$output" | jq -s 'map(select(.source_text | length > 0)) | length')" 2
	assert_file_exists "$GZ_SPOOL/run-1/6-x-1.txt"
	assert_file_not_exists "$GZ_SPOOL/run-1/7-x-2.txt"
	assert_equal "$(echo "$stderr" | grep -c 'warning')" 1
	[[ "$stderr" == *"warning: id 6: kept $GZ_SPOOL/run-1/6-x-1.txt: owned by uid $(id -u nobody), not by us"* ]]
}

@test "a spool owned by another user or writable by others is refused with exit 2 and how to fix it" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to chown"
	cp "$FIX/aviso-utf8.txt" "$BATS_TEST_TMPDIR/a.txt"
	printf '{"id":8,"gz":{"file":"%s"}}\n' "$BATS_TEST_TMPDIR/a.txt" >"$BATS_TEST_TMPDIR/in.ndjson"
	mkdir -m 700 "$GZ_SPOOL"
	chown nobody "$GZ_SPOOL"
	run -2 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_equal "$output" ""
	[[ "$stderr" == *"spool $GZ_SPOOL is owned by uid $(id -u nobody), not by you (uid 0): remove it, or choose a folder of your own with --spool or \$GZ_SPOOL"* ]]
	chown root "$GZ_SPOOL"
	chmod 757 "$GZ_SPOOL"
	run -2 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	[[ "$stderr" == *"spool $GZ_SPOOL is writable by group or others (mode 0757): run 'chmod 700 $GZ_SPOOL'"* ]]
	# --spool names it as well, and wins over $GZ_SPOOL
	mkdir -m 777 "$BATS_TEST_TMPDIR/open"
	run -2 --separate-stderr gz-extract --spool "$BATS_TEST_TMPDIR/open" <"$BATS_TEST_TMPDIR/in.ndjson"
	[[ "$stderr" == *"spool $BATS_TEST_TMPDIR/open is writable by group or others (mode 0777)"* ]]
	chmod 700 "$GZ_SPOOL"
	run -0 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_file_exists "$BATS_TEST_TMPDIR/a.txt"
}

@test "a run folder read from goes at the end unless --keep; a folder under another name is never removed" {
	mkdir -p "$GZ_SPOOL/run-1" "$GZ_SPOOL/mine"
	cp "$FIX/aviso-utf8.txt" "$GZ_SPOOL/run-1/1-x-1.txt"
	cp "$FIX/brasao.png" "$GZ_SPOOL/run-1/2-x-2.png"
	cp "$FIX/aviso-utf8.txt" "$GZ_SPOOL/mine/3.txt"
	printf '{"id":%d,"gz":{"file":"%s"}}\n' 1 "$GZ_SPOOL/run-1/1-x-1.txt" \
		2 "$GZ_SPOOL/run-1/2-x-2.png" 3 "$GZ_SPOOL/mine/3.txt" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr gz-extract --keep-failed <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_file_exists "$GZ_SPOOL/run-1/2-x-2.png"
	assert_file_not_exists "$GZ_SPOOL/run-1/1-x-1.txt"
	assert_dir_exists "$GZ_SPOOL/mine"
	printf '{"id":2,"gz":{"file":"%s"}}\n' "$GZ_SPOOL/run-1/2-x-2.png" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr gz-extract <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_dir_not_exists "$GZ_SPOOL/run-1"
	assert_dir_exists "$GZ_SPOOL/mine"
}

@test "files named as operands are never deleted, even when they fail" {
	dir=$(spool diario-sp-2024-01-02.pdf brasao.png)
	run -1 --separate-stderr gz-extract "$dir/diario-sp-2024-01-02.pdf" "$dir/brasao.png"
	assert_file_exists "$dir/diario-sp-2024-01-02.pdf"
	assert_file_exists "$dir/brasao.png"
	echo "$output" | jq -se 'map(.gz.file) | sort == ["'"$dir"'/brasao.png", "'"$dir"'/diario-sp-2024-01-02.pdf"]'
}

@test "--max-text-bytes cuts at a character boundary, sets gz.truncated and still counts every page" {
	# "Diário Oficial do Munic" is 24 bytes; the "í" after it takes 25-26.
	run -0 --separate-stderr gz-extract --max-text-bytes=25 "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.source_text == "Diário Oficial do Munic"'
	echo "$output" | jq -e '.gz.truncated == true and .gz.text_bytes == 24 and .gz.pages == 3'
	echo "$output" | jq -e '.gz | has("ocr_needed") | not'
	run -0 --separate-stderr gz-extract --max-text-bytes=100 "$FIX/ato.docx" "$FIX/aviso-utf8.txt"
	echo "$output" | jq -se 'all(.gz.truncated == true and .gz.text_bytes <= 100 and .gz.text_bytes > 90)'
}

@test "the text is valid UTF-8 without control characters whatever the converter prints" {
	"$GZ_PYTHON" -c '
import random, sys
r = random.Random(5)
sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(200000)) + b"\x00\x01\x1b\x7f\xc2\x85 fim\f")' >"$BATS_TEST_TMPDIR/noise"
	fake pdftotext <<EOF
#!/bin/sh
cat "$BATS_TEST_TMPDIR/noise"
EOF
	run -0 --separate-stderr env PATH="$FAKE:$PATH" gz-extract "$FIX/diario-sp-2024-01-02.pdf"
	text >"$BATS_TEST_TMPDIR/text"
	iconv -f UTF-8 -t UTF-8 "$BATS_TEST_TMPDIR/text" >/dev/null
	run -1 grep -cP '[\x00-\x08\x0b\x0d-\x1f\x7f\x{80}-\x{9f}]' "$BATS_TEST_TMPDIR/text"
	grep -q ' fim' "$BATS_TEST_TMPDIR/text"
}

@test "the sanitiser gives the same text whatever the chunk size, and cuts at the cap on a character boundary" {
	"$GZ_PYTHON" -c '
import random, sys
r = random.Random(7)
parts = [b"ok ", "ção “x” € 😀\r\n".encode(), b"\xff", b"\xe0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\r", b"\n", b"\f", b"\t", b"\xc3"]
sys.stdout.buffer.write(b"".join(r.choice(parts) for _ in range(20000)))' >"$BATS_TEST_TMPDIR/mix"
	"$TEXTCLEAN" 1000000 1 <"$BATS_TEST_TMPDIR/mix" >"$BATS_TEST_TMPDIR/one" 2>/dev/null
	"$TEXTCLEAN" 1000000 65536 <"$BATS_TEST_TMPDIR/mix" >"$BATS_TEST_TMPDIR/big" 2>/dev/null
	"$TEXTCLEAN" 1000000 7 <"$BATS_TEST_TMPDIR/mix" >"$BATS_TEST_TMPDIR/seven" 2>/dev/null
	cmp "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/big"
	cmp "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/seven"
	iconv -f UTF-8 -t UTF-8 "$BATS_TEST_TMPDIR/one" >/dev/null
	run -0 --separate-stderr "$TEXTCLEAN" 100 3 <"$BATS_TEST_TMPDIR/mix"
	[[ "$stderr" == *truncated* ]]
	printf '%s' "$output" | iconv -f UTF-8 -t UTF-8 >/dev/null
	# Best-practice U+FFFD: one per maximal ill-formed subpart.
	run -0 --separate-stderr bash -c "printf 'a\\xe0\\x80b\\xed\\xa0\\x80c\\xf0\\x9f\\x98d\\r\\ne\\rf\\x00\\xef\\xbb\\xbf' | '$TEXTCLEAN' 100"
	assert_equal "$output" "$(printf 'a\xef\xbf\xbd\xef\xbf\xbdb\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdc\xef\xbf\xbdd\ne\nf\xef\xbb\xbf')"
	run -0 --separate-stderr bash -c "printf 'é€😀' | '$TEXTCLEAN' 8"
	assert_equal "$output" "é€"
}

@test "converters run with an empty environment, stdin from /dev/null, limits and their own group" {
	fake pdftotext <<EOF
#!/bin/sh
env >"$BATS_TEST_TMPDIR/env"
{
	echo "stdin=\$(readlink /proc/self/fd/0)"
	echo "as=\$(ulimit -v) fsize=\$(ulimit -f) core=\$(ulimit -c) cpu=\$(ulimit -t)"
	echo "pgid=\$(ps -o pgid= -p \$\$ | tr -d ' ') pid=\$\$"
} >"$BATS_TEST_TMPDIR/seen"
printf 'texto\f'
EOF
	run -0 --separate-stderr env PATH="$FAKE:$PATH" GZ_SECRET=hunter2 AWS_SECRET_ACCESS_KEY=x \
		gz-extract --child-memory=512M --timeout=90 "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.source_text == "texto\f" and .gz.pages == 1'
	run ! grep -q SECRET "$BATS_TEST_TMPDIR/env"
	grep -qx 'LC_ALL=C.UTF-8' "$BATS_TEST_TMPDIR/env"
	grep -qx 'stdin=/dev/null' "$BATS_TEST_TMPDIR/seen"
	grep -qx "as=$((512 * 1024)) fsize=$((16 * 2048)) core=0 cpu=90" "$BATS_TEST_TMPDIR/seen"
	grep -qxE 'pgid=([0-9]+) pid=\1' "$BATS_TEST_TMPDIR/seen"
}

@test "a converter killed by a signal gives extractor_crashed" {
	fake pdftotext <<'EOF'
#!/bin/sh
printf 'half a page'
kill -SEGV $$
EOF
	run -1 --separate-stderr env PATH="$FAKE:$PATH" gz-extract "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.gz.error.code == "extractor_crashed"'
	echo "$output" | jq -e '.gz.error.message | startswith("pdftotext killed by SIGSEGV")'
}

@test "a flood on stderr is drained, and its last line is quoted" {
	fake pdftotext <<'EOF'
#!/bin/sh
{ head -c 2000000 /dev/zero | tr '\0' x; echo; echo 'Syntax Error: final words'; } >&2
exit 3
EOF
	run -1 --separate-stderr timeout 60 env PATH="$FAKE:$PATH" gz-extract "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.gz.error.code == "extractor_failed"'
	echo "$output" | jq -e '.gz.error.message == "pdftotext exit 3: Syntax Error: final words"'
}

@test "a converter that succeeds with complaints on stderr keeps its text and its last words" {
	fake pdftotext <<'EOF'
#!/bin/sh
echo 'Syntax Error (1234): Illegal character <2f> in hex string' >&2
echo 'Syntax Error (1300): Unknown operator' >&2
printf 'texto salvo\f'
EOF
	run -0 --separate-stderr env PATH="$FAKE:$PATH" gz-extract "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.source_text == "texto salvo\f" and (.gz | has("error") | not)'
	echo "$output" | jq -e '.gz.extract_warning == "Syntax Error (1300): Unknown operator"'
}

@test "a grandchild holding the pipe open is killed with its process group at the timeout" {
	fake pdftotext <<'EOF'
#!/bin/sh
sleep 137.25 &
printf 'texto\f'
exit 0
EOF
	run -1 --separate-stderr timeout 60 env PATH="$FAKE:$PATH" gz-extract --timeout=1 "$FIX/diario-sp-2024-01-02.pdf"
	echo "$output" | jq -e '.gz.error.code == "timeout"'
	run ! pgrep -f 'sleep 137.25'
}

@test "--jobs 2 never runs more than two converters at once" {
	fake pdftotext <<EOF
#!/bin/sh
echo start >>"$BATS_TEST_TMPDIR/log"
sleep 0.3
echo end >>"$BATS_TEST_TMPDIR/log"
printf 'texto\f'
EOF
	run -0 --separate-stderr env PATH="$FAKE:$PATH" gz-extract --jobs=2 \
		"$FIX/diario-sp-2024-01-02.pdf" "$FIX/duas-colunas.pdf" "$FIX/protegido.pdf" \
		"$FIX/escaneado.pdf" "$FIX/corrompido.pdf" "$FIX/truncado.pdf"
	assert_equal "$(echo "$output" | jq -s length)" 6
	assert_equal "$(grep -c start "$BATS_TEST_TMPDIR/log")" 6
	most=$(awk '$1 == "start" { n++ } $1 == "end" { n-- } n > m { m = n } END { print m }' "$BATS_TEST_TMPDIR/log")
	assert_equal "$most" 2
}

@test "a slow reader is no converter's timeout: a PDF converting while a 3 MB line waits is extracted" {
	# A PDF, then a 3 MB record failed upstream (passed on as it is): its
	# line fills the pipe, and the reader takes nothing until pdftotext has
	# finished and its --timeout has long passed.
	dir=$(spool diario-sp-2024-01-02.pdf) done="$BATS_TEST_TMPDIR/pdf-done"
	awk 'BEGIN { for (i = 0; i < 50000; i++) print "Art. " i ". Fica instituída a Ação Municipal de Alfabetização." }' >"$BATS_TEST_TMPDIR/big.txt"
	{
		jq -nc --arg f "$dir/diario-sp-2024-01-02.pdf" '{id: 1, gz: {file: $f}}'
		jq -nc --rawfile t "$BATS_TEST_TMPDIR/big.txt" '{id: 2, note: $t,
			gz: {error: {stage: "gz-fetch", code: "http_404", message: "gone", attempts: 1, retryable: false}}}'
	} >"$BATS_TEST_TMPDIR/in.ndjson"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/in.ndjson")" -gt 3000000 ]
	fake pdftotext <<EOF
#!/bin/sh
"$(command -v pdftotext)" "\$@"
rc=\$?
: >"$done"
exit \$rc
EOF
	# --timeout 8: room for pdftotext on a loaded machine (a 3-page PDF
	# took over 2 s at a load of 13); the reader then waits past it.
	run -0 --separate-stderr timeout 90 bash -c 'PATH="$1:$PATH" gz-extract --jobs 2 --timeout 8 <"$2" |
		{ while [ ! -e "$3" ]; do sleep 0.05; done; sleep 8.5; cat; }; exit "${PIPESTATUS[0]}"' _ \
		"$FAKE" "$BATS_TEST_TMPDIR/in.ndjson" "$done"
	assert_equal "$(echo "$output" | jq -s length)" 2
	echo "$output" | jq -se 'map(select(.id == 1))[0] | .gz.pages == 3 and (.gz | has("error") | not)'
	echo "$output" | jq -se 'map(select(.id == 2))[0] | .gz.error.code == "http_404" and (.note | length) > 3000000'
}

@test "a DOC that antiword rejects falls back to catdoc" {
	fake antiword <<'EOF'
#!/bin/sh
echo 'Broken OLE file' >&2
exit 1
EOF
	run -0 --separate-stderr env PATH="$FAKE:$PATH" gz-extract "$FIX/ato.doc"
	echo "$output" | jq -e '.gz.extractor == "catdoc" and (.gz | has("error") | not)'
	has_paragraphs ato.doc
}

@test "without antiword and catdoc, DOC records fail with extractor_missing while PDFs still work" {
	mkdir "$BATS_TEST_TMPDIR/only"
	ln -s "$(command -v pdftotext)" "$BATS_TEST_TMPDIR/only/pdftotext"
	bin=$(command -v gz-extract)
	run -1 --separate-stderr env PATH="$BATS_TEST_TMPDIR/only" "$bin" "$FIX/ato.doc" "$FIX/diario-sp-2024-01-02.pdf"
	rec ato.doc | jq -e '.gz.error.code == "extractor_missing" and .gz.error.retryable == true'
	rec diario-sp-2024-01-02.pdf | jq -e '.gz.pages == 3'
	[[ "$stderr" == *"neither antiword nor catdoc is on PATH"* ]]
}

@test "without pdftotext it exits 2 before reading a record" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	bin=$(command -v gz-extract)
	run -2 --separate-stderr env PATH="$BATS_TEST_TMPDIR/empty" "$bin" "$FIX/diario-sp-2024-01-02.pdf"
	assert_output ""
	[[ "$stderr" == *"pdftotext not found on PATH"* ]]
}

@test "bad option values are usage errors" {
	run -2 --separate-stderr gz-extract --jobs=0
	[[ "$stderr" == *"Try 'gz-extract --help'"* ]]
	run -2 --separate-stderr gz-extract --child-memory=lots
	run -2 --separate-stderr gz-extract --timeout=0
	run -2 --separate-stderr gz-extract --max-text-bytes=2
}

@test "stdout on /dev/full exits 3 with one message" {
	run -3 --separate-stderr bash -c 'gz-extract -q "$1" >/dev/full' _ "$FIX/diario-sp-2024-01-02.pdf"
	assert_equal "$stderr" "gz-extract: writing records: No space left on device"
}

@test "a reader that goes away ends the run quietly with status 0" {
	run -0 --separate-stderr bash -c 'gz-extract -q "$@" | head -n 1 >/dev/null; exit "${PIPESTATUS[0]}"' _ \
		"$FIX/diario-sp-2024-01-02.pdf" "$FIX/duas-colunas.pdf" "$FIX/protegido.pdf" \
		"$FIX/ato.docx" "$FIX/ato.odt" "$FIX/aviso-utf8.txt"
	assert_equal "$stderr" ""
}

@test "SIGTERM kills the converters, fails the records in flight as interrupted and exits 143" {
	dir="$BATS_TEST_TMPDIR/spool"
	mkdir -p "$dir"
	for i in 1 2 3; do
		cp "$HEAVY" "$dir/$i.pdf"
		echo "{\"id\":$i,\"gz\":{\"file\":\"$dir/$i.pdf\"}}"
	done >"$BATS_TEST_TMPDIR/in.ndjson"
	gz-extract --jobs=2 --keep-failed <"$BATS_TEST_TMPDIR/in.ndjson" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	two_running() { [ "$(pgrep -c -f "pdftotext.*$dir")" -eq 2 ]; }
	wait_for two_running
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	assert_equal "$st" 143
	jq -se 'map(.id) | sort == [1, 2]' "$BATS_TEST_TMPDIR/out"
	jq -se 'all(.gz.error.code == "interrupted" and .gz.error.retryable == true)' "$BATS_TEST_TMPDIR/out"
	run ! pgrep -f "pdftotext.*$dir"
	assert_file_exists "$dir/3.pdf"
}
