/*
 * list — the gz-list query and its keyset paging loop.
 *
 * Pages are read by keyset: "WHERE id < $last ORDER BY id DESC LIMIT n".
 * With OFFSET, marking listed rows processed while listing the unprocessed
 * ones shifts every later page and silently skips half of the backlog;
 * with a keyset the next page starts below the last id written, whatever
 * happened to the rows above it.  The same property makes a lost connection
 * harmless: reconnect and ask again for ids below the last one written.
 *
 * Every value reaches the server as a parameter of PQexecParams: the SQL
 * text below is constant.
 */
#include "list.h"
#include "session.h"
#include "jsonesc.h"
#include "cli.h"
#include "log.h"
#include "metrics.h"
#include "ndjson.h"
#include "sig.h"
#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum column_kind { COL_INT, COL_TEXT, COL_BOOL };

/*
 * Output fields, in order, each with its key as written ("name":); the
 * SELECT list below follows this table.
 */
#define COLUMN(name, kind) { "\"" name "\":", sizeof(name) + 2, kind }
static const struct column {
	const char *key;
	size_t key_len;
	enum column_kind kind;
} columns[] = {
	COLUMN("id", COL_INT),
	COLUMN("territory_id", COL_TEXT),
	COLUMN("territory_name", COL_TEXT),
	COLUMN("state_code", COL_TEXT),
	COLUMN("date", COL_TEXT),
	COLUMN("edition_number", COL_TEXT),
	COLUMN("is_extra_edition", COL_BOOL),
	COLUMN("power", COL_TEXT),
	COLUMN("file_checksum", COL_TEXT),
	COLUMN("file_path", COL_TEXT),
	COLUMN("file_url", COL_TEXT),
	COLUMN("scraped_at", COL_TEXT),
	COLUMN("created_at", COL_TEXT),
	COLUMN("processed", COL_BOOL),
};
#define N_COLUMNS ((int)(sizeof columns / sizeof columns[0]))

#define ISO_TIMESTAMP "'YYYY-MM-DD\"T\"HH24:MI:SS.US'"

const char select_list[] =
	"SELECT g.id, g.territory_id, t.name, t.state_code,"
	" to_char(g.date, 'YYYY-MM-DD'), g.edition_number,"
	" g.is_extra_edition, g.power, g.file_checksum, g.file_path,"
	" g.file_url, to_char(g.scraped_at, " ISO_TIMESTAMP "),"
	" to_char(g.created_at, " ISO_TIMESTAMP "), g.processed";

/*
 * The filters of the existing system ($1 mode) plus the narrowing flags;
 * a NULL parameter turns its filter off.
 */
const char from_where[] =
	" FROM gazettes g JOIN territories t ON t.id = g.territory_id"
	" WHERE g.file_path NOT LIKE '%.zip'"
	" AND (($1::text = 'ALL')"
	"  OR ($1::text = 'DAILY' AND g.scraped_at > now() - interval '1 day')"
	"  OR ($1::text = 'UNPROCESSED' AND g.processed IS FALSE))"
	" AND ($2::date IS NULL OR g.date >= $2::date)"
	" AND ($3::date IS NULL OR g.date <= $3::date)"
	" AND ($4::text[] IS NULL OR g.territory_id = ANY($4::text[]))"
	" AND ($5::text IS NULL OR t.state_code = $5::text)"
	" AND ($6::bigint[] IS NULL OR g.id = ANY($6::bigint[]))"
	" AND ($7::int IS NULL OR g.id % $7::int = $8::int)";

static const char page_tail[] =
	" AND g.id < $9::bigint ORDER BY g.id DESC LIMIT $10::int";

/*
 * A PostgreSQL array literal {"a","b"} with each element quoted, so commas,
 * quotes and braces inside a value stay inside it.  Caller frees.
 */
static char *
text_array_literal(const char *const *values, int n)
{
	size_t size = 3, len = 0;
	char *out;
	int i;

	for (i = 0; i < n; i++)
		size += 2 * strlen(values[i]) + 3;
	out = xmalloc(size);
	out[len++] = '{';
	for (i = 0; i < n; i++) {
		const char *p;

		if (i > 0)
			out[len++] = ',';
		out[len++] = '"';
		for (p = values[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				out[len++] = '\\';
			out[len++] = *p;
		}
		out[len++] = '"';
	}
	out[len++] = '}';
	out[len] = '\0';
	return out;
}

static char *
id_array_literal(const long long *ids, int n)
{
	size_t size = 3 + (size_t)n * 21, len = 0;
	char *out = xmalloc(size);
	int i;

	out[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%lld",
		    i ? "," : "", ids[i]);
	snprintf(out + len, size - len, "}");
	return out;
}

bool
params_init(struct params *p, const struct list_options *o)
{
	memset(p, 0, sizeof *p);
	if (o->n_territories > 0 &&
	    (p->territories = text_array_literal(o->territories,
	    o->n_territories)) == NULL)
		return false;
	if (o->n_ids > 0 && (p->ids = id_array_literal(o->ids,
	    o->n_ids)) == NULL)
		return false;
	p->values[0] = o->mode;
	p->values[1] = o->since;
	p->values[2] = o->until;
	p->values[3] = p->territories;
	p->values[4] = o->state;
	p->values[5] = p->ids;
	if (o->shard_count > 0) {
		snprintf(p->shard_count, sizeof p->shard_count, "%d",
		    o->shard_count);
		snprintf(p->shard_index, sizeof p->shard_index, "%d",
		    o->shard_index);
		p->values[6] = p->shard_count;
		p->values[7] = p->shard_index;
	}
	p->values[8] = p->last;
	p->values[9] = p->limit;
	p->values[10] = o->worker;
	p->values[11] = p->lease;
	p->values[12] = p->run_start;
	snprintf(p->lease, sizeof p->lease, "%.3f seconds", o->lease);
	return true;
}

void
params_free(struct params *p)
{
	free(p->territories);
	free(p->ids);
}

/* PostgreSQL's text of an integer column: -?[0-9]+, a JSON number as is. */
static bool
integer_text(const char *v)
{
	if (*v == '-')
		v++;
	if (*v == '\0')
		return false;
	for (; *v; v++)
		if (*v < '0' || *v > '9')
			return false;
	return true;
}

void
format_record(struct jsonbuf *b, PGresult *res, int r,
    const char *claim_worker)
{
	int c;

	for (c = 0; c < N_COLUMNS; c++) {
		const char *v = PQgetvalue(res, r, c);

		jsonbuf_add(b, c == 0 ? "{" : ",", 1);
		jsonbuf_add(b, columns[c].key, columns[c].key_len);
		if (PQgetisnull(res, r, c))
			jsonbuf_add(b, "null", 4);
		else if (columns[c].kind == COL_INT)
			jsonbuf_puts(b, integer_text(v) ? v : "null");
		else if (columns[c].kind == COL_BOOL)
			jsonbuf_puts(b, v[0] == 't' ? "true" : "false");
		else
			jsonesc_string(b, v, (size_t)PQgetlength(res, r, c));
	}
	if (claim_worker != NULL) {
		jsonbuf_puts(b, ",\"gz\":{\"claim\":{\"worker\":");
		jsonesc_string(b, claim_worker, strlen(claim_worker));
		jsonbuf_add(b, "}}", 2);
	}
	jsonbuf_add(b, "}\n", 2);
}

struct ndjson_writer *
list_writer(void)
{
	/* Memory is bounded by list_out: no high-water mark. */
	struct ndjson_writer *w = ndjson_writer_new(STDOUT_FILENO, SIZE_MAX,
	    "records");

	if (w == NULL)
		log_error("out of memory");
	return w;
}

int
list_out_wait(struct list_out *out)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = ndjson_writer_fd(out->w), .events = POLLOUT },
			{ .fd = sig_wakeup_fd(), .events = POLLIN },
		};
		double wait = 1;

		if (ndjson_writer_flush(out->w) != 0)
			return -1;
		if (ndjson_writer_pending(out->w) == 0)
			return 0;
		if (sig_stop_requested())
			return ndjson_writer_drain(out->w);
		progress_tick();
		if (out->tick != NULL && (wait = out->tick(out->arg)) > 1)
			wait = 1;
		poll(pfd, sig_wakeup_fd() >= 0 ? 2 : 1, (int)(wait * 1000) + 1);
	}
}

int
list_out_flush(struct list_out *out)
{
	if (out->buf.len > 0 && ndjson_writer_put_lines(out->w,
	    out->buf.data, out->buf.len) == 0) {
		if (ndjson_writer_error(out->w) == 0)
			log_error("out of memory for records");
		return -1;
	}
	out->buf.len = 0;
	return list_out_wait(out);
}

int
write_page(struct list_out *out, PGresult *res, long long *last_id,
    const char *claim_worker)
{
	int r, rows = PQntuples(res);

	for (r = 0; r < rows; r++) {
		format_record(&out->buf, res, r, claim_worker);
		*last_id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
		gz_stats.records_in++;
		if (out->buf.len >= out->flush_at && list_out_flush(out) != 0)
			return -1;
		progress_tick();
	}
	return list_out_flush(out);
}

char *
build_sql(const char *head, const char *tail)
{
	size_t size = strlen(head) + strlen(from_where) + strlen(tail) + 1;
	char *sql = xmalloc(size);

	snprintf(sql, size, "%s%s%s", head, from_where, tail);
	return sql;
}

int
list_run(const struct db_target *target, const struct list_options *o)
{
	struct session s = { .target = target, .retry = &o->retry };
	long long last_id = 9223372036854775807LL, left = o->limit;
	unsigned long pages = 0;
	struct list_out out = { .flush_at = LIST_FLUSH_BYTES };
	struct params p;
	int status = EXIT_OK;
	char *sql = build_sql(select_list, page_tail);
	char extra[64];

	if ((out.w = list_writer()) == NULL)
		return EXIT_FATAL;
	if (sql == NULL || !params_init(&p, o)) {
		log_error("out of memory");
		free(sql);
		ndjson_writer_free(out.w);
		return EXIT_FATAL;
	}
	while (!sig_stop_requested()) {
		int want = o->page_size;
		PGresult *res;

		if (o->limit > 0 && left < want)
			want = (int)left;
		if (o->limit > 0 && want == 0)
			break;
		snprintf(p.last, sizeof p.last, "%lld", last_id);
		snprintf(p.limit, sizeof p.limit, "%d", want);
		if ((res = session_query(&s, sql, N_PAGE_PARAMS, p.values, &status)) == NULL)
			break;
		pages++;
		if (write_page(&out, res, &last_id, NULL) != 0) {
			/* The writer logged why, unless the reader has all
			 * it wanted (EPIPE). */
			if (errno != EPIPE)
				status = EXIT_FATAL;
			PQclear(res);
			break;
		}
		left -= PQntuples(res);
		if (PQntuples(res) < want) {
			PQclear(res);
			break;
		}
		PQclear(res);
		log_debug("page %lu done; next ids below %lld", pages, last_id);
	}
	if (sig_stop_requested() && status == EXIT_OK)
		status = EXIT_FATAL;
	snprintf(extra, sizeof extra, "%lu pages", pages);
	progress_summary(extra);
	session_close(&s);
	params_free(&p);
	jsonbuf_free(&out.buf);
	ndjson_writer_free(out.w);
	free(sql);
	return status;
}

int
list_count(const struct db_target *target, const struct list_options *o)
{
	struct session s = { .target = target, .retry = &o->retry };
	struct params p;
	int status = EXIT_OK;
	char *sql = build_sql("SELECT count(*)", "");
	PGresult *res;

	if (sql == NULL || !params_init(&p, o)) {
		log_error("out of memory");
		free(sql);
		return EXIT_FATAL;
	}
	if ((res = session_query(&s, sql, N_FILTER_PARAMS, p.values, &status)) != NULL) {
		long long n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);

		if (o->limit > 0 && n > o->limit)
			n = o->limit;
		printf("%lld\n", n);
		PQclear(res);
		/* Hourly from cron, this is the backlog that alerts watch. */
		metrics_report_gauge("gz_backlog_records",
		    "Gazettes a listing with these options would give.",
		    "mode", o->mode_name, (double)n);
		metrics_finish();
	}
	session_close(&s);
	params_free(&p);
	free(sql);
	return status;
}
