#!/bin/sh
# make demo: the whole gz pipeline on the bundled sample gazettes, against a
# throwaway PostgreSQL, with files served from a local folder, indexed into
# that PostgreSQL (no OpenSearch needed), and ends with a search.  Leaves
# its results in demo-out/ and nothing running.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/demo-out"
PATH="$root/bin:$PATH"
pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/gz-demo.XXXXXX)
chmod 755 "$work"

as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
	as_owner "$pgbin/pg_ctl" -D "$work/pg" -m immediate -w stop \
		>/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() {
	printf '\n== %s\n' "$*"
}

step "Starting a throwaway PostgreSQL 15 in $work"
[ "$(id -u)" = 0 ] && chown postgres: "$work"
as_owner "$pgbin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 \
	--locale=C.UTF-8 >/dev/null
as_owner "$pgbin/pg_ctl" -D "$work/pg" -w -l "$work/pg.log" \
	-o "-c listen_addresses= -c unix_socket_directories=$work -c port=5499" \
	start >/dev/null
export PGHOST="$work" PGPORT=5499 PGUSER=postgres PGDATABASE=postgres
unset DATABASE_URL POSTGRES_HOST STORAGE_BUCKET OPENSEARCH_HOST
psql -X -q -v ON_ERROR_STOP=1 -f "$root/demo/seed.sql" >/dev/null
psql -X -At -c "SELECT count(*) || ' gazettes loaded, ' ||
	count(*) FILTER (WHERE NOT processed) || ' unprocessed' FROM gazettes"

step "Laying the files out as the storage bucket would hold them"
mkdir -p "$work/bucket"
while IFS='	' read -r key file; do
	case "$key" in ''|'#'*) continue ;; esac
	mkdir -p "$work/bucket/$(dirname "$key")"
	cp "$root/demo/$file" "$work/bucket/$key"
done <"$root/demo/files.tsv"
find "$work/bucket" -type f | wc -l | sed 's/$/ files/'

rm -rf "$out"
mkdir -p "$out"
step "gz-pipeline: gz-list | gz-fetch | gz-extract | gz-split | gz-index"
set +e
gz-pipeline --run-id "demo-$(date +%Y%m%d%H%M%S)" --log-dir "$out/logs" \
	--ledger "$out/ledger.ndjson" \
	--list-mode=unprocessed --list-progress=1 \
	--fetch-source="dir:$work/bucket" \
	--fetch-progress=1 --extract-progress=1 \
	--index-create-index --index-progress=1
status=$?
set -e
echo "gz-pipeline exit status: $status (1 = some gazettes failed, as two of these must)"

step "Failures, from the ledger ($out/ledger.ndjson)"
jq -r 'select(.gz.error) |
	"  id \(.id): \(.gz.error.stage) \(.gz.error.code): \(.gz.error.message)"' \
	"$out/ledger.ndjson"
psql -X -At -c "SELECT '  id ' || id || ': not listed: ' || file_path ||
	' (every mode skips .zip paths, as the existing system does)'
	FROM gazettes WHERE file_path LIKE '%.zip'"
psql -X -At -c "SELECT 'indexed into PostgreSQL (table querido_diario): ' ||
	count(*) || ' documents' FROM querido_diario"
psql -X -At -c "SELECT 'marked processed: ' || count(*) FILTER (WHERE processed)
	|| ' of ' || count(*) FROM gazettes"
# gz-split: the AMA gazette (id 15) became one document per municipality.
jq -r 'select(.id == 15 and .gz.segment.index > 0) |
	"  id 15, association of Alagoas: document \(.file_checksum) for \(.territory_name)"' \
	"$out/ledger.ndjson"

# OCR: the scanned gazette (id 10) has no text layer; tesseract read it.
jq -r 'select(.id == 10 and .gz.error == null) |
	"  id 10, a scan: indexed from OCR (\(.gz.ocr.pages // [] | length) page(s) recognised)"' \
	"$out/ledger.ndjson"

step "Searching them: gz-search 'licitacoes' '\"merenda escolar\"' or concurso --limit 5"
# Accents and plurals aside: licitacoes finds licitação.  The ids, by rank,
# also go to a file for a later look with jq.
gz-search --format text --limit 5 licitacoes '"merenda escolar"' or concurso
echo "and the scanned gazette, by a word only its OCR text has: gz-search digitalizado"
gz-search --format text --limit 1 digitalizado
gz-search --format json licitacoes '"merenda escolar"' or concurso \
	>"$out/search.ndjson" || true

cat <<MSG

== Pointing the same run at real services
  export DATABASE_URL=postgresql://USER@HOST/DB          # or POSTGRES_HOST/PORT/DB/USER/PASSWORD
  export STORAGE_ENDPOINT=https://REGION.digitaloceanspaces.com STORAGE_REGION=REGION \\
         STORAGE_BUCKET=BUCKET STORAGE_ACCESS_KEY=... STORAGE_ACCESS_SECRET=...
  export OPENSEARCH_HOST=https://HOST:9200 OPENSEARCH_USER=... OPENSEARCH_PASSWORD=...
  gz-pipeline --list-mode=unprocessed --index-create-index --ledger ledger.ndjson
  # or stage by stage, to debug one of them:
  gz-list --mode unprocessed | gz-fetch | gz-extract | gz-split | gz-index --create-index > ledger.ndjson
  # without OPENSEARCH_HOST the documents go into the gazettes' database, and:
  gz-search 'pregão eletrônico' --state SP --since 2024-01-01

Results are in $out: ledger.ndjson (one line per gazette), logs/ (each stage's log and
metrics) and search.ndjson (the hits above, one JSON object each).
MSG
