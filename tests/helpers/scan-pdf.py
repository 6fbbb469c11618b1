#!/usr/bin/env python3
"""
scan-pdf.py -- scanned gazettes for the OCR tests and bench, with nothing
but the standard library and poppler's pdftoppm.

    scan-pdf.py make OUT.pdf KINDS [SEED] [WORDS.txt]
        KINDS is one letter per page: s a scanned page (a typed page rendered
        by pdftoppm, grey, 150 dpi, wrapped as a JPEG image with no text
        layer), t a typed page (a text layer).  WORDS.txt gets the words of
        the scanned pages, in order.
    scan-pdf.py image OUT.jpg [SEED] [WORDS.txt]
        one scanned page as a JPEG file.
    scan-pdf.py score WORDS.txt TEXT.txt
        prints the share of the words of WORDS.txt found in TEXT.txt (as a
        multiset, case and accents kept): "recovered N/M = P%".

The typed text is Portuguese with its accents (São Paulo, licitação,
município...), in Helvetica with WinAnsiEncoding, 11 pt on A4: a heading
line, then SCAN_PDF_LINES lines of words (default 34, a full page).
"""
import collections
import os
import random
import re
import subprocess
import sys
import tempfile

WORDS = ("São Paulo licitação município prefeitura decreto secretaria "
         "educação saúde contratação pregão eletrônico edital aviso portaria "
         "nomeação servidor público câmara municipal orçamento exercício "
         "artigo parágrafo único fica nomeada conceição araújo joão josé "
         "antônio simões comissão permanente homologação adjudicação "
         "empresa vencedora valor global reais obras pavimentação asfáltica "
         "rua avenida praça bairro centro distrito zona rural escola "
         "creche unidade básica atenção hospital medicamentos aquisição "
         "material expediente limpeza urbana coleta resíduos sólidos "
         "transporte escolar alimentação merenda convênio estado união "
         "fundo nacional desenvolvimento assistência social conselho "
         "tutelar criança adolescente idoso habitação regularização "
         "fundiária licença ambiental fiscalização tributos arrecadação").split()
W, H = 595, 842          # A4 in points
LINES_PER_PAGE = int(os.environ.get("SCAN_PDF_LINES", "34"))


def page_lines(rnd):
    lines = ["Prefeitura do Município de São Paulo: aviso de licitação nº %d"
             % rnd.randrange(1, 999)]
    for _ in range(LINES_PER_PAGE):
        words, size = [], 0
        while size < 62:
            w = rnd.choice(WORDS)
            words.append(w)
            size += len(w) + 1
        lines.append(" ".join(words))
    return lines


def pdf_string(text):
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def text_stream(lines):
    out = [b"BT /F1 11 Tf 14 TL 56 780 Td"]
    for line in lines:
        out.append(pdf_string(line) + b" Tj T*")
    out.append(b"ET")
    return b"\n".join(out)


def jpeg_size(data):
    """(width, height, components) from a JPEG's SOF marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return (int.from_bytes(data[i + 7:i + 9], "big"),
                    int.from_bytes(data[i + 5:i + 7], "big"), data[i + 9])
        i += 2 + length
    raise ValueError("no SOF in JPEG")


def write_pdf(path, pages):
    """pages: ("text", lines) or ("image", jpeg bytes)."""
    objs = [None, None, None]       # 1 catalog, 2 pages, 3 font
    kids = []
    for kind, body in pages:
        if kind == "text":
            content = text_stream(body)
            res = b"<</Font<</F1 3 0 R>>>>"
        else:
            # pdftoppm -gray -jpeg still writes three components.
            w, h, comps = jpeg_size(body)
            space = b"DeviceGray" if comps == 1 else b"DeviceRGB"
            objs.append(b"<</Type/XObject/Subtype/Image/Width %d/Height %d"
                        b"/ColorSpace/%s/BitsPerComponent 8"
                        b"/Filter/DCTDecode/Length %d>>stream\n" % (w, h, space, len(body))
                        + body + b"\nendstream")
            res = b"<</XObject<</Im1 %d 0 R>>>>" % len(objs)
            content = b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % (W, H)
        objs.append(b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream")
        objs.append(b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 %d %d]/Resources %s"
                    b"/Contents %d 0 R>>" % (W, H, res, len(objs)))
        kids.append(len(objs))
    objs[0] = b"<</Type/Catalog/Pages 2 0 R>>"
    objs[1] = (b"<</Type/Pages/Kids[" + b" ".join(b"%d 0 R" % k for k in kids)
               + b"]/Count %d>>" % len(kids))
    objs[2] = b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>"
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    with open(path, "wb") as f:
        f.write(out)


def scan(lines, tmp, n):
    """A typed page rendered as a scanner would: grey JPEG, 150 dpi."""
    src = os.path.join(tmp, "typed-%d.pdf" % n)
    write_pdf(src, [("text", lines)])
    base = os.path.join(tmp, "scan-%d" % n)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-jpeg", "-singlefile",
                    src, base], check=True)
    with open(base + ".jpg", "rb") as f:
        return f.read()


def make(out, kinds, seed, words_out):
    rnd = random.Random(seed)
    pages, scanned = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n, kind in enumerate(kinds):
            lines = page_lines(rnd)
            if kind == "s":
                pages.append(("image", scan(lines, tmp, n)))
                scanned.extend(lines)
            else:
                pages.append(("text", lines))
        if out.endswith(".jpg"):
            with open(out, "wb") as f:
                f.write(pages[0][1])
        else:
            write_pdf(out, pages)
    if words_out:
        with open(words_out, "w") as f:
            f.write("\n".join(scanned) + "\n")


def score(words_path, text_path):
    tokens = lambda s: re.findall(r"\w+", s)
    want = collections.Counter(tokens(open(words_path, encoding="utf-8").read()))
    got = collections.Counter(tokens(open(text_path, encoding="utf-8").read()))
    found = sum((want & got).values())
    total = sum(want.values())
    print("recovered %d/%d = %.1f%%" % (found, total, 100.0 * found / total))


def main():
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "make":
        make(args[1], args[2], int(args[3]) if len(args) > 3 else 1,
             args[4] if len(args) > 4 else None)
    elif len(args) >= 2 and args[0] == "image":
        make(args[1], "s", int(args[2]) if len(args) > 2 else 1,
             args[3] if len(args) > 3 else None)
    elif len(args) == 3 and args[0] == "score":
        score(args[1], args[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
