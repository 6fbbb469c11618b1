#!/usr/bin/python3
"""List N gazettes page by page, with OFFSET or keyset, as a client would.

    list-paging.py offset|keyset --limit N [--page-size 1000]

The query is gz-list's listing (mode all: territories joined, .zip skipped,
newest id first); each row is turned into one JSON line written to
/dev/null, so the client side costs the same in both modes and only the
paging differs.  Connects with libpq's PG* variables.  Prints the seconds.
"""
import argparse
import json
import sys
import time

import psycopg2

BASE = """
SELECT g.id, g.date::text, g.edition_number, g.is_extra_edition, g.power, g.file_checksum,
       g.file_path, g.file_url, g.scraped_at::text, g.created_at::text, g.territory_id,
       g.processed, t.name, t.state_code
FROM gazettes g JOIN territories t ON t.id = g.territory_id
WHERE g.file_path NOT LIKE '%%.zip' {extra}
ORDER BY g.id DESC LIMIT %s {offset}
"""
COLS = ["id", "date", "edition_number", "is_extra_edition", "power", "file_checksum",
        "file_path", "file_url", "scraped_at", "created_at", "territory_id", "processed",
        "territory_name", "state_code"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["offset", "keyset"])
    ap.add_argument("--limit", type=int, required=True)
    ap.add_argument("--page-size", type=int, default=1000)
    a = ap.parse_args()
    db = psycopg2.connect("")
    db.autocommit = True
    out = open("/dev/null", "w")
    started = time.monotonic()
    n, offset, last = 0, 0, None
    while n < a.limit:
        cur = db.cursor()
        size = min(a.page_size, a.limit - n)
        if a.mode == "offset":
            cur.execute(BASE.format(extra="", offset="OFFSET %s"), (size, offset))
        elif last is None:
            cur.execute(BASE.format(extra="", offset=""), (size,))
        else:
            cur.execute(BASE.format(extra="AND g.id < %s", offset=""), (last, size))
        rows = cur.fetchall()
        cur.close()
        if not rows:
            break
        for r in rows:
            out.write(json.dumps(dict(zip(COLS, r)), ensure_ascii=False) + "\n")
        n += len(rows)
        offset += len(rows)
        last = rows[-1][0]
    print("%.3f %d" % (time.monotonic() - started, n))


if __name__ == "__main__":
    main()
