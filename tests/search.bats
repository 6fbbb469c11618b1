# PostgreSQL as the index: gz-index --url postgresql: writes the documents
# into a table of a real PostgreSQL, and gz-search finds them by words, in
# any accent, number or stem, by phrase, with exclusions and filters.
load helpers/common
load helpers/pg

setup_file() {
	pg_start
}

teardown_file() {
	pg_stop
}

setup() {
	pg_reset
	pg_sql "SET client_min_messages TO warning;
		DROP TABLE IF EXISTS querido_diario, other_docs" >/dev/null
}

# doc ID TERRITORY NAME UF DATE TEXT: one record as gz-extract writes it.
doc() {
	jq -cn --argjson id "$1" --arg t "$2" --arg n "$3" --arg uf "$4" \
		--arg d "$5" --arg text "$6" '{id: $id, territory_id: $t,
		territory_name: $n, state_code: $uf, date: $d,
		file_checksum: ("sum-" + ($id | tostring)),
		file_path: ($t + "/" + $d + "/" + ($id | tostring) + ".pdf"),
		gz: {mime: "application/pdf"}, source_text: $text}'
}

# corpus: five gazettes of two cities (their rows in gazettes, unprocessed).
corpus() {
	pg_sql "INSERT INTO gazettes (id, date, file_checksum, territory_id, processed)
		VALUES (1, '2024-03-01', 'sum-1', '2704302', false),
		(2, '2024-03-02', 'sum-2', '2704302', false),
		(3, '2024-02-01', 'sum-3', '3550308', false),
		(4, '2023-12-01', 'sum-4', '3550308', false),
		(5, '2024-04-01', 'sum-5', '3550308', false)" >/dev/null
	{
		doc 1 2704302 Maceió AL 2024-03-01 "Aviso de licitação. Pregão eletrônico para aquisição de merenda escolar destinada às escolas do município."
		doc 2 2704302 Maceió AL 2024-03-02 "Licitações diversas: a merenda será servida; o transporte escolar foi contratado."
		doc 3 3550308 "São Paulo" SP 2024-02-01 "Portaria de nomeação. Obra de pavimentação e merenda escolar."
		doc 4 3550308 "São Paulo" SP 2023-12-01 "Decreto municipal sobre ordens de serviço e as contas municipais."
		doc 5 3550308 "São Paulo" SP 2024-04-01 "Extrato de contrato de limpeza urbana."
	} >"$BATS_TEST_TMPDIR/in"
}

indexed() {
	corpus
	gz-index --url postgresql: --create-index --quiet <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/ledger"
}

# hits QUERY...: the ids gz-search finds, in its order, on one line.
hits() {
	gz-search --format json "$@" | jq -r .id | tr '\n' ' ' | sed 's/ $//'
}

@test "gz-index --url postgresql: creates the table, indexes every document and marks each gazette processed" {
	corpus
	run -0 --separate-stderr gz-index --url postgresql: --create-index \
		<"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 5 and all(.gz.index.result == "created"
		and .gz.index.marked and (has("source_text") | not))'
	assert_equal "$(pg_sql 'SELECT count(*) FROM querido_diario')" 5
	assert_equal "$(pg_sql 'SELECT count(*) FROM gazettes WHERE processed')" 5
	# the row holds the document's fields and its text, keyed by the _id
	assert_equal "$(pg_sql "SELECT id, territory_name, date, file_path FROM querido_diario WHERE doc_id = 'sum-3'")" \
		"3|São Paulo|2024-02-01|3550308/2024-02-01/3.pdf"
	assert_equal "$(pg_sql "SELECT source_text FROM querido_diario WHERE doc_id = 'sum-5'")" \
		"Extrato de contrato de limpeza urbana."
	# again: the same rows, updated, none added
	pg_sql "UPDATE gazettes SET processed = false" >/dev/null
	run -0 --separate-stderr gz-index --url postgresql: <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'all(.gz.index.result == "updated")'
	assert_equal "$(pg_sql 'SELECT count(*) FROM querido_diario')" 5
}

@test "with neither --url nor OPENSEARCH_HOST the documents go to the gazettes' own database" {
	indexed
	pg_sql "UPDATE gazettes SET processed = false" >/dev/null
	OPENSEARCH_HOST= run -0 --separate-stderr gz-index <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 5 and all(.gz.index.marked)'
}

@test "a missing table stops gz-index before any record, naming --create-index" {
	corpus
	run -2 --separate-stderr gz-index --url postgresql: <"$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"no table querido_diario"*"--create-index"* ]]
	assert_equal "$output" ""
	assert_equal "$(pg_sql 'SELECT count(*) FROM gazettes WHERE processed')" 0
}

@test "a document the table refuses fails alone with the database's reason; the rest are indexed and marked" {
	corpus
	doc 6 2704302 Maceió AL 2024-13-45 "data que não existe" >>"$BATS_TEST_TMPDIR/in"
	pg_sql "INSERT INTO gazettes (id, date, file_checksum, territory_id, processed)
		VALUES (6, '2024-01-01', 'sum-6', '2704302', false)" >/dev/null
	run -1 --separate-stderr gz-index --url postgresql: --create-index \
		<"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se '[.[] | select(.gz.error)] | length == 1
		and .[0].id == 6 and .[0].gz.error.code == "invalid_document"
		and (.[0].gz.error.message | test("out of range"))'
	assert_equal "$(pg_sql 'SELECT count(*) FROM querido_diario')" 5
	assert_equal "$(pg_sql 'SELECT string_agg(id::text, $$ $$ ORDER BY id) FROM gazettes WHERE processed')" "1 2 3 4 5"
}

@test "a text larger than the spill threshold is stored whole, streamed from its spill file, and searchable to its end" {
	pg_sql "INSERT INTO gazettes (id, date, file_checksum, territory_id, processed)
		VALUES (7, '2024-01-01', 'sum-7', '2704302', false)" >/dev/null
	# 1.6 MB: past the 1 MB above which gz-index keeps a text on disk
	"$GZ_PYTHON" -c 'import json; print(json.dumps({"id": 7,
		"territory_id": "2704302", "date": "2024-01-01",
		"file_checksum": "sum-7", "source_text":
		"vereador sessão ordinária " * 60000 + "zebraquagga final"}))' \
		>"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr gz-index --url postgresql: --create-index \
		--batch-bytes 64K <"$BATS_TEST_TMPDIR/in"
	assert_equal "$(pg_sql "SELECT length(source_text) FROM querido_diario")" \
		$((26 * 60000 + 17))
	assert_equal "$(hits zebraquagga)" 7
}

# seeded_records: a record with a source_text for each gazette pg_seed made.
seeded_records() {
	pg_sql "SELECT json_build_object('id', id, 'territory_id', territory_id,
		'date', date, 'file_checksum', file_checksum, 'file_path', file_path,
		'source_text', 'Diário oficial ' || id || ': licitação')::text
		FROM gazettes ORDER BY id"
}

# gz_index_sessions [STATE]: gz-index's connections (in that state).
gz_index_sessions() {
	pg_sql "SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'gz-index' AND state LIKE '${1:-%}'"
}

gz_index_idle_in_transaction() {
	[ "$(gz_index_sessions 'idle in transaction')" -ge 1 ]
}

# refuse_at_commit ID: marking gazette ID fails, only when its transaction
# commits (a deferred constraint trigger; gone with the table at pg_reset).
refuse_at_commit() {
	pg_sql "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger
		LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'refused at commit';
		END \$\$;
		CREATE CONSTRAINT TRIGGER refuse_$1 AFTER UPDATE ON gazettes
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.id = $1)
		EXECUTE FUNCTION refuse()" >/dev/null
}

@test "in the gazettes' database, a batch's documents and marks commit together: a failure at COMMIT leaves neither" {
	corpus
	gz-index --url postgresql: --create-index --quiet </dev/null
	refuse_at_commit 3
	run -3 --separate-stderr gz-index --url postgresql: <"$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"refused at commit"* ]]
	assert_equal "$(pg_sql 'SELECT count(*) FROM querido_diario')" 0
	assert_equal "$(pg_sql 'SELECT count(*) FROM gazettes WHERE processed')" 0
}

@test "a URI that is DATABASE_URL shares the marking's transaction; another spelling of the same database gets its own" {
	corpus
	gz-index --url postgresql: --create-index --quiet </dev/null
	refuse_at_commit 3
	uri="postgresql:///gz?host=$PGHOST&port=$PGPORT&user=postgres"
	DATABASE_URL=$uri run -3 --separate-stderr gz-index --url "$uri" <"$BATS_TEST_TMPDIR/in"
	assert_equal "$(pg_sql 'SELECT count(*) FROM querido_diario')" 0
	# the same database, spelled otherwise: the documents commit on their own
	DATABASE_URL=$uri run -3 --separate-stderr gz-index \
		--url "postgresql:///gz?user=postgres&host=$PGHOST&port=$PGPORT" <"$BATS_TEST_TMPDIR/in"
	assert_equal "$(pg_sql 'SELECT count(*) FROM querido_diario')" 5
	assert_equal "$(pg_sql 'SELECT count(*) FROM gazettes WHERE processed')" 0
}

@test "killed while its ledger reader is stalled, gz-index leaves every stored document marked and every marked gazette stored" {
	pg_seed 1000
	seeded_records >"$BATS_TEST_TMPDIR/in"
	gz-index --url postgresql: --create-index --quiet </dev/null
	fifo="$BATS_TEST_TMPDIR/fifo"
	mkfifo "$fifo"
	gz-index --url postgresql: --batch-docs 50 <"$BATS_TEST_TMPDIR/in" \
		>"$fifo" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	exec 9<"$fifo"
	# the pipe is full: a batch's transaction waits for its lines, on the
	# one connection that holds documents and marks
	wait_for gz_index_idle_in_transaction
	assert_equal "$(gz_index_sessions)" 1
	kill -9 "$pid"
	wait "$pid" || true
	cat <&9 >"$BATS_TEST_TMPDIR/ledger"
	exec 9<&-
	stored=$(pg_sql 'SELECT count(*) FROM querido_diario')
	[ "$stored" -ge 50 ] && [ "$stored" -lt 1000 ]
	assert_equal "$(pg_sql 'SELECT count(*) FROM
		(SELECT id::int AS id FROM querido_diario) d
		FULL JOIN (SELECT id FROM gazettes WHERE processed) g USING (id)
		WHERE d.id IS NULL OR g.id IS NULL')" 0
}

@test "documents can live in another database than the gazettes they mark" {
	corpus
	pg_sql "CREATE DATABASE gz_docs" >/dev/null
	run -0 --separate-stderr gz-index --create-index \
		--url "postgresql:///gz_docs?host=$PGHOST&port=$PGPORT&user=postgres" \
		<"$BATS_TEST_TMPDIR/in"
	assert_equal "$(psql -X -At -d gz_docs -c 'SELECT count(*) FROM querido_diario')" 5
	assert_equal "$(pg_sql 'SELECT count(*) FROM gazettes WHERE processed')" 5
	assert_equal "$(pg_sql "SELECT to_regclass('querido_diario') IS NULL")" t
	run -0 gz-search --url "postgresql:///gz_docs?host=$PGHOST&port=$PGPORT&user=postgres" \
		--format json limpeza
	assert_equal "$(echo "$output" | jq -r .id)" 5
	psql -X -q -d postgres -c "DROP DATABASE gz_docs"
}

@test "gz-search: accents, singular and plural are one word; licitacoes finds licitação" {
	indexed
	assert_equal "$(hits licitacoes)" "2 1"
	assert_equal "$(hits licitação)" "2 1"
	assert_equal "$(hits LICITACAO)" "2 1"
	assert_equal "$(hits municipio)" "1"
	assert_equal "$(hits municipais)" "4"
	assert_equal "$(hits ordem)" "4"
}

@test "gz-search: a quoted phrase finds only those words together; -word excludes; or accepts either" {
	indexed
	# 2 has both words, apart: found by the words, not by the phrase
	assert_equal "$(hits merenda escolar | tr ' ' '\n' | sort | tr '\n' ' ')" "1 2 3 "
	assert_equal "$(hits '"merenda escolar"' | tr ' ' '\n' | sort | tr '\n' ' ')" "1 3 "
	assert_equal "$(hits '"merenda escolar"' -obra)" "1"
	assert_equal "$(hits pregão or decreto | tr ' ' '\n' | sort | tr '\n' ' ')" "1 4 "
}

@test "gz-search: filters by territory id or name, state and dates; the best rank first" {
	indexed
	assert_equal "$(hits --territory maceio merenda)" "2 1"
	assert_equal "$(hits --territory 'SÃO PAULO' merenda)" "3"
	assert_equal "$(hits --territory 3550308 --territory 2704302 --until 2024-02-28 merenda)" "3"
	assert_equal "$(hits --state al --since 2024-03-02 merenda)" "2"
	assert_equal "$(hits --limit 1 merenda escolar)" "$(hits merenda escolar | cut -d' ' -f1)"
	# each hit: its gazette, place, date, rank and the words marked in a snippet
	run -0 gz-search --format json '"merenda escolar"' --territory 2704302
	echo "$output" | jq -e '.id == "1" and .file_checksum == "sum-1"
		and .territory_name == "Maceió" and .state_code == "AL"
		and .date == "2024-03-01" and .rank > 0
		and (.snippet | contains("«merenda» «escolar»"))'
}

@test "gz-search: a readable list for people, exit 1 on no hit, 2 on a query of stop words or a bad address" {
	indexed
	run -0 gz-search --format text limpeza
	assert_line --index 0 --regexp '^  1  2024-04-01  São Paulo \(SP\) 3550308  rank '
	assert_line --index 1 --partial '«limpeza»'
	assert_line '1 hit'
	run -1 gz-search --format json inexistentepalavra
	assert_equal "$output" ""
	run -2 --separate-stderr gz-search de a o
	[[ "$stderr" == *"only words too common"* ]]
	run -2 --separate-stderr gz-search --url http://localhost:9200 merenda
	[[ "$stderr" == *"PostgreSQL index"* ]]
	run -2 --separate-stderr gz-search --index other-docs merenda
	[[ "$stderr" == *"no index table other_docs"* ]]
	run -2 --separate-stderr gz-search --since 2024-02-30 merenda
	[[ "$stderr" == *"not a date on the calendar"* ]]
}

@test "gz-search: the password in --url never reaches stderr" {
	run -2 --separate-stderr gz-search \
		--url "postgresql://gz_auth:Wrong-Secret-77@/gz?host=$PGHOST&port=$PGPORT" merenda
	[[ "$stderr" == *"cannot connect"* ]]
	[[ "$stderr" != *"Wrong-Secret-77"* ]]
}

@test "gz-search: an unreachable database is tried three times (lib/dbsession), then exit 3" {
	run -3 --separate-stderr gz-search \
		--url "postgresql://gz@127.0.0.1:1/gz" merenda
	[[ "$stderr" == *"retrying in"* ]]
	[[ "$stderr" == *"cannot connect to"*"after 3 attempts"* ]]
}

@test "gz-index --url postgresql: an unreachable database is tried --retries times (lib/dbsession), then exit 3" {
	doc 1 2704302 Maceió AL 2024-03-01 "Aviso de licitação." >"$BATS_TEST_TMPDIR/in"
	run -3 --separate-stderr timeout 60 gz-index --no-mark --retries 2 \
		--url "postgresql://gz@127.0.0.1:1/gz" <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	[[ "$stderr" == *"retrying in"* ]]
	# The words gz-list and gz-search use for the same condition.
	[[ "$stderr" == *"cannot connect to"*"after 2 attempts"* ]]
}
