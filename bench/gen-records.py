#!/usr/bin/python3
"""Extracted gazette records (as gz-extract writes them) for the search bench.

    gen-records.py --docs N [--pages-min A] [--pages-max B] [--seed S] [--csv FILE]

Writes N NDJSON records to stdout: the fields of gz-list, a file_checksum and
a source_text of A..B pages of gazette prose (bench/gen-corpus.py's
vocabulary: acts, sections, subjects, values), form feeds between pages.
With --csv, also the same documents as CSV rows for \\copy into the search
table (doc_id, id, territory_id, territory_name, state_code, date,
file_checksum, file_path, source_text), so gz-index and psql load the same
bytes.  Deterministic for a seed.
"""
import argparse
import csv
import hashlib
import importlib.util
import json
import os
import random
import sys

spec = importlib.util.spec_from_file_location(
    "corpus", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen-corpus.py"))
corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus)


def page(rng, year):
    lines = ["%s — %s" % (rng.choice(corpus.SECTIONS), rng.choice(corpus.ACTS))]
    for _ in range(rng.randint(5, 9)):
        lines.append(corpus.paragraph(rng, year))
        if rng.random() < 0.3:
            lines.append("%s Nº %d/%d" % (rng.choice(corpus.ACTS), rng.randint(1, 999), year))
        if rng.random() < 0.2:
            lines.append("%s, CNPJ %02d.%03d.%03d/0001-%02d, R$ %s" % (
                rng.choice(corpus.COMPANIES), rng.randint(10, 99), rng.randint(100, 999),
                rng.randint(100, 999), rng.randint(10, 99), corpus.money(rng)))
        if rng.random() < 0.2:
            lines.append("Nomeia %s para o cargo em comissão." % rng.choice(corpus.NAMES))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--pages-min", type=int, default=2)
    ap.add_argument("--pages-max", type=int, default=30)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--csv")
    a = ap.parse_args()
    out = csv.writer(open(a.csv, "w", newline="")) if a.csv else None
    for i in range(1, a.docs + 1):
        rng = random.Random("rec:%s:%d" % (a.seed, i))
        terr = corpus.TERRITORIES[rng.randrange(len(corpus.TERRITORIES))]
        day = rng.randrange(0, 730)
        year = 2023 + day // 365
        date = "%04d-%02d-%02d" % (year, 1 + (day % 365) // 31 % 12, 1 + day % 28)
        npages = rng.randint(a.pages_min, a.pages_max)
        text = "\f".join(page(rng, year) for _ in range(npages))
        md5 = hashlib.md5(("%s:%d" % (a.seed, i)).encode()).hexdigest()
        path = "%s/%s/%s.pdf" % (terr[0], date, md5)
        rec = {"id": i, "territory_id": terr[0], "territory_name": terr[1],
               "state_code": terr[2], "date": date, "file_checksum": md5,
               "file_path": path, "source_text": text}
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        if out:
            out.writerow([md5, i, terr[0], terr[1], terr[2], date, md5, path, text])


main()
