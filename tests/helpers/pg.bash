# A throwaway PostgreSQL 15 cluster for one bats file: initdb into a temp
# folder, unix socket only, trust for local connections except the role
# gz_auth, which needs its password (for the authentication-failure tests).
# initdb refuses root, so as root the server runs as the "postgres" user.
#
#   pg_start       start it; exports PGHOST PGPORT PGUSER PGDATABASE
#   pg_stop        stop it and remove its folder (safe to call twice)
#   pg_restart     restart it (-m fast), same port and data
#   pg_reset       drop and recreate the gazettes/territories schema
#   pg_sql SQL     run SQL with psql, unaligned tuples only, stop on error

GZ_PG_BIN=${GZ_PG_BIN:-/usr/lib/postgresql/15/bin}

_pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	GZ_PG_DIR=$(mktemp -d /tmp/gz-pg.XXXXXX)
	export GZ_PG_DIR
	chmod 755 "$GZ_PG_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$GZ_PG_DIR"
	_pg_as_owner "$GZ_PG_BIN/initdb" -D "$GZ_PG_DIR/data" -U postgres \
		-A trust -E UTF8 --locale=C.UTF-8 >"$GZ_PG_DIR/initdb.log" 2>&1 || {
		cat "$GZ_PG_DIR/initdb.log" >&2
		return 1
	}
	{
		echo "local all gz_auth scram-sha-256"
		echo "local all all trust"
	} >"$GZ_PG_DIR/data/pg_hba.conf"
	GZ_PG_PORT=$(free_port)
	export GZ_PG_PORT
	cat >>"$GZ_PG_DIR/data/postgresql.conf" <<-CONF
	listen_addresses = '${GZ_PG_LISTEN:-}'
	port = $GZ_PG_PORT
	unix_socket_directories = '$GZ_PG_DIR'
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	max_connections = 50
	log_min_messages = warning
	CONF
	_pg_as_owner "$GZ_PG_BIN/pg_ctl" -D "$GZ_PG_DIR/data" -w -t 30 \
		-l "$GZ_PG_DIR/server.log" start >/dev/null || {
		cat "$GZ_PG_DIR/server.log" >&2
		return 1
	}
	export PGHOST="$GZ_PG_DIR" PGPORT="$GZ_PG_PORT" PGUSER=postgres
	psql -X -q -d postgres -c "CREATE DATABASE gz" >/dev/null
	export PGDATABASE=gz
	pg_sql "CREATE ROLE gz_auth LOGIN PASSWORD 'right-password'" >/dev/null
	pg_reset
}

pg_stop() {
	[ -n "${GZ_PG_DIR:-}" ] && [ -d "$GZ_PG_DIR" ] || return 0
	_pg_as_owner "$GZ_PG_BIN/pg_ctl" -D "$GZ_PG_DIR/data" -m immediate \
		-w stop >/dev/null 2>&1 || true
	rm -rf "$GZ_PG_DIR"
	unset GZ_PG_DIR
}

pg_restart() {
	_pg_as_owner "$GZ_PG_BIN/pg_ctl" -D "$GZ_PG_DIR/data" -m fast -w -t 30 \
		-l "$GZ_PG_DIR/server.log" restart >/dev/null
}

pg_sql() {
	psql -X -q -v ON_ERROR_STOP=1 -At -c "$1"
}

pg_reset() {
	psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<-'SQL'
	SET client_min_messages TO warning;
	DROP TABLE IF EXISTS gazettes, territories, gz_claims, gz_claim_history CASCADE;
	SQL
	psql -X -q -v ON_ERROR_STOP=1 -f "$GZ_ROOT/tests/fixtures/schema.sql" >/dev/null
	pg_sql "GRANT ALL ON ALL TABLES IN SCHEMA public TO gz_auth" >/dev/null
}

# pg_seed N [processed] [scraped_interval]: N gazettes with ids 1..N in two
# territories, file_path "<territory>/<date>/<id>.pdf", checksum md5(id).
pg_seed() {
	local n=$1 processed=${2:-false} scraped=${3:-'2 hours'}
	pg_sql "INSERT INTO territories VALUES
		('3550308','São Paulo','SP','São Paulo'),
		('3304557','Rio de Janeiro','RJ','Rio de Janeiro')
		ON CONFLICT DO NOTHING" >/dev/null
	pg_sql "INSERT INTO gazettes (id, date, edition_number, is_extra_edition,
		power, file_checksum, file_path, file_url, scraped_at, created_at,
		territory_id, processed)
		SELECT i, date '2024-01-01' + (i % 365), (1000 + i)::text, i % 7 = 0,
		'executive', md5(i::text),
		CASE WHEN i % 2 = 0 THEN '3550308' ELSE '3304557' END
		  || '/' || (date '2024-01-01' + (i % 365)) || '/' || i || '.pdf',
		'https://example.org/' || i || '.pdf',
		now() - interval '$scraped', now() - interval '$scraped',
		CASE WHEN i % 2 = 0 THEN '3550308' ELSE '3304557' END, $processed
		FROM generate_series(1, $n) AS i" >/dev/null
}

# pg_seed_files N DIR: N unprocessed gazettes (ids 1..N, São Paulo) whose
# files are small TXT documents under DIR at their file_path
# ("3550308/2024-03-DD/ID.txt"), each with its real MD5 as file_checksum, so
# a whole pipeline can run on them with gz-fetch --source dir:DIR.  Every
# text holds "Portaria nº ID".
pg_seed_files() {
	pg_sql "INSERT INTO territories VALUES ('3550308','São Paulo','SP','São Paulo')" >/dev/null
	local tsv="${BATS_TEST_TMPDIR:-/tmp}/seed.tsv"
	"$GZ_PYTHON" - "$1" "$2" >"$tsv" <<-'PY'
	import hashlib, os, sys
	n, bucket = int(sys.argv[1]), sys.argv[2]
	for i in range(1, n + 1):
	    key = "3550308/2024-03-%02d/%d.txt" % (i % 28 + 1, i)
	    body = ("Diário Oficial de São Paulo, edição %d.\n"
	            "Portaria nº %d: nomeia servidores para a Secretaria.\n" % (i, i)).encode()
	    os.makedirs(os.path.join(bucket, os.path.dirname(key)), exist_ok=True)
	    with open(os.path.join(bucket, key), "wb") as f:
	        f.write(body)
	    print("%d\t%s\t%s" % (i, hashlib.md5(body).hexdigest(), key))
	PY
	psql -X -q -v ON_ERROR_STOP=1 <<-SQL
	CREATE TEMP TABLE seed (id int, sum text, key text);
	\copy seed FROM '$tsv'
	INSERT INTO gazettes (id, date, edition_number, is_extra_edition, power,
		file_checksum, file_path, file_url, scraped_at, created_at,
		territory_id, processed)
	SELECT id, date '2024-03-01', id::text, false, 'executive', sum, key,
		'https://example.org/' || key, now(), now(), '3550308', false
	FROM seed;
	SQL
}
