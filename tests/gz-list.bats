# gz-list against a real PostgreSQL 15.
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
}

ids() {
	jq -r '.id' | tr '\n' ' ' | sed 's/ $//'
}

@test "lists DAILY by default: rows scraped in the last day, newest id first, zips skipped" {
	pg_seed 5
	pg_sql "INSERT INTO gazettes (id, file_path, territory_id, scraped_at, processed)
		VALUES (6, 'x/old.pdf', '3550308', now() - interval '3 days', false),
		       (7, 'x/pack.zip', '3550308', now(), false)"
	run -0 --separate-stderr gz-list
	assert_equal "$(echo "$output" | ids)" "5 4 3 2 1"
}

@test "EXECUTION_MODE and --mode choose all or unprocessed, and the flag wins" {
	pg_seed 6
	pg_sql "UPDATE gazettes SET processed = true WHERE id IN (2, 4)"
	pg_sql "UPDATE gazettes SET scraped_at = now() - interval '9 days' WHERE id = 6"
	run -0 --separate-stderr env EXECUTION_MODE=UNPROCESSED gz-list
	assert_equal "$(echo "$output" | ids)" "6 5 3 1"
	run -0 --separate-stderr env EXECUTION_MODE=UNPROCESSED gz-list --mode all
	assert_equal "$(echo "$output" | ids)" "6 5 4 3 2 1"
	run -2 --separate-stderr gz-list --mode weekly
	[[ "$stderr" == *"--mode: mode 'weekly' is not daily, all or unprocessed"* ]]
}

@test "writes each column with its JSON type and the territory joined in" {
	pg_seed 1
	pg_sql "UPDATE gazettes SET edition_number = NULL, is_extra_edition = true,
		scraped_at = '2024-03-04 05:06:07.5', created_at = '2024-03-04 05:06:07'"
	run -0 --separate-stderr gz-list --mode all
	echo "$output" | jq -e '
		.id == 1 and (.id | type) == "number" and
		.territory_id == "3304557" and .territory_name == "Rio de Janeiro" and
		.state_code == "RJ" and .date == "2024-01-02" and
		.edition_number == null and .is_extra_edition == true and
		.processed == false and .power == "executive" and
		.file_checksum == "c4ca4238a0b923820dcc509a6f75849b" and
		.file_path == "3304557/2024-01-02/1.pdf" and
		.scraped_at == "2024-03-04T05:06:07.500000" and
		.created_at == "2024-03-04T05:06:07.000000"'
}

@test "--since, --until, --territory, --state, --id and --limit narrow the listing" {
	pg_seed 20
	run -0 --separate-stderr gz-list --mode all --since 2024-01-05 --until 2024-01-08
	assert_equal "$(echo "$output" | ids)" "7 6 5 4"
	run -0 --separate-stderr gz-list --mode all --territory 3550308 --limit 3
	assert_equal "$(echo "$output" | ids)" "20 18 16"
	run -0 --separate-stderr gz-list --mode all --territory 3550308 --territory 3304557 --limit 2
	assert_equal "$(echo "$output" | ids)" "20 19"
	run -0 --separate-stderr gz-list --mode all --state RJ --since 2024-01-15
	assert_equal "$(echo "$output" | ids)" "19 17 15"
	run -0 --separate-stderr gz-list --mode all --id 3 --id 11 --id 999
	assert_equal "$(echo "$output" | ids)" "11 3"
	run -2 --separate-stderr gz-list --since 2024-13
	[[ "$stderr" == *"--since: '2024-13' is not a date (YYYY-MM-DD)"* ]]
	run -2 --separate-stderr gz-list --limit 0
	run -2 --separate-stderr gz-list --id 12abc
}

@test "bad option and environment values exit 2 naming them, before any connection" {
	# Nothing listens at this socket: a value that got as far as connecting
	# would end in status 3 after the retries, not 2.
	no_db="host=$BATS_TEST_TMPDIR port=1"
	bad() {	# bad WHAT ARGS...: status 2 and stderr naming WHAT
		local what=$1
		shift
		run -2 --separate-stderr timeout 20 gz-list --db "$no_db" --retries 1 "$@"
		[[ "$stderr" == *"$what"* ]] || { echo "stderr: $stderr" >&2; return 1; }
		[[ "$stderr" != *"cannot connect"* ]]
	}
	bad "--since: '2024-13-45' is not a date on the calendar" --since 2024-13-45
	bad "--until: '2023-02-29' is not a date on the calendar" --until 2023-02-29
	bad "--since: '2024-04-31'" --since 2024-04-31
	bad "--since: '0000-01-01'" --since 0000-01-01
	bad "--since 2024-03-02 is after --until 2024-03-01" --since 2024-03-02 --until 2024-03-01
	bad "--lease: '1e5' is not a duration" --claim --lease 1e5
	bad "--lease: '99999999999999999999999'" --claim --lease 99999999999999999999999
	bad "--lease: '8000000000h'" --claim --lease 8000000000h
	bad "--lease: '-5m'" --claim --lease -5m
	bad "--lease: '0'" --claim --lease 0
	bad "--lease: 'inf'" --claim --lease inf
	bad "--progress: '1e5'" --progress 1e5
	bad "--limit: '1e5'" --limit 1e5
	bad "--page-size: '99999999999999999999'" --page-size 99999999999999999999
	bad "--page-size: '-1'" --page-size -1
	bad "--retries: '0'" --retries 0
	bad "--id: '2147483648'" --id 2147483648
	bad "--shard (K): '-1'" --shard -1/3
	bad "--worker: empty name" --claim --worker ''
	GAZETTE_QUERY_PAGE_SIZE=1e3 bad "GAZETTE_QUERY_PAGE_SIZE: '1e3'"
	GAZETTE_QUERY_PAGE_SIZE=0 bad "GAZETTE_QUERY_PAGE_SIZE: '0'"
	EXECUTION_MODE=weekly bad "EXECUTION_MODE: mode 'weekly'"
	# A leap day is a date; the flag wins over a bad variable.
	run -0 --separate-stderr env EXECUTION_MODE=weekly GAZETTE_QUERY_PAGE_SIZE=x \
		gz-list --mode all --page-size 10 --since 2024-02-29 --until 2024-02-29
	run -0 --separate-stderr gz-list --since 2000-02-29 --until 2400-02-29
}

@test "two different verbs are a usage error naming both; the same one twice is not" {
	# The last verb used to win: --count --init --claims printed the claims.
	run -2 --separate-stderr gz-list --count --init --claims
	[ -z "$output" ]
	[[ "$stderr" == *"--count and --init cannot be used together"* ]]
	run -2 --separate-stderr gz-list --claims --count
	[[ "$stderr" == *"--claims and --count cannot be used together"* ]]
	run -0 --separate-stderr gz-list --count --count --mode all
	[[ "$output" =~ ^[0-9]+$ ]]
}

@test "an impossible date or lease against a live database is a usage error (2), not a fatal one (3)" {
	pg_seed 3
	gz-list --init --quiet
	run -2 --separate-stderr gz-list --since 2024-13-45
	run -2 --separate-stderr gz-list --until 2024-02-30
	run -2 --separate-stderr gz-list --claim --lease 99999999999999999999999
	assert_equal "$(pg_sql 'SELECT count(*) FROM gz_claims')" 0
}

@test "--count prints how many records the listing would give" {
	pg_seed 30
	run -0 --separate-stderr gz-list --count --state SP
	assert_output 15
	run -0 --separate-stderr gz-list --count --limit 4
	assert_output 4
}

@test "--count --metrics-file writes the backlog gauge alone, for the textfile collector" {
	pg_seed 30
	prom="$BATS_TEST_TMPDIR/backlog.prom"
	run -0 --separate-stderr gz-list --mode unprocessed --count --metrics-file "$prom"
	promtool check metrics <"$prom"
	run -0 grep -v '^#' "$prom"
	assert_output "gz_backlog_records{tool=\"gz-list\",mode=\"unprocessed\"} $(pg_sql 'SELECT count(*) FROM gazettes WHERE NOT processed')"
}

@test "--count --metrics-push keeps the backlog and the last run's metrics side by side" {
	pg_seed 30
	port=$(free_port)
	# Debian's Pushgateway keeps its groups in /var/lib/prometheus unless
	# told otherwise: a file of this test's own keeps runs apart.
	prometheus-pushgateway --web.listen-address="127.0.0.1:$port" \
		--persistence.file="$BATS_TEST_TMPDIR/pgw.data" \
		>"$BATS_TEST_TMPDIR/pgw.log" 2>&1 &
	pgw=$!
	wait_for curl -sf "http://127.0.0.1:$port/-/ready"
	run -0 --separate-stderr gz-list --mode all --metrics-push "http://127.0.0.1:$port"
	run -0 --separate-stderr gz-list --mode unprocessed --count --metrics-push "http://127.0.0.1:$port"
	backlog=$output
	got=$(curl -sf "http://127.0.0.1:$port/metrics")
	kill "$pgw"; wait "$pgw" || true
	echo "$got" | grep -q "^gz_records_out_total{instance=\"$(hostname)\",job=\"gz-list\",tool=\"gz-list\"} 30$"
	echo "$got" | grep -q "^gz_backlog_records{instance=\"$(hostname)\",job=\"gz-list\",mode=\"unprocessed\",report=\"gz_backlog_records\",tool=\"gz-list\"} $backlog$"
}

@test "keyset paging lists 1,000 rows exactly once while another connection marks them processed" {
	pg_seed 1000
	# Each listed id is marked processed at once by a second connection,
	# while the listing of the unprocessed rows goes on in pages of 10.
	gz-list --mode unprocessed --page-size 10 --progress 0 |
		tee "$BATS_TEST_TMPDIR/listed" |
		jq --unbuffered -r '"UPDATE gazettes SET processed = true WHERE id = \(.id);"' |
		psql -X -q -v ON_ERROR_STOP=1 >/dev/null
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/listed")" 1000
	assert_equal "$(jq -r .id "$BATS_TEST_TMPDIR/listed" | sort -u | wc -l)" 1000
	assert_equal "$(pg_sql 'SELECT count(*) FROM gazettes WHERE processed')" 1000
}

@test "rows inserted mid-listing neither repeat nor push listed rows out" {
	pg_seed 500
	gz-list --mode all --page-size 10 --progress 0 | {
		n=0
		while IFS= read -r line; do
			echo "$line"
			n=$((n + 1))
			if [ $((n % 50)) = 0 ]; then
				pg_sql "INSERT INTO gazettes (id, file_path, territory_id, scraped_at, processed)
					VALUES ($((10000 + n)), 'n/$n.pdf', '3550308', now(), false)"
			fi
		done
	} >"$BATS_TEST_TMPDIR/listed"
	assert_equal "$(jq -r .id "$BATS_TEST_TMPDIR/listed" | sort -n | uniq | wc -l)" \
		"$(wc -l <"$BATS_TEST_TMPDIR/listed")"
	assert_equal "$(jq -r 'select(.id <= 500) | .id' "$BATS_TEST_TMPDIR/listed" | wc -l)" 500
}

@test "a server restart mid-listing loses no row and repeats none" {
	pg_seed 300
	gz-list --mode all --page-size 10 --retries 10 --progress 0 \
		2>"$BATS_TEST_TMPDIR/stderr" | {
		n=0
		while IFS= read -r line; do
			echo "$line"
			n=$((n + 1))
			if [ "$n" = 95 ]; then pg_restart; fi
		done
	} >"$BATS_TEST_TMPDIR/listed"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/listed")" 300
	assert_equal "$(jq -r .id "$BATS_TEST_TMPDIR/listed" | sort -u | wc -l)" 300
	grep -q "retrying in" "$BATS_TEST_TMPDIR/stderr"
}

@test "a database that stays down ends the listing with status 3 after the retries" {
	run -3 --separate-stderr gz-list --db "host=/nonexistent port=1 dbname=gz" --retries 2
	[[ "$stderr" == *"cannot connect to"*"after 2 attempts"* ]]
}

@test "a wrong password exits 2 at once and never prints the password" {
	run -2 --separate-stderr gz-list --db "user=gz_auth password=hunter2-secret"
	[[ "$stderr" == *'password authentication failed for user "gz_auth"'* ]]
	[[ "$stderr" != *hunter2* ]]
	run -2 --separate-stderr gz-list --db "postgresql://gz_auth:hunter2-secret@/gz?host=$PGHOST&port=$PGPORT"
	[[ "$stderr" != *hunter2* ]]
	run -2 --separate-stderr env DATABASE_URL="postgresql://gz_auth:hunter2-secret@/gz?host=$PGHOST&port=$PGPORT" gz-list
	[[ "$stderr" != *hunter2* ]]
}

# pg_uri_host: PGHOST (a socket folder) as the host part of a URI.
pg_uri_host() {
	jq -rn --arg h "$PGHOST" '$h | @uri'
}

@test "no form of the database password reaches stderr: URI, percent-encoded, ?password=, quoted keyword, PGPASSWORD, POSTGRES_PASSWORD, unparsable strings" {
	local host want
	host=$(pg_uri_host)
	want="host=$PGHOST port=$PGPORT dbname=gz user=gz_auth"
	# the README's and the Kubernetes Secret's form: nothing but the URI
	run -2 --separate-stderr gz-list --db "postgresql://gz_auth:Hunter2Uri@$host:$PGPORT/gz"
	[[ "$stderr" == *"cannot connect to $want: "*'password authentication failed for user "gz_auth"'* ]]
	[[ "$stderr" != *Hunter2* ]]
	run -2 --separate-stderr env DATABASE_URL="postgresql://gz_auth:Hunter2Env@$host:$PGPORT/gz" gz-list --quiet
	[[ "$stderr" == *"cannot connect to $want: "* ]]
	[[ "$stderr" != *Hunter2* ]]
	# percent-encoded: neither the written nor the decoded form
	run -2 --separate-stderr gz-list --db "postgres://gz_auth:Hunter2%40Pct%2F@$host:$PGPORT/gz"
	[[ "$stderr" == *"cannot connect to $want: "* ]]
	[[ "$stderr" != *Hunter2* ]]
	run -2 --separate-stderr gz-list --db "postgresql:///gz?host=$host&port=$PGPORT&user=gz_auth&password=Hunter2Query"
	[[ "$stderr" == *"cannot connect to $want: "* ]]
	[[ "$stderr" != *Hunter2* ]]
	run -2 --separate-stderr gz-list --db "user=gz_auth password='Hunter2 Quoted' dbname=gz"
	[[ "$stderr" == *"cannot connect to $want: "* ]]
	[[ "$stderr" != *Hunter2* ]]
	run -2 --separate-stderr env PGUSER=gz_auth PGPASSWORD=Hunter2Pg gz-list
	[[ "$stderr" != *Hunter2* ]]
	run -2 --separate-stderr env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
		POSTGRES_HOST="$PGHOST" POSTGRES_PORT="$PGPORT" POSTGRES_DB=gz \
		POSTGRES_USER=gz_auth POSTGRES_PASSWORD=Hunter2Postgres gz-list
	[[ "$stderr" == *"cannot connect to $want: "* ]]
	[[ "$stderr" != *Hunter2* ]]
	# strings libpq cannot parse: its messages quote the piece it stumbled on
	run -2 --separate-stderr gz-list --db "postgresql://gz_auth:Hunter2%zzBad@$host/gz"
	[[ "$stderr" == *"libpq cannot parse it: invalid percent-encoded token"* ]]
	[[ "$stderr" != *Hunter2* ]]
	run -2 --separate-stderr gz-list --db "user=gz_auth Hunter2Bare dbname=gz"
	[[ "$stderr" == *"libpq cannot parse it"* ]]
	[[ "$stderr" != *Hunter2* ]]
	# libpq would end the userinfo at a raw / and print the rest as host,
	# port and database
	run -2 --separate-stderr gz-list --db "postgresql://gz_auth:Hunter2/Slash@$host:$PGPORT/gz"
	[[ "$stderr" == *"the password holds a raw '/' (write it as %2F)"* ]]
	[[ "$stderr" != *Hunter2* ]]
	[[ "$stderr" != *Slash* ]]
	# and a host that does not answer: the retry lines too
	run -3 --separate-stderr gz-list --retries 2 --db "postgresql://gz_auth:Hunter2Down@127.0.0.1:1/gz"
	[[ "$stderr" == *"cannot connect to host=127.0.0.1 port=1 dbname=gz user=gz_auth after 2 attempts"* ]]
	[[ "$stderr" != *Hunter2* ]]
}

@test "a --db password is overwritten in the process's command line, as ps shows it" {
	gz-list --retries 20 --db "postgresql://gz_auth:Hunter2Argv@127.0.0.1:1/gz" \
		2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	# synchronised on the first retry line: options are parsed by then
	wait_for grep -q "retrying in" "$BATS_TEST_TMPDIR/err"
	run -0 sh -c "tr '\0' ' ' </proc/$pid/cmdline"
	kill "$pid"
	wait "$pid" || true
	[[ "$output" == *"--db postgresql://gz_auth:***********@127.0.0.1:1/gz"* ]]
	[[ "$output" != *Hunter2* ]]
}

@test "POSTGRES_HOST/PORT/DB/USER/PASSWORD configure the connection" {
	pg_seed 2
	run -0 --separate-stderr env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
		POSTGRES_HOST="$PGHOST" POSTGRES_PORT="$PGPORT" POSTGRES_DB=gz \
		POSTGRES_USER=gz_auth POSTGRES_PASSWORD=right-password gz-list
	assert_equal "$(echo "$output" | ids)" "2 1"
}

@test "a missing table exits 3 naming the schema problem" {
	pg_sql "DROP TABLE territories"
	run -3 --separate-stderr gz-list
	[[ "$stderr" == *"lacks the gazettes/territories schema"*'relation "territories" does not exist'* ]]
}

@test "hostile values in every text column come out as valid JSON, unchanged" {
	"$GZ_PYTHON" - >"$BATS_TEST_TMPDIR/hostile.sql" <<-'PY'
	vals = ["quote ' and \" and \\ backslash", "'; DROP TABLE gazettes; --",
	        "Diário Oficial — ç ã õ 中文 🎉", "tab\there\nnewline\r\u0001ctl",
	        "x" * 1_000_000]
	q = lambda s: "'" + s.replace("'", "''") + "'"
	print("INSERT INTO territories VALUES (%s, %s, %s, %s);" % (q(vals[1]), q(vals[2]), q(vals[0]), q(vals[3])))
	for i, v in enumerate(vals, 1):
	    print("INSERT INTO gazettes (id, edition_number, power, file_checksum, file_path, file_url, territory_id, scraped_at, processed) VALUES (%d, %s, %s, %s, %s, %s, %s, now(), false);"
	          % (i, q(v), q(v), q(v), q(v + ".pdf"), q(v), q(vals[1])))
	PY
	psql -X -q -v ON_ERROR_STOP=1 -f "$BATS_TEST_TMPDIR/hostile.sql"
	run -0 --separate-stderr gz-list
	echo "$output" | jq -c . >/dev/null
	echo "$output" | jq -se 'length == 5'
	echo "$output" | jq -se '.[] | select(.id == 2) | .power == "'"'"'; DROP TABLE gazettes; --"'
	echo "$output" | jq -se '.[] | select(.id == 4) | .edition_number == "tab\there\nnewline\r\u0001ctl"'
	echo "$output" | jq -se '.[] | select(.id == 5) | (.file_url | length) == 1000000'
	echo "$output" | jq -se 'all(.[]; .territory_name == "Diário Oficial — ç ã õ 中文 🎉")'
	run -0 --separate-stderr gz-list --territory "'; DROP TABLE gazettes; --" --state "quote ' and \" and \\ backslash"
	echo "$output" | jq -se 'length == 5'
	run -0 --separate-stderr gz-list --territory '{"a,b"}' --state "\\'"
	assert_output ""
	assert_equal "$(pg_sql 'SELECT count(*) FROM gazettes')" 5
}

@test "bytes the database holds that are not UTF-8 still come out as valid JSON" {
	psql -X -q -d postgres -c "CREATE DATABASE gz_ascii ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
	psql -X -q -d gz_ascii -f "$GZ_ROOT/tests/fixtures/schema.sql"
	psql -X -q -d gz_ascii -c "INSERT INTO territories VALUES ('1', E'S\\xe3o Paulo', 'SP', 'x')"
	psql -X -q -d gz_ascii -c "INSERT INTO gazettes (id, territory_id, file_path, scraped_at) VALUES (1, '1', 'a.pdf', now())"
	run -0 --separate-stderr gz-list --db "dbname=gz_ascii"
	psql -X -q -d postgres -c "DROP DATABASE gz_ascii"
	echo "$output" | jq -e '.territory_name == "S\ufffdo Paulo"'
}

@test "| head -n1 stops the listing quietly with status 0" {
	pg_seed 3000
	run -0 --separate-stderr bash -c 'gz-list --mode all --page-size 100 --quiet | head -n 1; echo "${PIPESTATUS[0]}"'
	assert_line --index 1 0
	assert_equal "$stderr" ""
}

@test "stdout on a full disk exits 3 with one message" {
	pg_seed 3
	run -3 --separate-stderr bash -c 'gz-list --quiet >/dev/full'
	assert_equal "$(echo "$stderr" | wc -l)" 1
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "SIGTERM stops the listing and re-raises the signal" {
	pg_seed 2000
	gz-list --mode all --page-size 10 --progress 0 2>/dev/null | { sleep 1; head -c 1000 >/dev/null; sleep 5; } &
	sleep 0.5
	pkill -TERM -f "gz-list --mode all --page-size 10" || true
	wait $! || true
	run -0 pgrep -f "gz-list --mode all --page-size 10" || true
	assert_output ""
}

@test "writes metrics and a summary naming rows and pages" {
	pg_seed 25
	run -0 --separate-stderr gz-list --page-size 10 --metrics-file "$BATS_TEST_TMPDIR/list.prom"
	[[ "$stderr" == *"done: 25 in, 25 out, 0 failed"*"3 pages"* ]]
	grep -q '^gz_records_out_total{tool="gz-list"} 25$' "$BATS_TEST_TMPDIR/list.prom"
	promtool check metrics <"$BATS_TEST_TMPDIR/list.prom"
}

@test "--help documents every option and --version names the libraries" {
	run -0 gz-list --help
	for opt in mode since until territory state id limit count db page-size retries quiet verbose log-format metrics-file metrics-push progress; do
		[[ "$output" == *"--$opt"* ]]
	done
	run -0 gz-list --version
	assert_line --partial 'libcurl/'
	assert_line --partial 'libpq 15'
	run -2 --separate-stderr gz-list --bogus
	[[ "$stderr" == *"Try 'gz-list --help'"* ]]
}

@test "--shard K/N splits the ids into N disjoint parts that cover them all" {
	pg_seed 100
	for k in 0 1 2; do
		gz-list --mode all --shard "$k/3" --quiet
	done >"$BATS_TEST_TMPDIR/all"
	assert_equal "$(jq -r .id "$BATS_TEST_TMPDIR/all" | sort -u | wc -l)" 100
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/all")" 100
	run -0 --separate-stderr gz-list --mode all --shard 1/3 --limit 3
	assert_equal "$(echo "$output" | ids)" "100 97 94"
	run -2 --separate-stderr gz-list --shard 3/3
	run -2 --separate-stderr gz-list --shard 1
}

@test "three claiming workers share 300 gazettes: each claimed once, none twice" {
	pg_seed 300
	run -0 --separate-stderr gz-list --init
	[[ "$stderr" == *"claims tables gz_claims and gz_claim_history ready"* ]]
	# A stand-in for gz-index settles each claim as it arrives.
	for w in a b c; do
		gz-list --claim --worker "$w" --page-size 10 --lease 5s --progress 0 \
			2>"$BATS_TEST_TMPDIR/$w.err" | tee "$BATS_TEST_TMPDIR/$w.out" |
			jq --unbuffered -r '"UPDATE gazettes SET processed = true WHERE id = \(.id);
				DELETE FROM gz_claims WHERE gazette_id = \(.id);"' |
			psql -X -q -v ON_ERROR_STOP=1 >/dev/null &
	done
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/?.out | jq -r .id | sort -u | wc -l)" 300
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/?.out | wc -l)" 300
	assert_equal "$(pg_sql 'SELECT count(*) FROM gz_claim_history')" 300
	assert_equal "$(pg_sql 'SELECT count(*) FROM gazettes WHERE NOT processed')" 0
	assert_equal "$(pg_sql 'SELECT count(*) FROM gz_claims')" 0
}

# lease_renewed WORKER SECONDS: a claim of WORKER whose lease reaches
# further than SECONDS after its claim.
lease_renewed() {
	[ "$(pg_sql "SELECT count(*) FROM gz_claims WHERE worker = '$1'
		AND lease_until > claimed_at + interval '$2 seconds'")" -gt 0 ]
}

not_alive() {
	! gz_alive "$1"
}

@test "--claim renews its leases while its reader is stalled, and SIGTERM still ends it" {
	pg_seed 600
	fifo="$BATS_TEST_TMPDIR/fifo" err="$BATS_TEST_TMPDIR/err"
	mkfifo "$fifo"
	# One page of 600 records, some 500 bytes each: four pipes' worth.
	gz-list --claim --worker stalled --page-size 600 --lease 1s --progress 0 >"$fifo" 2>"$err" &
	pid=$!
	held_reader_open "$fifo"
	# Claimed at start with a 1 s lease: a lease past 2.5 s was renewed.
	wait_for lease_renewed stalled 2.5
	kill -TERM "$pid"
	wait_for not_alive "$pid"
	run -143 wait "$pid"
	held_reader_take "$BATS_TEST_TMPDIR/out"
	# Whatever the reader got is whole records.
	jq -e -s 'all(.claim == null and .gz.claim.worker == "stalled")' "$BATS_TEST_TMPDIR/out"
}

# claims_expired WORKER N: gz-list --claims shows N of WORKER's claims expired.
claims_expired() {
	gz-list --claims | grep -Eq "^$1 +0 +$2 +0 "
}

@test "a dead worker's claims are taken over once its lease expires" {
	pg_seed 30
	gz-list --init --quiet
	# Worker "dead" claims 10 and never settles them.
	# The lease is long enough that a loaded machine still sees it held,
	# and its expiry is awaited as an event, not a sleep.
	gz-list --claim --worker dead --page-size 10 --limit 10 --lease 4s --progress 0 \
		>"$BATS_TEST_TMPDIR/dead.out" 2>/dev/null
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/dead.out")" 10
	run -0 gz-list --claims
	assert_line --regexp '^dead +10 +0 +0 '
	wait_for claims_expired dead 10
	run -0 gz-list --claims
	assert_line --regexp '^dead +0 +10 +0 '
	run -0 --separate-stderr gz-list --claim --worker live --page-size 100 --lease 1s --progress 0
	assert_equal "$(echo "$output" | jq -r .id | sort -u | wc -l)" 30
	run -0 gz-list --claims
	# All 30 are live's now, none released; its 1 s lease may already have
	# run out when --claims looks on a loaded machine, so held or expired.
	echo "$output" | awk '$1 == "live" && $2 + $3 == 30 && $4 == 0 { ok = 1 }
		END { exit !ok }'
	refute_line --regexp '^dead '
}

rows_locked_elsewhere() {
	[ "$(pg_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'tuple'
		OR (locktype = 'transactionid' AND pid <> pg_backend_pid())")" -gt 0 ]
}

@test "a claim emptied by rows locked elsewhere does not end the listing while they can still be claimed" {
	pg_seed 20
	gz-list --init --quiet
	# Another transaction holds rows 11..20 for 2 s: every claim skips them
	# and comes back empty once 1..10 are claimed.
	pg_sql "BEGIN; SELECT id FROM gazettes WHERE id > 10 FOR UPDATE;
		SELECT pg_sleep(2); COMMIT;" >/dev/null &
	locker=$!
	wait_for rows_locked_elsewhere
	run -0 --separate-stderr gz-list --claim --worker w --page-size 5 --lease 1s --progress 0
	wait "$locker"
	assert_equal "$(echo "$output" | jq -r .id | sort -n | tr '\n' ' ')" \
		"$(seq 1 20 | tr '\n' ' ')"
	[[ "$stderr" != *"locked"* ]]
}

@test "a later run under the same --worker name takes back the claims an earlier run left to expire" {
	pg_seed 10
	gz-list --init --quiet
	# The first run claims all ten, nobody settles them, it gives up.
	gz-list --claim --worker cron --lease 1s --progress 0 >/dev/null 2>&1
	assert_equal "$(pg_sql 'SELECT count(*) FROM gz_claims WHERE worker = $$cron$$')" 10
	sleep 1.2
	run -0 --separate-stderr gz-list --claim --worker cron --lease 1s --progress 0
	assert_equal "$(echo "$output" | jq -r .id | sort -n | tr '\n' ' ')" "$(seq 1 10 | tr '\n' ' ')"
	assert_equal "$(pg_sql 'SELECT count(*) FROM gz_claim_history')" 20
}

@test "--claims before any claim says so instead of creating tables" {
	run -0 --separate-stderr gz-list --claims
	assert_output --regexp '^WORKER +HELD +EXPIRED +RELEASED +OLDEST_S +LEASE_UNTIL$'
	[[ "$stderr" == *"no claims yet"* ]]
	assert_equal "$(pg_sql "SELECT to_regclass('gz_claims') IS NULL")" t
}

lines_in() {	# lines_in FILE N: FILE has N lines
	[ "$(wc -l <"$1")" -eq "$2" ]
}

@test "claims of gazettes marked processed by anyone are settled: the listing ends without waiting a lease" {
	pg_seed 20
	gz-list --init --quiet
	# A one-hour lease: only settling can end this listing in time.
	timeout 30 gz-list --claim --worker w --page-size 5 --lease 1h --progress 0 \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	lister=$!
	wait_for lines_in "$BATS_TEST_TMPDIR/out" 20
	assert_equal "$(pg_sql 'SELECT count(*) FROM gz_claims WHERE worker = $$w$$')" 20
	# Ten go through gz-index's way (marked, claim deleted); the other ten
	# are marked by someone else: a shard worker, the old system, by hand.
	pg_sql "UPDATE gazettes SET processed = true WHERE id <= 10;
		DELETE FROM gz_claims WHERE gazette_id <= 10"
	pg_sql "UPDATE gazettes SET processed = true WHERE id > 10"
	rc=0
	wait "$lister" || rc=$?
	assert_equal "$rc" 0	# 124: timeout ended it, still waiting
	assert_equal "$(pg_sql 'SELECT count(*) FROM gz_claims')" 0
	[[ "$(cat "$BATS_TEST_TMPDIR/err")" != *"not settled"* ]]
}

@test "a claim whose gazette is processed is not renewed while others still are" {
	pg_seed 4
	gz-list --init --quiet
	timeout 30 gz-list --claim --worker w --lease 1h --progress 0 \
		>"$BATS_TEST_TMPDIR/out" 2>/dev/null &
	lister=$!
	wait_for lines_in "$BATS_TEST_TMPDIR/out" 4
	pg_sql "UPDATE gazettes SET processed = true WHERE id IN (1, 2)" >/dev/null
	# The settled two go at the lister's next look; 3 and 4 stay held.
	claims_left() { [ "$(pg_sql 'SELECT string_agg(gazette_id::text, $$ $$ ORDER BY gazette_id) FROM gz_claims')" = "3 4" ]; }
	wait_for claims_left
	gz_alive "$lister"
	pg_sql "DELETE FROM gz_claims; UPDATE gazettes SET processed = true" >/dev/null
	rc=0
	wait "$lister" || rc=$?
	assert_equal "$rc" 0
}

@test "records are the bytes the jv-based gz-list wrote: NULLs, escapes, control characters, UTF-8" {
	psql -X -q -v ON_ERROR_STOP=1 -f "$GZ_ROOT/tests/fixtures/gz-list/records.sql"
	run -0 --separate-stderr gz-list --mode all --page-size 3 --quiet
	diff <(echo "$output") "$GZ_ROOT/tests/fixtures/gz-list/records.out.ndjson"
	gz-list --init --quiet
	run -0 --separate-stderr gz-list --mode all --claim --worker 'w"orker\ é 🎉' \
		--lease 1s --page-size 3 --quiet
	diff <(echo "$output") "$GZ_ROOT/tests/fixtures/gz-list/records.claim.ndjson"
	# The escaper against libjq on every short byte string, valid or not.
	run -0 "$(dirname "${GZ_BIN:-$GZ_ROOT/build/release/bin}")/test/jsoncheck" 100000
}

@test "a role that may not CREATE claims once the tables exist" {
	pg_seed 5
	gz-list --init --quiet
	pg_sql "GRANT SELECT, INSERT, UPDATE, DELETE ON gz_claims, gz_claim_history, gazettes, territories TO gz_auth;
		REVOKE CREATE ON SCHEMA public FROM gz_auth, PUBLIC" >/dev/null
	run -0 --separate-stderr gz-list --db "user=gz_auth password=right-password" \
		--claim --worker limited --lease 1s --progress 0
	assert_equal "$(echo "$output" | wc -l)" 5
}
