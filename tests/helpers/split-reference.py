#!/usr/bin/python3
"""The existing system's segmentation, to check gz-split against it.

The functions below reproduce, with the same expressions, the behaviour of
querido-diario-data-processing (okfn-brasil, MIT licence):
segmentation/segmenters/al_associacao_municipios.py (RE_NOMES_MUNICIPIOS,
split_text_by_territory, _normalize_territory_name, build_segment) and
tasks/utils/territories.py (get_territory_slug), tasks/utils/text.py
(get_checksum).  python3-slugify is the slugify it uses.

  split-reference.py territories          SQL inserting the territories used
  split-reference.py generate N SEED      N random association gazettes (NDJSON)
  split-reference.py expect < gazettes    what the existing system makes of them
  split-reference.py compare EXPECTED ACTUAL   exit 0 when gz-split agrees

expect prints, per gazette, {"id", "segments": [[territory_id, checksum,
stripped text], ...]} or {"id", "error": "unknown_territory"} (the existing
system raises KeyError) or {"id", "segments": []} (no act found).
"""
import hashlib
import json
import random
import re
import sys

from slugify import slugify

RE_NOMES_MUNICIPIOS = re.compile(
    r"""
    (ESTADO\sDE\sALAGOAS(?:|\s)\n{1,2}PREFEITURA\sMUNICIPAL\sDE\s)
    ((?!EDUCAÇÃO).*?\n{0,2}(?!VAMOS).*?$)
    (\n\s(?:\s|SECRETARIA|Secretaria))
    """,
    re.MULTILINE | re.VERBOSE,
)

TERRITORIES = [
    ("2706307", "Palmeira dos Índios"), ("2704302", "Maceió"),
    ("2702306", "Coité do Nóia"), ("2705002", "Major Isidoro"),
    ("2707503", "Poço das Trincheiras"), ("2709301", "Viçosa"),
    ("2707701", "Quebrangulo"), ("2702553", "Dois Riachos"),
    ("2708600", "São Miguel dos Campos"), ("2708402", "São José da Tapera"),
    ("2700300", "Arapiraca"), ("2703304", "Igreja Nova"),
    ("2704005", "Marechal Deodoro"), ("2706703", "Piranhas"),
    ("2705903", "Olho d'Água das Flores"), ("2709103", "Tanque d'Arca"),
]


def get_territory_slug(name, state_code):
    full_name = f"{state_code} {name}"
    stopwords = ["de", "d", "da", "do", "das", "dos"]
    replacements = [("´", "'"), ("`", "'")]
    return slugify(full_name, separator="", stopwords=stopwords,
                   replacements=replacements)


SLUG_TO_TERRITORY = {get_territory_slug(n, "AL"): (i, n) for i, n in TERRITORIES}


def get_checksum(text):
    return hashlib.md5(text.encode("UTF-8")).hexdigest()


def normalize_territory_name(territory_name):
    clean_name = territory_name.strip().replace("\n", "")
    clean_name = re.sub(
        r"\s*(\/AL.*|GABINETE DO PREFEITO.*|PODER.*|http.*|PORTARIA.*|Extrato.*|ATA DE.*|SECRETARIA.*|Fundo.*|SETOR.*|ERRATA.*|- AL.*|GABINETE.*|EXTRATO.*|SÚMULA.*|RATIFICAÇÃO.*)",
        "",
        clean_name,
    )
    return {"MAJOR IZIDORO": "MAJOR ISIDORO"}.get(clean_name, clean_name)


def split_text_by_territory(text):
    ama_header = text.lstrip().split("\n", maxsplit=1)[0].rstrip()
    clean_text = "\n".join(re.split(re.escape(ama_header), text))
    clean_text = "\n".join(
        re.split(r"(Código Ide ?ntificador:\s*\w+)", clean_text)[:-1])
    raw_segments = re.split(RE_NOMES_MUNICIPIOS, clean_text)[1:]
    territory_to_text_map = {}
    for i in range(0, len(raw_segments), 4):
        pattern_batch = raw_segments[i:i + 4]
        territory_slug = get_territory_slug(
            normalize_territory_name(pattern_batch[1]), "AL")
        previous = territory_to_text_map.setdefault(territory_slug, f"{ama_header}\n")
        territory_to_text_map[territory_slug] = f"{previous}\n{''.join(pattern_batch)}"
    return territory_to_text_map


def expect(gazette):
    text = gazette["source_text"]
    if not text.strip():
        return {"id": gazette["id"], "segments": []}
    segments = []
    for slug, segment_text in split_text_by_territory(text).items():
        if slug not in SLUG_TO_TERRITORY:
            return {"id": gazette["id"], "error": "unknown_territory"}
        tid, _ = SLUG_TO_TERRITORY[slug]
        segments.append([tid, get_checksum(segment_text), segment_text.strip()])
    return {"id": gazette["id"], "segments": segments}


# --- random association texts -------------------------------------------

SPACES = [" ", " ", " ", "\u00a0", "\t", "  "]


def name_variant(rnd, name):
    name = name.upper() if rnd.random() < 0.8 else name
    if rnd.random() < 0.2:
        name = (name.replace("Í", "I").replace("Ó", "O").replace("Ç", "C")
                .replace("Ã", "A").replace("É", "E"))
    if "'" in name:
        name = name.replace("'", rnd.choice(["'", "\u2019", "\u00b4", "`", " ", "'"]))
    if name == "MAJOR ISIDORO" and rnd.random() < 0.5:
        name = "MAJOR IZIDORO"
    if " " in name and rnd.random() < 0.3:
        cut = rnd.choice([i for i, c in enumerate(name) if c == " "])
        name = name[:cut] + rnd.choice([" \n", "\n", " \n\n", "\n "]) + name[cut + 1:]
    if rnd.random() < 0.25:
        name += rnd.choice(["/AL", " /AL", " - AL", " GABINETE DO PREFEITO",
                            " SECRETARIA MUNICIPAL DE SAÚDE", " PORTARIA Nº 12",
                            "/ALAGOAS", " SÚMULA"])
    if rnd.random() < 0.1:
        name += rnd.choice(SPACES)
    return name


def act(rnd, name):
    start = "ESTADO" + rnd.choice(SPACES[:3]) + "DE ALAGOAS"
    start += rnd.choice(["", "", "", " ", "\u00a0", "  "]) + rnd.choice(["\n", "\n", "\n\n", "\n\n\n"])
    start += "PREFEITURA MUNICIPAL DE" + rnd.choice([" ", "\n", " "]) + name_variant(rnd, name)
    end = rnd.choice(["\n\n", "\n\n", "\n \n", "\nSECRETARIA DE FINANÇAS\n", "\nSecretaria de Saúde\n",
                      "\n\u00a0 ", "\n\n\n", "\n", "\nGABINETE\n", " \n\n"])
    body = rnd.choice([
        "PORTARIA Nº %d/2023\nO PREFEITO resolve nomear servidor.\n",
        "EXTRATO DE CONTRATO %d\nObjeto: aquisição de material.\n",
        "VAMOS %d\ncontinuar.\n", "EDUCAÇÃO %d\n", "Decreto %d – dispõe sobre o ponto facultativo.\n",
    ]) % rnd.randint(1, 999)
    ident = "Código Ide" + rnd.choice(["", " "]) + "ntificador:" + rnd.choice(["", " ", "\n", "  "]) \
        + "".join(rnd.choice("0123456789ABCDEF") for _ in range(8))
    return start + end + body + "Publicado por:\nFulano de Tal\n" + ident + rnd.choice(["\n", " \n", "\n\n"])


def gazette(rnd, i):
    header = rnd.choice(["Alagoas , %d de Janeiro de 2024 • Diário Oficial dos Municípios do Estado de Alagoas • ANO XI | Nº %d",
                         "Diário Oficial AMA %d / %d"]) % (rnd.randint(1, 28), i)
    pieces = [rnd.choice(["", "  \n", "\f"]) + header + "\n", "EXPEDIENTE:\nAssociação dos Municípios Alagoanos\n"]
    names = [n for _, n in TERRITORIES]
    for _ in range(rnd.randint(0, 9)):
        pieces.append(act(rnd, rnd.choice(names)))
        if rnd.random() < 0.3:
            pieces.append("\f" + header + "\n")
    if rnd.random() < 0.05:
        pieces.append(act(rnd, "Cidade Inexistente"))
    pieces.append(rnd.choice(["", "Outra página sem identificador\n", "ESTADO DE ALAGOAS\nPREFEITURA MUNICIPAL DE ARAPIRACA\n\nfim\n"]))
    return {"id": i, "territory_id": "2700000", "territory_name": "Associação", "state_code": "AL",
            "date": "2024-01-%02d" % (i % 28 + 1), "file_checksum": "%032x" % i,
            "file_path": "2700000/2024-01-01/%d.pdf" % i, "source_text": "".join(pieces)}


def compare(expected_path, actual_path):
    got = {}
    for line in open(actual_path, encoding="utf-8"):
        rec = json.loads(line)
        gz = rec.get("gz", {})
        entry = got.setdefault(rec.get("id"), {"segments": []})
        if "error" in gz:
            entry["error"] = gz["error"]["code"]
        elif gz.get("segment", {}).get("index", 0) > 0:
            entry["segments"].append([rec["territory_id"], rec["file_checksum"], rec["source_text"]])
    bad = n = 0
    for line in open(expected_path, encoding="utf-8"):
        want = json.loads(line)
        n += 1
        have = got.get(want["id"], {"segments": []})
        if "error" in want:
            ok = have.get("error") == want["error"]
        elif not want["segments"]:
            ok = have.get("error") == "no_segments"
        else:
            ok = "error" not in have and have["segments"] == want["segments"]
        if not ok:
            bad += 1
            if bad <= 3:
                print("gazette %s differs:\n want %r\n have %r" % (want["id"], want, have), file=sys.stderr)
    print("%d gazettes compared, %d differ" % (n, bad))
    return 1 if bad else 0


def main():
    cmd = sys.argv[1]
    if cmd == "territories":
        for tid, name in TERRITORIES:
            print("INSERT INTO territories VALUES ('%s', '%s', 'AL', 'Alagoas');" % (tid, name.replace("'", "''")))
    elif cmd == "generate":
        rnd = random.Random(int(sys.argv[3]))
        for i in range(1, int(sys.argv[2]) + 1):
            print(json.dumps(gazette(rnd, i), ensure_ascii=False))
    elif cmd == "expect":
        for line in sys.stdin:
            print(json.dumps(expect(json.loads(line)), ensure_ascii=False))
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
