/*
 * mapping — --create-index: the index with the existing mapping (DESIGN.md
 * "Index"), created before the first document so that a bulk never
 * auto-creates it with dynamic mappings (PROTOCOLS.md §2).
 */
#include "index.h"
#include "cli.h"
#include "log.h"

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

size_t
reply_keep(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb, room = sizeof r->body - 1 - r->len;

	memcpy(r->body + r->len, data, n < room ? n : room);
	r->len += n < room ? n : room;
	r->body[r->len] = '\0';
	return n;
}

/* One PUT; returns 0 done, -1 worth retrying, or an exit status. */
static int
put_index(CURL *e, const struct index_options *o, char *why, size_t size)
{
	struct reply r = { "", 0 };
	char type[96], reason[400];
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, reply_keep);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r);
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		snprintf(why, size, "%s", curl_easy_strerror(rc));
		return bulk_transient(rc) ? -1 : EXIT_FATAL;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		log_info("created index %s", o->index);
		return 0;
	}
	response_error(r.body, r.len, status, type, sizeof type, reason,
	    sizeof reason);
	snprintf(why, size, "HTTP %ld %s: %s", status, type, reason);
	/* Someone else created it first; PR #22354 may make that a 409. */
	if (status == 409 ||
	    strcmp(type, "resource_already_exists_exception") == 0) {
		log_debug("index %s already exists", o->index);
		return 0;
	}
	if (retry_http_status(status))
		return -1;
	return status == 401 || status == 403 ||
	    strcmp(type, "invalid_index_name_exception") == 0 ?
	    EXIT_USAGE : EXIT_FATAL;
}

int
mapping_create(const struct index_options *o)
{
	struct curl_slist *headers = curl_slist_append(NULL,
	    "Content-Type: application/json");
	CURL *e = curl_easy_init();
	char url[2048], why[600];
	int attempt = 0, rc;
	bool logged = false;

	if (e == NULL)
		xoom(sizeof e);
	snprintf(url, sizeof url, "%s/%s", o->url, o->index);
	bulk_setup(e, o);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, mapping_json);
	while ((rc = put_index(e, o, why, sizeof why)) == -1) {
		if (!retry_allowed(&o->retry, ++attempt)) {
			log_error("cannot create index %s after %d attempts: "
			    "%s", o->index, attempt, why);
			logged = true;
			rc = EXIT_FATAL;
			break;
		}
		if (!retry_sleep(&o->retry, attempt, retry_delay(&o->retry,
		    attempt, 0), why)) {
			rc = EXIT_FATAL;
			break;
		}
	}
	if (rc > 0 && !logged)
		log_error("cannot create index %s: %s", o->index, why);
	curl_easy_cleanup(e);
	curl_slist_free_all(headers);
	return rc;
}
