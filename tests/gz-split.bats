# gz-split against a real PostgreSQL (the territories table): association
# gazettes cut per municipality exactly as the existing system cuts them,
# everything else passed through byte for byte.
load helpers/common
load helpers/pg
load helpers/opensearch
load helpers/s3

H='Diário Oficial dos Municípios do Estado de Alagoas • ANO XI | Nº 2000'

setup_file() {
	pg_start
	opensearch_start
}

teardown_file() {
	s3_stop
	opensearch_stop
	pg_stop
}

setup() {
	pg_reset
	"$GZ_PYTHON" "$GZ_ROOT/tests/helpers/split-reference.py" territories |
		psql -X -q -v ON_ERROR_STOP=1 >/dev/null
	pg_sql "INSERT INTO territories VALUES ('3550308','São Paulo','SP','São Paulo')"
}

# association ID TEXTFILE: an AMA gazette record whose source_text is the file.
association() {
	jq -cn --rawfile t "$2" --argjson id "$1" '{id: $id,
		territory_id: "2700000", territory_name: "Associação Municipal",
		state_code: "AL", date: "2024-03-05", file_checksum: "parent-sum",
		file_path: "2700000/2024-03-05/ama.pdf", processed: false,
		source_text: $t}'
}

# The realistic gazette: six acts of five municipalities, the page header
# twice, a two-line name, /AL after a name, SECRETARIA after a name (on the
# next line, and after a blank line), MAJOR IZIDORO, Palmeira dos Índios
# first and last, and text after the last identifier.
ama_text() {
	printf '%s\n' "$H" \
		'EXPEDIENTE: Associação dos Municípios Alagoanos' \
		'ESTADO DE ALAGOAS' \
		'PREFEITURA MUNICIPAL DE PALMEIRA DOS ' 'ÍNDIOS' '' '' \
		'PORTARIA Nº 10/2024 - nomeia servidor.' \
		'Código Identificador:AB12CD01' \
		'ESTADO DE ALAGOAS' \
		'PREFEITURA MUNICIPAL DE VIÇOSA/AL' '' '' \
		'EXTRATO DO CONTRATO Nº 5/2024' \
		'Código Identificador:AB12CD02' \
		"$H" \
		'ESTADO DE ALAGOAS' \
		'PREFEITURA MUNICIPAL DE COITÉ DO NÓIA' '' \
		'SECRETARIA MUNICIPAL DE ADMINISTRAÇÃO' \
		'AVISO DE LICITAÇÃO' \
		'Código Identificador:AB12CD03' \
		'ESTADO DE ALAGOAS' \
		'PREFEITURA MUNICIPAL DE QUEBRANGULO' \
		'SECRETARIA MUNICIPAL DE SAÚDE' '' '' \
		'PORTARIA Nº 3/2024' \
		'Código Identificador:AB12CD04' \
		'ESTADO DE ALAGOAS' \
		'PREFEITURA MUNICIPAL DE MAJOR IZIDORO' '' '' \
		'DECRETO Nº 7/2024' \
		'Código Identificador:AB12CD05' \
		'ESTADO DE ALAGOAS' \
		'PREFEITURA MUNICIPAL DE PALMEIRA DOS ÍNDIOS' '' '' \
		'PORTARIA Nº 11/2024' \
		'Código Identificador:AB12CD06' \
		'Publicidade: associe-se à AMA.'
}

# The segments, worked out by hand from the rules: each header line became
# "\n", each identifier has a newline added on both sides and what follows
# the last one is gone; a segment is the header, "\n", then "\n" + act.
act_palmeira1=$'ESTADO DE ALAGOAS\nPREFEITURA MUNICIPAL DE PALMEIRA DOS \nÍNDIOS\n\n\nPORTARIA Nº 10/2024 - nomeia servidor.\n\nCódigo Identificador:AB12CD01\n\n'
act_vicosa=$'ESTADO DE ALAGOAS\nPREFEITURA MUNICIPAL DE VIÇOSA/AL\n\n\nEXTRATO DO CONTRATO Nº 5/2024\n\nCódigo Identificador:AB12CD02\n\n\n\n'
act_coite=$'ESTADO DE ALAGOAS\nPREFEITURA MUNICIPAL DE COITÉ DO NÓIA\n\nSECRETARIA MUNICIPAL DE ADMINISTRAÇÃO\nAVISO DE LICITAÇÃO\n\nCódigo Identificador:AB12CD03\n\n'
act_quebrangulo=$'ESTADO DE ALAGOAS\nPREFEITURA MUNICIPAL DE QUEBRANGULO\nSECRETARIA MUNICIPAL DE SAÚDE\n\n\nPORTARIA Nº 3/2024\n\nCódigo Identificador:AB12CD04\n\n'
act_major=$'ESTADO DE ALAGOAS\nPREFEITURA MUNICIPAL DE MAJOR IZIDORO\n\n\nDECRETO Nº 7/2024\n\nCódigo Identificador:AB12CD05\n\n'
act_palmeira2=$'ESTADO DE ALAGOAS\nPREFEITURA MUNICIPAL DE PALMEIRA DOS ÍNDIOS\n\n\nPORTARIA Nº 11/2024\n\nCódigo Identificador:AB12CD06'

md5() {
	printf '%s' "$1" | md5sum | cut -d' ' -f1
}

@test "an AMA gazette becomes its parent and one segment per municipality, as the existing system cuts it" {
	ama_text >"$BATS_TEST_TMPDIR/ama.txt"
	association 77 "$BATS_TEST_TMPDIR/ama.txt" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 --separate-stderr gz-split <"$BATS_TEST_TMPDIR/in.ndjson"
	echo "$output" >"$BATS_TEST_TMPDIR/out.ndjson"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out.ndjson")" 6

	# the parent: unchanged, whole text, gz.segment index 0 of 5
	parent=$(head -1 "$BATS_TEST_TMPDIR/out.ndjson")
	assert_equal "$(jq -c '.gz.segment' <<<"$parent")" \
		'{"index":0,"count":5,"parent_id":77,"parent_checksum":"parent-sum"}'
	assert_equal "$(jq -c 'del(.gz)' <<<"$parent")" \
		"$(jq -c . "$BATS_TEST_TMPDIR/in.ndjson")"

	local s=("$H"$'\n\n'"$act_palmeira1"$'\n'"$act_palmeira2"
		"$H"$'\n\n'"$act_vicosa" "$H"$'\n\n'"$act_coite"
		"$H"$'\n\n'"$act_quebrangulo" "$H"$'\n\n'"$act_major")
	local ids=(2706307 2709301 2702306 2707701 2705002)
	local names=("Palmeira dos Índios" "Viçosa" "Coité do Nóia" "Quebrangulo" "Major Isidoro")
	for i in 0 1 2 3 4; do
		seg=$(sed -n "$((i + 2))p" "$BATS_TEST_TMPDIR/out.ndjson")
		sum=$(md5 "${s[$i]}")
		assert_equal "$(jq -r '[.territory_id, .territory_name, .file_checksum,
			.processed, .id, .file_path, .gz.segment.index,
			.gz.segment.count, .gz.segment.text_key] | join("|")' <<<"$seg")" \
			"${ids[$i]}|${names[$i]}|$sum|true|77|2700000/2024-03-05/ama.pdf|$((i + 1))|5|${ids[$i]}/2024-03-05/$sum.txt"
		# source_text: the segment stripped of its trailing newlines
		stripped=$(printf '%s' "${s[$i]}" | sed -z 's/\n*$//')
		assert_equal "$(jq -j .source_text <<<"$seg")" "$stripped"
	done
}

@test "the hand-made segments agree with the existing system's code" {
	ama_text >"$BATS_TEST_TMPDIR/ama.txt"
	association 77 "$BATS_TEST_TMPDIR/ama.txt" >"$BATS_TEST_TMPDIR/in.ndjson"
	"$GZ_PYTHON" "$GZ_ROOT/tests/helpers/split-reference.py" expect \
		<"$BATS_TEST_TMPDIR/in.ndjson" >"$BATS_TEST_TMPDIR/want.ndjson"
	gz-split <"$BATS_TEST_TMPDIR/in.ndjson" >"$BATS_TEST_TMPDIR/out.ndjson"
	run -0 "$GZ_PYTHON" "$GZ_ROOT/tests/helpers/split-reference.py" compare \
		"$BATS_TEST_TMPDIR/want.ndjson" "$BATS_TEST_TMPDIR/out.ndjson"
	assert_output "1 gazettes compared, 0 differ"
	assert_equal "$(jq -r '.segments[0][1]' "$BATS_TEST_TMPDIR/want.ndjson")" \
		"$(md5 "$H"$'\n\n'"$act_palmeira1"$'\n'"$act_palmeira2")"
}

@test "gz-split agrees with the existing system's expression on 400 generated gazettes" {
	"$GZ_PYTHON" "$GZ_ROOT/tests/helpers/split-reference.py" generate 400 17 \
		>"$BATS_TEST_TMPDIR/in.ndjson"
	"$GZ_PYTHON" "$GZ_ROOT/tests/helpers/split-reference.py" expect \
		<"$BATS_TEST_TMPDIR/in.ndjson" >"$BATS_TEST_TMPDIR/want.ndjson"
	run -1 --separate-stderr gz-split <"$BATS_TEST_TMPDIR/in.ndjson"
	echo "$output" >"$BATS_TEST_TMPDIR/out.ndjson"
	run -0 "$GZ_PYTHON" "$GZ_ROOT/tests/helpers/split-reference.py" compare \
		"$BATS_TEST_TMPDIR/want.ndjson" "$BATS_TEST_TMPDIR/out.ndjson"
	assert_output "400 gazettes compared, 0 differ"
	# and the sample is not trivial: many segments, some failures of each kind
	[ "$(jq -s '[.[] | select(.segments | length > 1)] | length' "$BATS_TEST_TMPDIR/want.ndjson")" -gt 100 ]
	[ "$(grep -c unknown_territory "$BATS_TEST_TMPDIR/want.ndjson")" -gt 3 ]
}

@test "other records and earlier failures pass through byte for byte" {
	cat >"$BATS_TEST_TMPDIR/in.ndjson" <<-'EOF'
	{"id": 1,  "territory_id": "3550308", "x": 1.0, "s": "caf\u00e9", "source_text": "ESTADO DE ALAGOAS"}
	{"territory_id":"2700000","id":2,"gz":{"error":{"stage":"gz-fetch","code":"http_404"}}}
	{"id":3,"territory_id":"2701000","source_text":"x"}
	{"id":4}
	EOF
	run -0 --separate-stderr gz-split <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/in.ndjson")"
}

@test "an unknown municipality fails the whole gazette: one record, no segment" {
	printf '%s\n' "$H" 'ESTADO DE ALAGOAS' 'PREFEITURA MUNICIPAL DE VIÇOSA' '' '' \
		'Ato 1' 'Código Identificador:AA' 'ESTADO DE ALAGOAS' \
		'PREFEITURA MUNICIPAL DE CIDADE PERDIDA' '' '' 'Ato 2' \
		'Código Identificador:BB' >"$BATS_TEST_TMPDIR/t.txt"
	association 5 "$BATS_TEST_TMPDIR/t.txt" >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr gz-split <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_equal "$(wc -l <<<"$output")" 1
	assert_equal "$(jq -r '[.id, .gz.error.code, .gz.error.stage, has("source_text")] | join("|")' <<<"$output")" \
		"5|unknown_territory|gz-split|false"
	[[ "$(jq -r .gz.error.message <<<"$output")" == *'"CIDADE PERDIDA"'* ]]
}

@test "an association without rules, without text or without acts gets a clear error" {
	printf '%s\n' '{"id":6,"territory_id":"3500000","source_text":"x"}' \
		'{"id":7,"territory_id":"2700000"}' \
		'{"id":8,"territory_id":"2700000","source_text":"Cabeçalho\nnada aqui\nCódigo Identificador:X1"}' \
		'{"id":9,"territory_id":"2700000","gz":"oops"}' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -1 --separate-stderr gz-split <"$BATS_TEST_TMPDIR/in.ndjson"
	assert_equal "$(jq -r '"\(.id) \(.gz.error.code)"' <<<"$output")" \
		"6 unsupported_association
7 missing_text
8 no_segments
9 bad_record"
	[[ "$(jq -r 'select(.id == 6) | .gz.error.message' <<<"$output")" == *3500000* ]]
}

@test "a database that does not exist: a configuration error before any record" {
	run -2 --separate-stderr gz-split --db "dbname=no_such_db" <<<'{"id":1}'
	[[ "$stderr" == *"cannot connect"* ]]
	assert_equal "$output" ""
}

# --- gz-index: the gazette is marked once all its segments are acknowledged

# split_ama ID: the realistic gazette as gazette row ID (unprocessed), split.
split_ama() {
	pg_sql "INSERT INTO gazettes (id, date, file_checksum, file_path, territory_id, processed)
		VALUES ($1, '2024-03-05', 'parent-sum', '2700000/2024-03-05/ama.pdf', '2700000', false)"
	ama_text >"$BATS_TEST_TMPDIR/ama.txt"
	association "$1" "$BATS_TEST_TMPDIR/ama.txt" | gz-split -q
}

processed() {
	pg_sql "SELECT processed FROM gazettes WHERE id = $1"
}

@test "gz-index marks an association gazette only when the parent and every segment are acknowledged" {
	opensearch_reset
	gz-index --create-index --no-mark --quiet </dev/null
	split_ama 77 >"$BATS_TEST_TMPDIR/split.ndjson"
	# a stream cut after the third segment: indexed, nothing marked
	head -4 "$BATS_TEST_TMPDIR/split.ndjson" >"$BATS_TEST_TMPDIR/part.ndjson"
	run -0 --separate-stderr timeout 60 gz-index --batch-docs 2 <"$BATS_TEST_TMPDIR/part.ndjson"
	assert_equal "$(processed 77)" f
	assert_equal "$(jq -c '[.gz.index.marked]' <<<"$output" | tr -d '\n')" \
		'[false][false][false][false]'
	# the whole stream: marked once, by the line completing the set
	run -0 --separate-stderr timeout 60 gz-index --batch-docs 2 <"$BATS_TEST_TMPDIR/split.ndjson"
	assert_equal "$(processed 77)" t
	assert_equal "$(jq -s '[.[] | select(.gz.index.marked)] | length' <<<"$output")" 1
	assert_equal "$(jq -r 'select(.gz.segment.index == 0) | .gz.index.result' <<<"$output")" split
	# five documents, each under its segment's checksum; the parent is not one
	run -0 opensearch_docs querido-diario
	assert_equal "$(jq -r '._id' <<<"$output" | sort)" \
		"$(jq -r 'select(.gz.segment.index > 0) | .file_checksum' "$BATS_TEST_TMPDIR/split.ndjson" | sort)"
	assert_equal "$(jq -r '._source.territory_id' <<<"$output" | sort | tr '\n' ' ')" \
		"2702306 2705002 2706307 2707701 2709301 "
	jq -se 'all(._source | has("gz") | not)' <<<"$output"
}

@test "gz-index leaves the gazette unprocessed when one of its segments fails" {
	opensearch_reset
	gz-index --create-index --no-mark --quiet </dev/null
	split_ama 78 | jq -c 'if .gz.segment.index == 3 then .date = "not a date" else . end' \
		>"$BATS_TEST_TMPDIR/split.ndjson"
	run -1 --separate-stderr timeout 60 gz-index <"$BATS_TEST_TMPDIR/split.ndjson"
	assert_equal "$(processed 78)" f
	assert_equal "$(jq -r 'select(.gz.error) | .gz.segment.index' <<<"$output")" 3
	assert_equal "$(jq -s '[.[] | select(.gz.index.marked)] | length' <<<"$output")" 0
}

@test "--store-text publishes the whole gazette's .txt and each segment's under territory/date/checksum" {
	if gz-index --store-text --no-mark --output /dev/null </dev/null 2>&1 | grep -q 'no S3 client'; then
		skip "this build of gz-index has no S3 client"
	fi
	s3_start
	opensearch_reset
	gz-index --create-index --no-mark --quiet </dev/null
	split_ama 79 >"$BATS_TEST_TMPDIR/split.ndjson"
	QUERIDO_DIARIO_FILES_ENDPOINT=https://files.example.org \
		run -0 --separate-stderr timeout 60 gz-index --store-text <"$BATS_TEST_TMPDIR/split.ndjson"
	assert_equal "$(processed 79)" t
	s3_get 2700000/2024-03-05/ama.txt "$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/ama.txt" "$BATS_TEST_TMPDIR/got"
	jq -c 'select(.gz.segment.index > 0)' "$BATS_TEST_TMPDIR/split.ndjson" |
	while read -r seg; do
		key=$(jq -r '"\(.territory_id)/2024-03-05/\(.file_checksum).txt"' <<<"$seg")
		s3_get "$key" "$BATS_TEST_TMPDIR/got"
		jq -j .source_text <<<"$seg" | cmp - "$BATS_TEST_TMPDIR/got"
	done
	run -0 opensearch_docs querido-diario
	jq -se 'length == 5 and all(._source | .file_raw_txt == "https://files.example.org/\(.territory_id)/2024-03-05/\(.file_checksum).txt"
		and .url == "https://files.example.org/2700000/2024-03-05/ama.pdf")' <<<"$output"
	s3_stop
}
