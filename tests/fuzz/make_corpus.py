#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/): the demo vendors'
samples and hostile inputs (deep nesting, NUL bytes, malformed UTF-8, huge strings, many
records, odd JSONPath). Run it again after changing it; scripts/fuzz.sh only reads the files.

payload_fuzz inputs: one byte, (mapping index << 1) | (1 for NDJSON), then the body; the
mappings are the demo ones in (partner, feed) order, so 0 = demo-admissions/admissions.
jsonpath_fuzz inputs: a query, a newline, a JSON document."""

import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PARTNERS = os.path.join(ROOT, "mappings", "partners")


def sample(partner, feed):
    with open(os.path.join(PARTNERS, partner, "samples", feed + ".json"), "rb") as f:
        return f.read()


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def payload(name, mapping, body, ndjson=False):
    write("payload_fuzz", name, bytes([(mapping << 1) | (1 if ndjson else 0)]) + body)


def ndjson_of(doc_bytes, key):
    records = json.loads(doc_bytes)[key]
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def main():
    shutil.rmtree(os.path.join(HERE, "corpus"), ignore_errors=True)
    admissions = sample("demo-admissions", "admissions")
    record = json.dumps(json.loads(admissions)["hoSo"][0], ensure_ascii=False).encode()

    # The demo samples, as documents and as NDJSON.
    payload("sample-admissions", 0, admissions)
    payload("sample-admissions-ndjson", 0, ndjson_of(admissions, "hoSo"), ndjson=True)
    payload("sample-hr-staff", 1, sample("demo-hr", "staff"))
    payload("sample-ops-schools", 2, sample("demo-ops", "schools"))
    payload("sample-ops-staff", 3, sample("demo-ops", "staff"))
    payload("sample-transcripts", 4, sample("demo-transcripts", "transcripts"))

    # Deep nesting: at the limit, one over it, far over it, inside a record, in an NDJSON line.
    payload("deep-64", 0, b'{"hoSo":' + b"[" * 63 + b"]" * 63 + b"}")
    payload("deep-65", 0, b'{"hoSo":' + b"[" * 64 + b"]" * 64 + b"}")
    payload("deep-20000-unclosed", 0, b'{"hoSo":' + b"[" * 20000)
    payload("deep-objects", 0, b'{"hoSo":[' + b'{"a":' * 100 + b"1" + b"}" * 100 + b"]}")
    payload("deep-in-record", 0, b'{"hoSo":[' + record[:-1] + b',"x":' + b"[" * 60 + b"]" * 60 + b"}]}")
    payload("deep-ndjson-line", 0, record + b"\n" + b"[" * 1000 + b"\n" + record + b"\n", ndjson=True)

    # NUL: escaped in a string and a name, raw after the document, raw in a string, in NDJSON.
    payload("nul-escaped-value", 0, admissions.replace(b'"nguy', b'"\\u0000nguy', 1))
    payload("nul-escaped-name", 0, admissions.replace(b'"hoTen"', b'"ho\\u0000Ten"', 1))
    payload("nul-outside-records", 0, admissions.replace(b'"C', b'"\\u0000C', 1))
    payload("nul-after-document", 0, admissions + b"\x00" + b'{"hoSo":[' + record + b"]}")
    payload("nul-raw-in-string", 0, admissions.replace(b"nguy", b"ng\x00uy", 1))
    payload("nul-ndjson", 0, record + b"\n" + record.replace(b"nguy", b"\\u0000") + b"\n" + record + b"\x00x\n",
            ndjson=True)

    # Malformed UTF-8: a stray byte, an overlong form, a surrogate, above U+10FFFF, cut short,
    # in values, names and outside the records.
    for i, bad in enumerate([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe1\x80"]):
        payload("utf8-value-%d" % i, 0, admissions.replace("Lạch".encode(), b"L" + bad, 1))
    payload("utf8-name", 0, admissions.replace(b'"soNha"', b'"so\xffNha"', 1))
    payload("utf8-outside", 0, admissions.replace(b'"namHoc"', b'"nam\xc3Hoc"', 1))
    payload("utf8-escaped-lone-surrogate", 0, admissions.replace(b'"nguy', b'"\\udc00nguy', 1))
    payload("utf8-ndjson", 0, record + b"\n" + record.replace(b"nguy", b"\xe0\x80\x80") + b"\n", ndjson=True)

    # Huge strings and many records.
    payload("huge-string", 0, b'{"hoSo":[' + record.replace(b'"nguy', b'"' + b"A" * 100000 + b"nguy", 1) + b"]}")
    payload("huge-name", 0, b'{"hoSo":[{"' + "Ạ".encode() * 20000 + b'":1}]}')
    payload("many-records-ndjson", 0, b"".join(
        record.replace(b"TS25-000101", b"TS25-%06d" % i) + b"\n" for i in range(500)), ndjson=True)
    payload("many-small-lines", 0, b'{"maHoSo":"1"}\n' * 5000, ndjson=True)
    payload("many-records-json", 4, b'{"students":[' + b",".join(b'{"studentId":"%d"}' % i for i in range(3000)) + b"]}")

    # Odd shapes and numbers.
    payload("records-not-objects", 0, b'{"hoSo":[1,"x",null,[],true,{"maHoSo":12}]}')
    payload("numbers", 0, b'{"hoSo":[{"maHoSo":1e400,"nguyenVong":-0,"diemXetTuyen":1.7976931348623157e309,'
                          b'"ngaySinh":123456789012345678901234567890}]}')
    payload("numbers-zero-exponent", 0, b'{"hoSo":[{"maHoSo":"A","nguyenVong":0e202,"diemXetTuyen":-0e300}]}')
    # An integer field sent as a double far beyond 64 bits: the `integer` step must refuse it.
    payload("number-huge-integer", 0, b'{"hoSo":[{"maHoSo":"A","nguyenVong":5e202,"diemXetTuyen":-0e300}]}')
    payload("duplicate-keys", 0, b'{"hoSo":[{"maHoSo":"A","maHoSo":"B","hoTen":"x","hoTen":1}],"hoSo":[]}')
    payload("bom-crlf", 0, b"\xef\xbb\xbf" + admissions.replace(b"\n", b"\r\n"))
    payload("blank-ndjson", 0, b"\n \r\n\t\n" + record + b"\r\n\n", ndjson=True)
    payload("empty", 0, b"")
    payload("scalar-root", 0, b'"hoSo"')

    # JSONPath: queries from mapping files and playgrounds, with a document after a newline.
    def jp(name, query, doc=b"{}"):
        write("jsonpath_fuzz", name, query + b"\n" + doc)

    jp("sample-names", b"$.hoSo[*].hoTen", admissions)
    jp("sample-filter", '$.hoSo[?@.gioiTinh == "Nữ" && @.nguyenVong < 2].maHoSo'.encode(), admissions)
    jp("descendants", b"$..[?count(@..*) > 1]", admissions)
    jp("descendants-deep", b"$..*", b"[" * 64 + b"]" * 64)
    jp("parens-deep", b"$[?" + b"(" * 100 + b"@.a" + b")" * 100 + b"]", b'[{"a":1}]')
    jp("parens-unclosed", b"$[?" + b"(" * 100000)
    jp("filters-nested", b"$" + b"[?@" * 80 + b"]" * 80, b"[[[[1]]]]")
    jp("functions-nested", b"$[?length(" * 1 + b"value(" * 70 + b"@" + b")" * 71 + b" > 0]", b"[[1]]")
    jp("not-chain", b"$[?!!!!@.a]", b'[{"a":1}]')
    jp("regex-groups-deep", b"$[?match(@.a, '" + b"(" * 200 + b"a" + b")" * 200 + b"')]", b'[{"a":"a"}]')
    jp("regex-from-document", b"$[?search(@.a, @.re)]",
       b'[{"a":"' + b"a" * 5000 + b'","re":"' + b"(" * 5000 + b'"},{"a":"' + b"a" * 30 + b'","re":"(a*)*b"}]')
    jp("regex-classes", b"$[?match(@, '[\\\\p{Lu}-z]+\\\\P{Nd}{2,}.')]", '["Ấa9x","B"]'.encode())
    jp("slices-extreme", b"$[-9007199254740991:9007199254740991:-1, ::0, 9007199254740991:]", b"[1,2,3]")
    jp("names-escaped", b"$['\\u0000', \"\\ud83d\\ude00\", '\\'', \"a\\\"b\"]", b'{"\\u0000":1,"a\\"b":2}')
    jp("name-invalid-utf8", b"$['\xff']", b'{"\xff":1}')
    jp("index-huge", b"$[9007199254740992]", b"[1]")
    jp("literals", b"$[?@ == -0.0e-999 || @ == 1e999 || @ == null || @ == true]", b"[0,1,null,true]")
    jp("doc-nul-after", b"$.a", b'{"a":1}\x00{"a":2}')
    jp("number-zero-exponent", b"$[?@ == 0]", b"[0e0202, -0e300, 0.0e100, 1e-400]")
    jp("doc-deep", b"$..a", b'{"a":' * 70 + b"1" + b"}" * 70)


if __name__ == "__main__":
    main()
