# Sourced by the bench scripts (bash): a private PostgreSQL 15 and the
# clean-up every script needs.  The caller sets W (its work folder, which
# must exist) and PY; it may append process ids to the pids array, which
# bench_cleanup kills on exit.
pgbin=/usr/lib/postgresql/15/bin
pids=()

# PostgreSQL refuses to run as root: its commands run as postgres then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -d "$W/pg" ] && as_pg "$pgbin/pg_ctl" -D "$W/pg" -m immediate -w stop \
		>/dev/null 2>&1 || true
	rm -rf "$W"
}

# bench_pg_start [CONF-LINE...]: a cluster in $W/pg listening only on a
# socket in $W/pgsock, with database gz created and PGHOST, PGPORT, PGUSER and
# PGDATABASE exported for psql and the tools.  Extra lines go into
# postgresql.conf.  Durability settings stay at their defaults (fsync,
# synchronous_commit on): commits cost what they would in production.
bench_pg_start() {
	local line
	# PostgreSQL gets folders of its own: W stays the user's, so a spool
	# under it passes gz-fetch's ownership check.
	mkdir -m 700 "$W/pg" "$W/pgsock"
	[ "$(id -u)" = 0 ] && chown postgres: "$W/pg" "$W/pgsock"
	as_pg "$pgbin/initdb" -D "$W/pg" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$W/initdb.log" 2>&1
	PGPORT=$(free_port)
	{
		echo "listen_addresses = ''"
		echo "port = $PGPORT"
		echo "unix_socket_directories = '$W/pgsock'"
		echo "shared_buffers = 256MB"
		for line in "$@"; do echo "$line"; done
	} >>"$W/pg/postgresql.conf"
	as_pg "$pgbin/pg_ctl" -D "$W/pg" -w -t 60 -l "$W/pgsock/pg.log" start \
		>/dev/null
	export PGHOST="$W/pgsock" PGPORT PGUSER=postgres PGDATABASE=gz
	psql -X -q -d postgres -c "CREATE DATABASE gz"
}
