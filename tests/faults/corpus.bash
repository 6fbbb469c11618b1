# The fault suite's corpus: FAULT_N gazettes (default 300) in PostgreSQL,
# one file each in s3rver, and what each should become; made in a couple of
# seconds from the sample gazettes of tests/fixtures/gazettes/.
# Needs common.bash, pg.bash and s3.bash, with pg_start and s3_start done.
#
#   corpus_upload   make the files (once per bats file) and put them into
#                   s3rver with one parallel curl
#   corpus_load     pg_reset, then insert the gazettes and the table
#                   fault_expect(id, kind, needle):
#                     ok           processable; its document's source_text
#                                  has needle as a whole line
#                     missing      file_path names no object
#                     corrupt      a broken or empty PDF
#                     unsupported  a zip named .pdf, a PNG
#                     zip          a .zip path: never listed (every mode skips
#                                  them), so never processed
#                   corpus_use adds "heavy" (extract.bats) and more "corrupt" rows.
#   corpus_make_missing N
#                   N more ok rows point at keys that do not exist
#
# gz-fetch checks each file's MD5 against file_checksum, and file_checksum
# is the document _id: so every row has its own file, the fixture with a
# few bytes that name the row (a comment after a PDF's %%EOF, a zip
# comment for DOCX/ODT, a line for TXT, bytes after the end of a DOC or
# PNG), none of which changes the text a converter gives.

FAULT_N=${FAULT_N:-300}
# The corpus's PNG is a coat of arms with no text: "unsupported" as it was
# before OCR, so every stage's faults are tested on documents that convert
# in milliseconds (OCR has its own tests, tests/gz-extract-ocr.bats).
export GZ_OCR=never
FAULT_FIX="$GZ_ROOT/tests/fixtures/gazettes"

corpus_make() {
	local dir=$1
	"$GZ_PYTHON" - "$FAULT_FIX" "$dir" "$FAULT_N" <<-'PY'
	import hashlib, io, os, sys, zipfile
	fix, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
	SP = "Fica nomeada Maria da Conceição Araújo para o cargo de Diretora de Escola."
	ATO = "Art. 1º Fica nomeado José Antônio Simões."
	AVISO = ("Publicação do Município de São Paulo: a Secretaria Municipal de "
	         "Educação torna público o resultado da licitação nº 3/2024.")
	# Text and Office files dominate: they convert fast, so a run's time
	# goes to the pipeline's machinery rather than to pdftotext.
	OK = [("diario-sp-2024-01-02.pdf", SP),
	      ("duas-colunas.pdf", "Aviso de licitação nº 7/2024 da Câmara Municipal."),
	      ("protegido.pdf", "Fica homologado o resultado da licitação nº 45/2024 de Salvador."),
	      ("ato.doc", ATO), ("ato.docx", ATO), ("ato.odt", ATO),
	      ("aviso-utf8.txt", AVISO), ("aviso-latin1.txt", AVISO),
	      ("aviso-cp1252.txt", "Cotação de referência para itens importados: € 1,00 = R$ 5,40."),
	      ("aviso-utf8.txt", AVISO), ("ato.docx", ATO), ("aviso-latin1.txt", AVISO)]
	SPECIAL = {13: ("corrompido.pdf", "corrupt"), 113: ("truncado.pdf", "corrupt"),
	           213: ("vazio.pdf", "corrupt"),
	           23: ("pacote-renomeado.pdf", "unsupported"),
	           123: ("brasao.png", "unsupported"),
	           33: ("pacote.zip", "zip"), 133: ("pacote.zip", "zip")}
	MISSING = {7, 77, 177, 277}

	def vary(name, data, i):
	    tag = b"gz-fault %d" % i
	    if name.endswith((".docx", ".odt")) or name == "pacote-renomeado.pdf":
	        buf = io.BytesIO(data)
	        with zipfile.ZipFile(buf, "a") as z:
	            z.comment = tag
	        return buf.getvalue()
	    if name.endswith(".txt"):
	        return data + b"\n" + tag + b"\n"
	    if not data:          # vazio.pdf stays empty: one row only
	        return data
	    return data + b"\n%" + tag + b"\n"

	plan = open(os.path.join(out, "plan.tsv"), "w")
	for i in range(1, n + 1):
	    terr = ["3550308", "3304557", "4106902"][i % 3]
	    if i in MISSING:
	        key = "%s/missing/%d.pdf" % (terr, i)
	        plan.write("%d\t%s\t%s\tmissing\t\\N\n" % (i, key, hashlib.md5(b"%d" % i).hexdigest()))
	        continue
	    name, kind = SPECIAL.get(i, (None, "ok"))
	    needle = None
	    if name is None:
	        name, needle = OK[i % len(OK)]
	    data = vary(name, open(os.path.join(fix, name), "rb").read(), i)
	    ext = name.rsplit(".", 1)[1]
	    key = "%s/2024/%d.%s" % (terr, i, ext)
	    os.makedirs(os.path.join(out, "files", os.path.dirname(key)), exist_ok=True)
	    with open(os.path.join(out, "files", key), "wb") as f:
	        f.write(data)
	    plan.write("%d\t%s\t%s\t%s\t%s\n" % (i, key, hashlib.md5(data).hexdigest(),
	                                         kind, needle or "\\N"))

	# Spare files a test may point rows at (corpus_use): PDFs that need
	# seconds and ~730 MB to convert, and more corrupt ones.
	extra = open(os.path.join(out, "extra.tsv"), "w")
	spare = [("heavy", os.path.join(fix, "..", "gz-extract", "heavy.pdf")),
	         ("corrupt", os.path.join(fix, "corrompido.pdf")),
	         ("corrupt", os.path.join(fix, "truncado.pdf"))]
	os.makedirs(os.path.join(out, "files", "spare"), exist_ok=True)
	for j in range(1, 25):
	    kind, path = spare[0] if j <= 4 else spare[1 + j % 2]
	    data = vary("x.pdf", open(path, "rb").read(), 10000 + j)
	    key = "spare/%s-%d.pdf" % (kind, j)
	    with open(os.path.join(out, "files", key), "wb") as f:
	        f.write(data)
	    extra.write("%s\t%s\t%s\n" % (kind, key, hashlib.md5(data).hexdigest()))
	PY
}

corpus_upload() {
	FAULT_CORPUS="$BATS_FILE_TMPDIR/corpus"
	export FAULT_CORPUS
	mkdir -p "$FAULT_CORPUS"
	corpus_make "$FAULT_CORPUS" || return 1
	# One curl, many uploads in parallel, straight into s3rver (unsigned
	# requests; x-amz-content-sha256 marks them as S3 API calls).
	(cd "$FAULT_CORPUS/files" && find . -type f | sed 's|^\./||' | while read -r key; do
		printf 'url = "%s/gz/%s"\nupload-file = "%s"\noutput = "/dev/null"\n' \
			"$GZ_S3RVER_URL" "$key" "$key"
	done) >"$FAULT_CORPUS/curl.cfg"
	(cd "$FAULT_CORPUS/files" && curl -sS -f -Z --parallel-max 8 \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -K "$FAULT_CORPUS/curl.cfg") || return 1
	local stored
	stored=$(curl -sS -f -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		"$GZ_S3RVER_URL/gz?list-type=2&max-keys=1000" | grep -o '<Key>' | wc -l)
	[ "$stored" -eq "$(find "$FAULT_CORPUS/files" -type f | wc -l)" ] || {
		echo "corpus_upload: only $stored objects stored" >&2
		return 1
	}
}

# corpus_gate_listing: gz-list's third page waits, inside PostgreSQL, until
# corpus_open_gate: so gz-list is still listing when a test kills it, however
# fast or slow the machine is, and the two pages before (100 gazettes) are
# enough for the 60 marked the test waits for.  territories becomes a view
# whose materialised CTE calls gz_page() once per query; only gz-list's
# queries count as pages (by application_name: gz-split reads territories
# too, once, at its start).
corpus_gate_listing() {
	psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<-'SQL'
	ALTER TABLE territories RENAME TO territories_t;
	CREATE TABLE gz_list_gate (open boolean NOT NULL);
	INSERT INTO gz_list_gate VALUES (false);
	CREATE SEQUENCE gz_list_pages;
	CREATE FUNCTION gz_page() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
	BEGIN
	  IF current_setting('application_name') NOT LIKE 'gz-list%' THEN
	    RETURN true;
	  END IF;
	  IF nextval('gz_list_pages') > 2 THEN
	    -- Each statement of a volatile function sees the latest commit.
	    WHILE NOT (SELECT open FROM gz_list_gate) LOOP
	      PERFORM pg_sleep(0.01);
	    END LOOP;
	  END IF;
	  RETURN true;
	END$$;
	CREATE VIEW territories AS
	  WITH gate AS MATERIALIZED (SELECT gz_page() AS ok)
	  SELECT t.* FROM territories_t t, gate WHERE gate.ok;
	SQL
}

# corpus_open_gate: let a waiting page query go (its client may be dead: the
# query must still end, or it keeps its lock on the view).
corpus_open_gate() {
	if [ "$(pg_sql "SELECT to_regclass('gz_list_gate') IS NOT NULL")" = t ]; then
		pg_sql "UPDATE gz_list_gate SET open = true" >/dev/null
	fi
}

# corpus_fast_listing: undo corpus_gate_listing, if it is in place.
corpus_fast_listing() {
	corpus_open_gate
	if [ "$(pg_sql "SELECT relkind FROM pg_class WHERE relname = 'territories'")" = v ]; then
		pg_sql "DROP VIEW territories; ALTER TABLE territories_t RENAME TO territories;
			DROP FUNCTION gz_page(); DROP SEQUENCE gz_list_pages;
			DROP TABLE gz_list_gate" >/dev/null
	fi
}

corpus_load() {
	corpus_fast_listing
	pg_reset
	pg_sql "INSERT INTO territories VALUES
		('3550308','São Paulo','SP','São Paulo'),
		('3304557','Rio de Janeiro','RJ','Rio de Janeiro'),
		('4106902','Curitiba','PR','Paraná')" >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<-SQL
	DROP TABLE IF EXISTS fault_expect;
	CREATE TABLE fault_expect (id integer PRIMARY KEY, kind text, needle text);
	CREATE TEMP TABLE plan (id integer, key text, sum text, kind text, needle text);
	\\copy plan FROM '$FAULT_CORPUS/plan.tsv'
	INSERT INTO fault_expect SELECT id, kind, needle FROM plan;
	INSERT INTO gazettes (id, date, edition_number, is_extra_edition, power,
	  file_checksum, file_path, file_url, scraped_at, created_at,
	  territory_id, processed)
	  SELECT id, date '2024-01-01' + (id % 365), (1000 + id)::text, id % 7 = 0,
	    'executive', sum, key, 'https://example.org/' || key,
	    now() - interval '2 hours', now() - interval '2 hours',
	    split_part(key, '/', 1), false
	  FROM plan;
	SQL
}

# corpus_use KIND N: N ok rows (ids ending in 1, from the newest: the
# first listed) get a spare file of KIND (heavy: at most 4; corrupt: at
# most 20); their expectation becomes KIND.
corpus_use() {
	local kind=$1 n=$2
	psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<-SQL
	CREATE TEMP TABLE spare (kind text, key text, sum text);
	\\copy spare FROM '$FAULT_CORPUS/extra.tsv'
	CREATE TEMP TABLE pick AS
	  SELECT m.id, s.key, s.sum FROM
	    (SELECT id, row_number() OVER (ORDER BY id DESC) AS r FROM fault_expect
	     WHERE kind = 'ok' AND id % 10 = 1 ORDER BY id DESC LIMIT $n) m
	    JOIN (SELECT key, sum, row_number() OVER (ORDER BY key) AS r FROM spare
	          WHERE kind = '$kind') s USING (r);
	UPDATE fault_expect f SET kind = '$kind', needle = NULL FROM pick
	  WHERE f.id = pick.id;
	UPDATE gazettes g SET file_path = pick.key, file_checksum = pick.sum
	  FROM pick WHERE g.id = pick.id;
	SQL
	[ "$(pg_sql "SELECT count(*) FROM fault_expect WHERE kind = '$kind'")" -ge "$n" ]
}

# corpus_make_missing N: N more ok rows (ids ending in 5) point at keys that
# do not exist, as when objects were deleted from the bucket.
corpus_make_missing() {
	local n=$1
	pg_sql "WITH m AS (SELECT id FROM fault_expect WHERE kind = 'ok'
		AND id % 10 = 5 ORDER BY id LIMIT $n),
		e AS (UPDATE fault_expect f SET kind = 'missing', needle = NULL
		FROM m WHERE f.id = m.id RETURNING f.id)
		UPDATE gazettes g SET file_path = 'gone/' || g.id || '.txt'
		FROM e WHERE g.id = e.id" >/dev/null
}
