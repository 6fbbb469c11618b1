/*
 * mapping — the index before the first document: --create-index creates it
 * with the existing mapping (gz(7) "Index"); otherwise it must exist.
 * Either way a bulk never auto-creates it with dynamic mappings
 * (OpenSearch's index API), which is what a mistyped index name would do.
 */
#include "mapping.h"
#include "bulk.h"
#include "options.h"
#include "response.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The querido-diario gazettes index: source_text analysed three ways
 * (brazilian stemming without stop words, with them, and exact), offsets
 * and term vectors for highlighting, and the index sorted the way the API
 * pages through it.
 */
const char mapping_json[] =
"{\"settings\":{"
  "\"index\":{\"sort.field\":[\"territory_id\",\"date\"],"
    "\"sort.order\":[\"asc\",\"desc\"]},"
  "\"analysis\":{"
    "\"filter\":{\"brazilian_stemmer\":{\"type\":\"stemmer\","
      "\"language\":\"brazilian\"}},"
    "\"analyzer\":{"
      "\"brazilian_with_stopwords\":{\"tokenizer\":\"standard\","
        "\"filter\":[\"lowercase\",\"brazilian_stemmer\"]},"
      "\"exact\":{\"tokenizer\":\"standard\",\"filter\":[\"lowercase\"]}}}},"
"\"mappings\":{\"properties\":{"
  "\"created_at\":{\"type\":\"date\"},"
  "\"date\":{\"type\":\"date\"},"
  "\"edition_number\":{\"type\":\"text\",\"fields\":{\"keyword\":"
    "{\"type\":\"keyword\",\"ignore_above\":256}}},"
  "\"file_checksum\":{\"type\":\"keyword\"},"
  "\"file_path\":{\"type\":\"keyword\"},"
  "\"file_url\":{\"type\":\"keyword\"},"
  "\"id\":{\"type\":\"keyword\"},"
  "\"is_extra_edition\":{\"type\":\"boolean\"},"
  "\"power\":{\"type\":\"keyword\"},"
  "\"processed\":{\"type\":\"boolean\"},"
  "\"scraped_at\":{\"type\":\"date\"},"
  "\"source_text\":{\"type\":\"text\",\"analyzer\":\"brazilian\","
    "\"index_options\":\"offsets\","
    "\"term_vector\":\"with_positions_offsets\",\"fields\":{"
      "\"with_stopwords\":{\"type\":\"text\","
        "\"analyzer\":\"brazilian_with_stopwords\","
        "\"index_options\":\"offsets\","
        "\"term_vector\":\"with_positions_offsets\"},"
      "\"exact\":{\"type\":\"text\",\"analyzer\":\"exact\","
        "\"index_options\":\"offsets\","
        "\"term_vector\":\"with_positions_offsets\"}}},"
  "\"state_code\":{\"type\":\"keyword\"},"
  "\"territory_id\":{\"type\":\"keyword\"},"
  "\"territory_name\":{\"type\":\"text\",\"fields\":{\"keyword\":"
    "{\"type\":\"keyword\",\"ignore_above\":256}}},"
  "\"url\":{\"type\":\"keyword\"}}}}";

/*
 * What an answer about the index means: 0 done, -1 worth another try, or
 * an exit status with the whole message in why.
 */
typedef int judge_fn(const struct index_options *o, long status,
    const struct reply *r, char *why, size_t size);

static int
judge_put(const struct index_options *o, long status, const struct reply *r,
    char *why, size_t size)
{
	char type[96], reason[400];

	if (status == 200) {
		log_info("created index %s", o->index);
		return 0;
	}
	response_error(r->body, r->len, status, type, sizeof type, reason,
	    sizeof reason);
	/* Someone else created it first; PR #22354 may make that a 409. */
	if (status == 409 ||
	    strcmp(type, "resource_already_exists_exception") == 0) {
		log_debug("index %s already exists", o->index);
		return 0;
	}
	snprintf(why, size, "cannot create index %s: HTTP %ld %s: %s",
	    o->index, status, type, reason);
	if (retry_http_status(status))
		return -1;
	return status == 401 || status == 403 ||
	    strcmp(type, "invalid_index_name_exception") == 0 ?
	    EXIT_USAGE : EXIT_FATAL;
}

/*
 * HEAD /{index}: 200 it exists, 404 it does not (OpenSearch's index API).  A
 * role allowed to write documents but not to look at indices gets a 403:
 * that is no reason to refuse the run, so it goes on with a warning.
 */
static int
judge_head(const struct index_options *o, long status, const struct reply *r,
    char *why, size_t size)
{
	char where[512];

	(void)r;	/* a HEAD answer has no body */
	config_redact(o->url, where, sizeof where);
	if (status == 200)
		return 0;
	if (status == 404) {
		snprintf(why, size, "index %s does not exist at %s; check "
		    "--index or OPENSEARCH_INDEX, or create it with "
		    "--create-index (a bulk into a missing index would "
		    "create it with guessed mappings)", o->index, where);
		return EXIT_USAGE;
	}
	if (status == 403) {
		log_warn("cannot check that index %s exists at %s (HTTP 403: "
		    "this role may not look at indices); going on", o->index,
		    where);
		return 0;
	}
	if (status == 401) {
		snprintf(why, size, "OpenSearch at %s refused the credentials"
		    "%s%s (401)", where, o->user ? " of " : "",
		    o->user ? o->user : "");
		return EXIT_USAGE;
	}
	snprintf(why, size, "cannot check index %s at %s: HTTP %ld",
	    o->index, where, status);
	return retry_http_status(status) ? -1 : EXIT_FATAL;
}

/*
 * One request about the index (method with a JSON body, or HEAD when body
 * is NULL), retried with the shared policy while it fails in a way worth
 * retrying.  Returns 0 or the exit status, the reason logged.
 */
static int
index_call(const struct index_options *o, const char *method,
    const char *body, judge_fn *judge)
{
	struct curl_slist *headers = curl_slist_append(NULL,
	    "Content-Type: application/json");
	CURL *e = curl_easy_init();
	char url[2048], where[512], why[1024];
	int attempt = 0, rc;

	if (e == NULL)
		xalloc_die(sizeof e);
	snprintf(url, sizeof url, "%s/%s", o->url, o->index);
	config_redact(o->url, where, sizeof where);
	bulk_setup(e, o);
	curl_easy_setopt(e, CURLOPT_URL, url);
	if (body != NULL) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	} else {
		/* curl's HEAD: no body is awaited. */
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	}
	for (;;) {
		struct reply r = { "", 0 };
		long status = 0;
		CURLcode cc;

		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, bulk_reply_keep);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &r);
		if ((cc = curl_easy_perform(e)) != CURLE_OK) {
			snprintf(why, sizeof why, "OpenSearch at %s: %s "
			    "(curl %d)", where, curl_easy_strerror(cc), cc);
			rc = retry_curl_code(cc) ? -1 : cc == 58 || cc == 60 ||
			    cc == 77 ? EXIT_USAGE : EXIT_FATAL;
		} else {
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
			rc = judge(o, status, &r, why, sizeof why);
		}
		if (rc != -1)
			break;
		if (!retry_allowed(&o->retry, ++attempt)) {
			log_error("%s; gave up after %d attempt%s", why,
			    attempt, attempt > 1 ? "s" : "");
			rc = EXIT_FATAL;
			goto out;
		}
		if (!retry_sleep(&o->retry, attempt, retry_delay(&o->retry,
		    attempt, 0), why)) {
			rc = EXIT_FATAL;
			goto out;
		}
	}
	if (rc > 0)
		log_error("%s", why);
out:
	curl_easy_cleanup(e);
	curl_slist_free_all(headers);
	return rc;
}

int
mapping_create(const struct index_options *o)
{
	return index_call(o, "PUT", mapping_json, judge_put);
}

int
mapping_check(const struct index_options *o)
{
	return index_call(o, "HEAD", NULL, judge_head);
}
