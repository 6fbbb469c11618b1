#!/usr/bin/python3
"""Generate a benchmark corpus of realistic gazette PDFs, deterministically.

    gen-corpus.py --out DIR --docs N [--seed S] [--jobs J] [--giant]

Writes, under DIR:
  bucket/KEY          the PDFs, KEY = TERRITORY/DATE/MD5.pdf (as the scrapers store them)
  territories.tsv     rows for \\copy territories FROM
  gazettes.tsv        rows for \\copy gazettes FROM (processed = false)
  keys.txt            one storage key per line
  corpus.json         counts: documents, pages, bytes, page-count histogram

PDFs are written directly (no library): PDF 1.4, base-14 Helvetica and
Helvetica-Bold with WinAnsiEncoding (so Portuguese accents need no embedded
font), Flate-compressed content streams.  Pages are one-column text,
two-column text or tables of figures, under a masthead and section headings.

Page counts are long-tailed: most documents have 2-30 pages, about 2% have
31-150 and about 0.5% have 200-500.  With --giant, document 1 (the newest id)
is a dense 3,400-page edition whose text is over 50 MB.  The same seed always
gives byte-identical files (each document has its own RNG seeded by
seed and id, so --jobs does not change the output).
"""
import argparse
import hashlib
import json
import multiprocessing
import os
import random
import sys
import zlib

TERRITORIES = [
    ("3550308", "São Paulo", "SP", "São Paulo"),
    ("3304557", "Rio de Janeiro", "RJ", "Rio de Janeiro"),
    ("2927408", "Salvador", "BA", "Bahia"),
    ("4106902", "Curitiba", "PR", "Paraná"),
    ("3106200", "Belo Horizonte", "MG", "Minas Gerais"),
    ("5300108", "Brasília", "DF", "Distrito Federal"),
    ("2304400", "Fortaleza", "CE", "Ceará"),
    ("1302603", "Manaus", "AM", "Amazonas"),
    ("2611606", "Recife", "PE", "Pernambuco"),
    ("4314902", "Porto Alegre", "RS", "Rio Grande do Sul"),
    ("1501402", "Belém", "PA", "Pará"),
    ("5208707", "Goiânia", "GO", "Goiás"),
    ("3518800", "Guarulhos", "SP", "São Paulo"),
    ("3509502", "Campinas", "SP", "São Paulo"),
    ("2111300", "São Luís", "MA", "Maranhão"),
    ("2704302", "Maceió", "AL", "Alagoas"),
    ("2408102", "Natal", "RN", "Rio Grande do Norte"),
    ("2211001", "Teresina", "PI", "Piauí"),
    ("2507507", "João Pessoa", "PB", "Paraíba"),
    ("2800308", "Aracaju", "SE", "Sergipe"),
    ("5103403", "Cuiabá", "MT", "Mato Grosso"),
    ("5002704", "Campo Grande", "MS", "Mato Grosso do Sul"),
    ("4205407", "Florianópolis", "SC", "Santa Catarina"),
    ("3205309", "Vitória", "ES", "Espírito Santo"),
    ("1100205", "Porto Velho", "RO", "Rondônia"),
    ("1200401", "Rio Branco", "AC", "Acre"),
    ("1600303", "Macapá", "AP", "Amapá"),
    ("1400100", "Boa Vista", "RR", "Roraima"),
    ("1721000", "Palmas", "TO", "Tocantins"),
    ("3170206", "Uberlândia", "MG", "Minas Gerais"),
]

ACTS = ["DECRETO", "PORTARIA", "LEI MUNICIPAL", "RESOLUÇÃO", "EDITAL", "AVISO DE LICITAÇÃO",
        "EXTRATO DE CONTRATO", "ATA DE REGISTRO DE PREÇOS", "TERMO ADITIVO", "ERRATA",
        "HOMOLOGAÇÃO", "CONVOCAÇÃO"]
SECTIONS = ["PODER EXECUTIVO", "PODER LEGISLATIVO", "GABINETE DO PREFEITO",
            "SECRETARIA MUNICIPAL DE SAÚDE", "SECRETARIA MUNICIPAL DE EDUCAÇÃO",
            "SECRETARIA DE ADMINISTRAÇÃO E FINANÇAS", "PROCURADORIA-GERAL DO MUNICÍPIO",
            "SECRETARIA DE OBRAS E SERVIÇOS PÚBLICOS", "LICITAÇÕES E CONTRATOS",
            "RECURSOS HUMANOS", "CÂMARA MUNICIPAL"]
SUBJ = ["O Prefeito Municipal", "A Secretária Municipal de Saúde", "O Secretário de Administração",
        "A Comissão Permanente de Licitação", "O Presidente da Câmara Municipal",
        "A Procuradoria-Geral do Município", "O Conselho Municipal de Educação",
        "A Pregoeira Oficial", "O Diretor do Departamento de Trânsito"]
VERB = ["resolve", "torna público", "determina", "homologa", "nomeia", "exonera", "convoca",
        "autoriza", "ratifica", "designa", "revoga", "dispõe sobre", "aprova", "institui"]
OBJ = ["a contratação de empresa especializada", "a aquisição de medicamentos e insumos hospitalares",
       "o reajuste dos vencimentos dos servidores", "a concessão de férias regulamentares",
       "a abertura de crédito adicional suplementar", "a pavimentação asfáltica de vias urbanas",
       "a prestação de serviços de limpeza urbana", "o fornecimento de gêneros alimentícios",
       "a construção de unidade básica de saúde", "a manutenção preventiva e corretiva de veículos",
       "o transporte escolar da rede pública", "a locação de imóvel destinado à educação",
       "a reforma da praça central", "a iluminação pública em LED", "o programa de vacinação",
       "a regularização fundiária urbana", "a coleta seletiva de resíduos sólidos"]
TAIL = ["nos termos da Lei Federal nº 14.133, de 1º de abril de 2021",
        "conforme o processo administrativo nº {n}/{y}",
        "com fundamento no art. 37 da Constituição Federal",
        "observadas as disposições da Lei Orgânica do Município",
        "no valor global de R$ {v}", "pelo prazo de {d} (dias) meses",
        "a contar da data de sua publicação", "revogadas as disposições em contrário",
        "cujo resultado foi publicado no átrio da Prefeitura",
        "após parecer favorável da Procuradoria Jurídica",
        "com dotação orçamentária própria do exercício de {y}"]
NAMES = ["José da Silva", "Maria Aparecida de Souza", "João Carlos Pereira", "Ana Lúcia Gonçalves",
         "Antônio Araújo", "Francisca Conceição", "Luís Fernando Magalhães", "Márcia Simões",
         "Sebastião Brandão", "Cecília Lemos", "Raimundo Nonato Assunção", "Inês Guimarães"]
COMPANIES = ["Construtora Horizonte Ltda.", "Distribuidora São João ME", "Saúde & Vida Comércio EIRELI",
             "Transportes Ipê Amarelo S.A.", "Alimentação Escolar Nordeste Ltda.",
             "Tecnologia Cidadã Serviços Ltda.", "Iluminação Paraná Ltda.", "Limpeza Açaí Ltda."]
ITEMS = ["Dipirona sódica 500 mg", "Papel A4 75 g/m²", "Óleo diesel S10", "Arroz tipo 1 (5 kg)",
         "Feijão carioca (1 kg)", "Luva de procedimento", "Cimento CP-II (50 kg)", "Computador i5",
         "Pneu 275/80 R22,5", "Açúcar cristal (2 kg)", "Café torrado (500 g)", "Seringa 10 mL"]


def money(rng):
    v = rng.randint(1000, 9999999) / 100
    s = "%.2f" % v
    whole, cents = s.split(".")
    parts = []
    while whole:
        parts.insert(0, whole[-3:])
        whole = whole[:-3]
    return ".".join(parts) + "," + cents


def sentence(rng, year):
    t = rng.choice(TAIL).format(n=rng.randint(100, 9999), y=year, v=money(rng), d=rng.randint(3, 60))
    return "%s %s %s, %s." % (rng.choice(SUBJ), rng.choice(VERB), rng.choice(OBJ), t)


def paragraph(rng, year):
    return " ".join(sentence(rng, year) for _ in range(rng.randint(2, 6)))


def wrap(text, width):
    lines, cur = [], ""
    for w in text.split(" "):
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = cur + " " + w if cur else w
    if cur:
        lines.append(cur)
    return lines


def pdfstr(s):
    b = s.encode("cp1252", "replace")
    return b"(" + b.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


class Pool:
    """A pool of wrapped paragraphs, built once per process from the seed."""

    def __init__(self, seed, widths):
        rng = random.Random("pool:%s" % seed)
        self.paras = {w: [] for w in widths}
        for _ in range(1500):
            p = paragraph(rng, rng.choice([2022, 2023, 2024]))
            for w in widths:
                self.paras[w].append(wrap(p, w))


POOL = None
SEED = None


def text_block(out, x, y, size, lead, lines, font=b"F1"):
    out.append(b"BT /%s %d Tf %d TL %d %d Td" % (font, size, lead, x, y))
    first = True
    for ln in lines:
        out.append((pdfstr(ln) + (b" Tj" if first else b" '")))
        first = False
    out.append(b"ET")


def fill_lines(rng, width, n, year, heading_every=18):
    """n lines of body text with occasional act headings (returned as (bold, text))."""
    lines = []
    while len(lines) < n:
        if rng.random() < 0.35:
            act = "%s Nº %d/%d" % (rng.choice(ACTS), rng.randint(1, 3999), year)
            lines.append((True, act[:width]))
        para = POOL.paras[width][rng.randrange(len(POOL.paras[width]))]
        for ln in para:
            lines.append((False, ln))
        lines.append((False, ""))
    return lines[:n]


def render_lines(out, x, y, size, lead, lines):
    # One BT block per run of same-font lines, positioned absolutely.
    i = 0
    while i < len(lines):
        bold = lines[i][0]
        j = i
        while j < len(lines) and lines[j][0] == bold:
            j += 1
        text_block(out, x, y - i * lead, size, lead, [t for _, t in lines[i:j]],
                   b"F2" if bold else b"F1")
        i = j


def masthead(out, rng, terr, date, edition, year):
    out.append(b"0.2 0.2 0.2 RG 2 w 40 780 m 555 780 l S")
    text_block(out, 40, 805, 16, 18, ["DIÁRIO OFICIAL DO MUNICÍPIO DE %s" % terr[1].upper()], b"F2")
    text_block(out, 40, 788, 9, 11, ["%s - %s · Ano %d · Edição nº %s · %s" % (
        terr[1], terr[2], year - 1990, edition, date)])
    text_block(out, 40, 760, 12, 14, [rng.choice(SECTIONS)], b"F2")
    return 740


def page_one_col(rng, year, top=800, size=9, lead=11):
    out = []
    n = (top - 50) // lead
    render_lines(out, 40, top, size, lead, fill_lines(rng, 100, n, year))
    return out


def page_two_col(rng, year, top=800, size=9, lead=11, width=48, dense=False):
    out = []
    if dense:
        size, lead, width = 6, 6, 74
    n = (top - 40) // lead
    render_lines(out, 40, top, size, lead, fill_lines(rng, width, n, year))
    render_lines(out, 305, top, size, lead, fill_lines(rng, width, n, year))
    out.append(b"0.5 G 0.5 w 297 %d m 297 40 l S" % (top + 8))
    return out


def page_table(rng, year, top=800):
    out = []
    title = rng.choice(["EXTRATO DE CONTRATOS", "RESULTADO DE LICITAÇÃO", "ATA DE REGISTRO DE PREÇOS"])
    text_block(out, 40, top, 11, 13, [title + " - EXERCÍCIO DE %d" % year], b"F2")
    cols = [(40, "Item"), (75, "Descrição"), (260, "Fornecedor"), (440, "Qtd."), (485, "Valor (R$)")]
    y = top - 24
    rows = rng.randint(25, 45)
    out.append(b"0 G 0.4 w")
    for r in range(rows + 1):
        yy = y - r * 16
        out.append(b"38 %d 517 16 re S" % (yy - 4))
        cells = [h for _, h in cols] if r == 0 else [
            str(r), rng.choice(ITEMS), rng.choice(COMPANIES), str(rng.randint(1, 5000)), money(rng)]
        out.append(b"BT")
        for (x, _), c in zip(cols, cells):
            out.append(b"/%s 8 Tf 1 0 0 1 %d %d Tm %s Tj" % (b"F2" if r == 0 else b"F1", x + 2, yy, pdfstr(c)))
        out.append(b"ET")
    yy = y - (rows + 1) * 16 - 20
    if yy > 120:
        render_lines(out, 40, yy, 9, 11, fill_lines(rng, 100, (yy - 50) // 11, year))
    return out


class PDF:
    def __init__(self):
        self.objs = []

    def add(self, body):
        self.objs.append(body)
        return len(self.objs)

    def stream(self, data):
        z = zlib.compress(data, 6)
        return self.add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(z), z))

    def write(self, pages_id, page_ids):
        out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
        offs = []
        pos = len(out[0])
        for i, body in enumerate(self.objs, 1):
            chunk = b"%d 0 obj\n%s\nendobj\n" % (i, body)
            offs.append(pos)
            out.append(chunk)
            pos += len(chunk)
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objs) + 1)]
        xref += [b"%010d 00000 n \n" % o for o in offs]
        out += xref
        out.append(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                   % (len(self.objs) + 1, self.root, pos))
        return b"".join(out)


def build_pdf(rng, terr, date, edition, year, npages, giant=False):
    pdf = PDF()
    pages_id = pdf.add(None)  # placeholder, filled below
    f1 = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    f2 = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    # A scanned coat of arms on the first page: incompressible image bytes, so
    # file sizes look like real gazettes' (tens to hundreds of kB of images).
    side = max(64, min(900, int(rng.lognormvariate(5.6, 0.5))))
    img = pdf.add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                  b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream"
                  % (side, side, side * side, rng.randbytes(side * side)))
    res = pdf.add(b"<< /Font << /F1 %d 0 R /F2 %d 0 R >> /XObject << /Im1 %d 0 R >> >>" % (f1, f2, img))
    kids = []
    shared = []
    for p in range(npages):
        if giant and p >= 40:
            content = shared[p % len(shared)]
        else:
            out = []
            top = 800
            if p == 0:
                top = masthead(out, rng, terr, date, edition, year)
                out.append(b"q 40 0 0 40 515 790 cm /Im1 Do Q")
            if giant:
                out += page_two_col(rng, year, top, dense=True)
            else:
                kind = rng.random()
                if kind < 0.55:
                    out += page_one_col(rng, year, top)
                elif kind < 0.85:
                    out += page_two_col(rng, year, top)
                else:
                    out += page_table(rng, year, top)
            text_block(out, 290, 20, 8, 10, ["%d" % (p + 1)])
            content = pdf.stream(b"\n".join(out))
            if giant and p > 0:
                shared.append(content)
        kids.append(pdf.add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                            b"/Resources %d 0 R /Contents %d 0 R >>" % (pages_id, res, content)))
    pdf.objs[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    info = pdf.add(b"<< /Producer (gz bench/gen-corpus.py) /Title %s >>" % pdfstr(
        "Diário Oficial de %s, edição %s" % (terr[1], edition)))
    pdf.root = pdf.add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    del info
    return pdf.write(pages_id, kids)


def page_count(rng):
    r = rng.random()
    if r < 0.005:
        return rng.randint(200, 500)
    if r < 0.025:
        return rng.randint(31, 150)
    return max(2, min(30, int(rng.lognormvariate(1.9, 0.75))))


def init(seed):
    global POOL, SEED
    SEED = seed
    POOL = Pool(seed, (100, 48, 74))


def make_doc(args):
    i, out, giant = args
    rng = random.Random("doc:%s:%d" % (SEED, i))
    terr = TERRITORIES[rng.randrange(len(TERRITORIES))]
    day = rng.randrange(0, 730)
    y, m, d = 2023 + day // 365, 1 + (day % 365) // 31, 1 + (day % 365) % 31 % 28
    date = "%04d-%02d-%02d" % (y, min(m, 12), d)
    edition = str(rng.randint(1, 4999))
    npages = 3400 if giant else page_count(rng)
    data = build_pdf(rng, terr, date, edition, y, npages, giant)
    md5 = hashlib.md5(data).hexdigest()
    key = "%s/%s/%s.pdf" % (terr[0], date, md5)
    path = os.path.join(out, "bucket", key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    extra = "t" if rng.random() < 0.08 else "f"
    power = rng.choice(["executive", "executive_legislative", "legislative"])
    minutes = rng.randrange(0, 600)
    ts = "2024-06-01 %02d:%02d:00" % (minutes // 60 % 24, minutes % 60)
    row = "\t".join([str(i), r"\N", date, edition, extra, power, md5, key,
                     "https://example.org/diarios/%s/%s/diario-%s.pdf" % (terr[0], date, edition),
                     ts, ts, terr[0], "f"])
    return i, key, npages, len(data), row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--giant", action="store_true",
                    help="make document 1 a 3,400-page edition with over 50 MB of text")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "bucket"), exist_ok=True)
    with open(os.path.join(a.out, "territories.tsv"), "w", encoding="utf-8") as f:
        for t in TERRITORIES:
            f.write("\t".join(t) + "\n")
    work = [(i, a.out, a.giant and i == 1) for i in range(1, a.docs + 1)]
    results = []
    if a.jobs > 1:
        with multiprocessing.Pool(a.jobs, initializer=init, initargs=(a.seed,)) as p:
            results = list(p.imap_unordered(make_doc, work, chunksize=4))
    else:
        init(a.seed)
        results = [make_doc(w) for w in work]
    results.sort()
    hist = {"2-10": 0, "11-30": 0, "31-150": 0, "200-500": 0, "giant": 0}
    with open(os.path.join(a.out, "gazettes.tsv"), "w", encoding="utf-8") as g, \
            open(os.path.join(a.out, "keys.txt"), "w", encoding="utf-8") as k:
        for i, key, npages, size, row in results:
            g.write(row + "\n")
            k.write(key + "\n")
            b = ("giant" if npages > 1000 else "200-500" if npages >= 200 else
                 "31-150" if npages > 30 else "11-30" if npages > 10 else "2-10")
            hist[b] += 1
    info = {"seed": a.seed, "documents": len(results), "pages": sum(r[2] for r in results),
            "bytes": sum(r[3] for r in results), "page_histogram": hist}
    with open(os.path.join(a.out, "corpus.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
