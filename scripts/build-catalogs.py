#!/usr/bin/env python3
"""Build mappings/catalogs/ (the hub's shared code lists) from ../shared/catalog-sources.

Developer tool; its outputs are committed, so the hub never needs the raw sources at run time.
Python 3 standard library only. Output is deterministic: re-running on the same sources gives
byte-identical files (entries sorted, no timestamps).

Usage:  scripts/build-catalogs.py [--sources DIR] [--out DIR]

File format written (read by hub/mapping/catalog_loader.cpp):
  <name>.yaml   metadata + either `entries:` inline or `entries_csv: <name>.csv`
  <name>.csv    RFC 4180, UTF-8, header
                code,name,name_en,parent,level,valid_from,valid_to,synonyms,codes
                synonyms = values joined by '|'; codes = 'system=value' joined by '|'
All YAML scalars are written as JSON-style double-quoted strings (valid YAML) so that codes
such as "01" never turn into numbers in any YAML reader.
"""

import argparse
import csv
import gettext
import io
import json
import os
import re
import shutil
import sys
import unicodedata

REFORM_FROM = "2025-07-01"
LEGACY_TO = "2025-06-30"
CSV_THRESHOLD = 150  # more entries than this go to a CSV file beside the YAML

ADMIN_PREFIXES = ["Thành phố", "Tỉnh", "Phường", "Xã", "Đặc khu", "Thị trấn", "Quận", "Huyện",
                  "Thị xã"]
ADMIN_ABBREVIATIONS = {"TP": "Thành phố", "TX": "Thị xã", "TT": "Thị trấn", "P": "Phường",
                       "Q": "Quận", "H": "Huyện", "X": "Xã"}

THANGLEQUOC_LICENCE = "MIT (Copyright (c) 2021 Thang Le Quoc); see licenses/thanglequoc-vn-provinces.LICENSE"
DVHCVN_LICENCE = "MIT (Copyright (c) 2025 dvhcvn); see licenses/dvhcvn-20250701.LICENSE"
GOV_LICENCE = "Public government data (transcribed); no licence asserted"
LOCAL_LICENCE = "Project-local list (no external licence)"


def nfc(s):
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", s).strip())


def fold(s):
    """Same idea as hub::text::fold_key; only used here for consistency checks."""
    s = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[^0-9a-z]+", " ", s)
    return s.strip()


def die(msg):
    sys.exit("build-catalogs: " + msg)


# ---------------------------------------------------------------- parsing sources

def sql_tuples(path, table):
    """Yield the value tuples of `INSERT INTO <table>(...) VALUES (...),(...);` statements."""
    text = open(path, encoding="utf-8").read()
    out = []
    for m in re.finditer(r"INSERT INTO %s\(([^)]*)\) VALUES" % re.escape(table), text):
        cols = m.group(1).split(",")
        i = m.end()
        # Parse tuples until the terminating ';'.
        while True:
            while text[i] in " \r\n\t,":
                i += 1
            if text[i] == ";":
                break
            if text[i] != "(":
                die("%s: unexpected %r at %d" % (path, text[i], i))
            i += 1
            vals, cur, quoted = [], [], False
            while True:
                c = text[i]
                if quoted:
                    if c == "'":
                        if text[i + 1] == "'":
                            cur.append("'")
                            i += 1
                        else:
                            quoted = False
                    else:
                        cur.append(c)
                elif c == "'":
                    quoted = True
                elif c == ",":
                    vals.append("".join(cur).strip())
                    cur = []
                elif c == ")":
                    vals.append("".join(cur).strip())
                    i += 1
                    break
                else:
                    cur.append(c)
                i += 1
            out.append(dict(zip(cols, vals)))
    return out


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def parse_1027(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"\d{5}", cells[1]):
            rows.append({"code": cells[1], "name": nfc(cells[2].replace("<br>", " ")),
                         "province": nfc(cells[3].replace("<br>", " "))})
    return rows


# ---------------------------------------------------------------- output

def q(s):
    return json.dumps(s, ensure_ascii=False)


def entry(code, name, name_en="", parent="", level="", valid_from="", valid_to="",
          synonyms=(), codes=None):
    name = nfc(name)
    syn, seen = [], {fold(name)}
    for s in synonyms:
        s = nfc(s)
        if s and fold(s) not in seen:
            seen.add(fold(s))
            syn.append(s)
    return {"code": code, "name": name, "name_en": nfc(name_en), "parent": parent, "level": level,
            "valid_from": valid_from, "valid_to": valid_to, "synonyms": syn,
            "codes": dict(sorted((codes or {}).items()))}


def sort_key(e):
    return (e["code"], e["valid_from"] or "", e["valid_to"] or "9999", e["parent"])


def yaml_value(v, indent):
    pad = " " * indent
    if isinstance(v, str):
        return " " + q(v)
    if isinstance(v, bool):
        return " true" if v else " false"
    if isinstance(v, int):
        return " %d" % v
    if isinstance(v, list):
        if not v:
            return " []"
        if all(isinstance(x, str) for x in v):
            return " [" + ", ".join(q(x) for x in v) + "]"
        out = ""
        for x in v:
            body = yaml_map(x, indent + 2).lstrip(" ")
            out += "\n" + pad + "- " + body.rstrip("\n")
        return out
    if isinstance(v, dict):
        if not v:
            return " {}"
        if all(isinstance(x, str) for x in v.values()) and len(v) <= 4:
            return " {" + ", ".join("%s: %s" % (q(k), q(x)) for k, x in v.items()) + "}"
        return "\n" + yaml_map(v, indent + 2).rstrip("\n")
    die("cannot emit %r" % (v,))


def yaml_map(d, indent=0):
    pad = " " * indent
    out = ""
    for k, v in d.items():
        out += pad + k + ":" + yaml_value(v, indent) + "\n"
    return out


def entry_for_yaml(e):
    d = {"code": e["code"], "name": e["name"]}
    for k in ("name_en", "parent", "level", "valid_from", "valid_to"):
        if e[k]:
            d[k] = e[k]
    if e["synonyms"]:
        d["synonyms"] = e["synonyms"]
    if e["codes"]:
        d["codes"] = e["codes"]
    return d


def write_catalog(out_dir, meta, entries, force_csv=False):
    entries = sorted(entries, key=sort_key)
    name = meta["name"]
    meta = dict(meta)
    meta["entry_count"] = len(entries)
    header = ("# Generated by scripts/build-catalogs.py from ../shared/catalog-sources; "
              "do not edit by hand.\n")
    if force_csv or len(entries) > CSV_THRESHOLD:
        meta["entries_csv"] = name + ".csv"
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["code", "name", "name_en", "parent", "level", "valid_from", "valid_to",
                    "synonyms", "codes"])
        for e in entries:
            for s in e["synonyms"]:
                if "|" in s:
                    die("synonym with '|': " + s)
            w.writerow([e["code"], e["name"], e["name_en"], e["parent"], e["level"],
                        e["valid_from"], e["valid_to"], "|".join(e["synonyms"]),
                        "|".join("%s=%s" % kv for kv in e["codes"].items())])
        with open(os.path.join(out_dir, name + ".csv"), "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
        body = yaml_map(meta)
    else:
        body = yaml_map(meta) + "entries:" + yaml_value([entry_for_yaml(e) for e in entries], 2) + "\n"
    with open(os.path.join(out_dir, name + ".yaml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(header + body)
    return len(entries)


# ---------------------------------------------------------------- catalogs

def admin_catalogs(src, out):
    tq = os.path.join(src, "thanglequoc-vn-provinces")
    dv = os.path.join(src, "dvhcvn-20250701")
    cur_sql = os.path.join(tq, "current-2026", "postgres_ImportData_vn_units.sql")
    leg_sql = os.path.join(tq, "legacy-63-provinces-2025-03-01", "ImportData_vn_units.sql")

    new_units = {"1": "thanh_pho", "2": "tinh", "3": "phuong", "4": "xa", "5": "dac_khu"}
    old_units = {"1": "thanh_pho", "2": "tinh", "3": "thanh_pho", "4": "thanh_pho", "5": "quan",
                 "6": "thi_xa", "7": "huyen", "8": "phuong", "9": "thi_tran", "10": "xa"}

    # --- provinces: 34 new (915 is the official code list) + 63 legacy.
    new_prov = sql_tuples(cur_sql, "provinces")
    old_prov = sql_tuples(leg_sql, "provinces")
    official_915 = {r["Mã số"]: nfc(r["Tên 34 tỉnh sau sáp nhập"])
                    for r in read_csv(os.path.join(dv, "official-docs", "915_CTK-CSCL.csv"))}
    if len(new_prov) != 34 or len(old_prov) != 63 or set(official_915) != {p["code"] for p in new_prov}:
        die("province counts/codes do not match 915/CTK-CSCL")
    provinces = []
    for p in new_prov:
        provinces.append(entry(p["code"], p["full_name"], p["full_name_en"], "",
                               new_units[p["administrative_unit_id"]], REFORM_FROM, "",
                               [p["name"], official_915[p["code"]], p["name_en"]]))
    for p in old_prov:
        provinces.append(entry(p["code"], p["full_name"], p["full_name_en"], "",
                               old_units[p["administrative_unit_id"]], "", LEGACY_TO,
                               [p["name"], p["name_en"]]))
    admin_meta = {
        "licence": THANGLEQUOC_LICENCE,
        "canonical_code_system": "gso",
        "code_format": "^[0-9]+$",
        "name_prefixes": ADMIN_PREFIXES,
        "name_abbreviations": ADMIN_ABBREVIATIONS,
    }
    n_prov = write_catalog(out, {
        "name": "province",
        "kind": "list",
        "title_vi": "Đơn vị hành chính cấp tỉnh",
        "title_en": "Provinces and centrally-run cities",
        "description": (
            "34 provinces of the two-level government (valid_from 2025-07-01, codes of GSO letter "
            "915/CTK-CSCL) and the 63 pre-reform provinces (valid_to 2025-06-30, state of "
            "1365/NQ-UBTVQH15, 01/03/2025). Old and new units can share a code (e.g. 31 Hải Phòng "
            "before and after absorbing Hải Dương): the entry's validity period decides, so pass "
            "as_of = the date the record refers to. Without as_of the current unit wins."),
        "source": "thanglequoc/vietnamese-provinces-database v4.2.0 (current) and v2.4.1 (legacy); "
                  "codes checked against GSO 915/CTK-CSCL",
        **admin_meta,
        "code_width": 2,
        "code_systems": [{"id": "gso", "title": "GSO administrative-unit code (2 digits)",
                          "status": "official"}],
    }, provinces)

    # --- legacy districts.
    districts = []
    for d in sql_tuples(leg_sql, "districts"):
        districts.append(entry(d["code"], d["full_name"], d["full_name_en"], d["province_code"],
                               old_units[d["administrative_unit_id"]], "", LEGACY_TO,
                               [d["name"], d["name_en"]]))
    if len(districts) != 696:
        die("expected 696 legacy districts, got %d" % len(districts))
    n_dist = write_catalog(out, {
        "name": "district_legacy",
        "kind": "list",
        "title_vi": "Đơn vị hành chính cấp huyện (trước 01/07/2025)",
        "title_en": "District-level units before the 2025 reform",
        "description": ("696 districts as of 01/03/2025. The district level was abolished on "
                        "2025-07-01, so every entry is valid_to 2025-06-30; parent = old province code."),
        "source": "thanglequoc/vietnamese-provinces-database v2.4.1",
        **admin_meta,
        "code_width": 3,
        "parent_catalogs": ["province"],
        "code_systems": [{"id": "gso", "title": "GSO district code (3 digits)", "status": "official"}],
    }, districts)

    # --- communes: 3,321 new (codes of 1027/CTK-CSCL win) + 10,035 legacy.
    new_wards = sql_tuples(cur_sql, "wards")
    official = parse_1027(os.path.join(dv, "official-docs", "1027_CTK-CSCL.md"))
    off_codes = {r["code"]: r for r in official}
    if len(new_wards) != 3321 or len(off_codes) != 3321:
        die("expected 3,321 communes (thanglequoc %d, 1027 %d)" % (len(new_wards), len(off_codes)))
    tq_codes = {w["code"] for w in new_wards}
    unmatched_official = [r for r in official if r["code"] not in tq_codes]
    tq_to_official = {}
    for w in new_wards:
        if w["code"] in off_codes:
            continue
        # Pair the differing code with the 1027 row of the same name in the same province.
        cands = [r for r in unmatched_official
                 if fold(r["name"]) == fold(w["full_name"])
                 and fold(r["province"]).endswith(fold(official_915[w["province_code"]]).replace("thanh pho ", ""))]
        if len(cands) != 1:
            die("cannot pair thanglequoc code %s %s with 1027" % (w["code"], w["full_name"]))
        tq_to_official[w["code"]] = cands[0]["code"]
    if len(tq_to_official) != 2:
        die("expected 2 code discrepancies with 1027, got %r" % tq_to_official)
    communes = []
    for w in new_wards:
        code = tq_to_official.get(w["code"], w["code"])
        codes = {}
        if code != w["code"]:
            codes["thanglequoc"] = w["code"]
        communes.append(entry(code, w["full_name"], w["full_name_en"], w["province_code"],
                              new_units[w["administrative_unit_id"]], REFORM_FROM, "",
                              [w["name"], off_codes[code]["name"], w["name_en"]], codes))
    legacy_wards = sql_tuples(leg_sql, "wards")
    if len(legacy_wards) != 10035:
        die("expected 10,035 legacy communes, got %d" % len(legacy_wards))
    for w in legacy_wards:
        communes.append(entry(w["code"], w["full_name"], w["full_name_en"], w["district_code"],
                              old_units[w["administrative_unit_id"]], "", LEGACY_TO,
                              [w["name"], w["name_en"]]))
    n_comm = write_catalog(out, {
        "name": "commune",
        "kind": "list",
        "title_vi": "Đơn vị hành chính cấp xã",
        "title_en": "Communes, wards and special zones",
        "description": (
            "3,321 commune-level units of the two-level government (phường / xã / đặc khu; "
            "valid_from 2025-07-01; parent = new province code) and the 10,035 pre-reform communes "
            "(phường / xã / thị trấn as of 01/03/2025; valid_to 2025-06-30; parent = old district "
            "code in district_legacy). GSO reused old codes for new units (00004 was Phường Trúc "
            "Bạch and is now Phường Ba Đình), so a code alone is not an identity: the lookup's "
            "as_of date selects the entry valid on that day; without as_of the current unit wins. "
            "Canonical codes are those of GSO letter 1027/CTK-CSCL. Where thanglequoc differs "
            "(Xã Ba Chẽ 06970 vs 06978, Xã Ia Mơ 23737 vs 23938) the official 1027 code is the "
            "canonical code and the thanglequoc code is kept in code system `thanglequoc`, which is "
            "accepted as an alias. Names are thanglequoc v4.2.0 (2026 spelling); the 1027 spelling "
            "is a synonym where it differs. valid_from of legacy entries is unknown (the snapshot "
            "is a state, not a history): communes dissolved before 01/03/2025 are absent."),
        "source": "thanglequoc/vietnamese-provinces-database v4.2.0 (current), v2.4.1 (legacy); "
                  "GSO 1027/CTK-CSCL via dvhcvn/20250701",
        **admin_meta,
        "code_width": 5,
        "parent_catalogs": ["province", "district_legacy"],
        "code_systems": [
            {"id": "gso", "title": "GSO commune code (5 digits; 1027/CTK-CSCL for new units)",
             "status": "official"},
            {"id": "thanglequoc", "title": "Code used by thanglequoc where it differs from 1027",
             "status": "derived", "alias": True}],
    }, communes, force_csv=True)

    # --- crosswalk old -> new (flattened from dvhcvn merges.json).
    rows = read_csv(os.path.join(dv, "derived_crosswalk_old_to_new_2025-07-01.csv"))
    merges = json.load(open(os.path.join(dv, "mapping", "merges.json"), encoding="utf-8"))
    links = set()
    for p in merges["data"]:
        for l2 in p["level2s"]:
            for m in l2["merges"]:
                links.add((m["old_id"], l2["level2_id"], m["type"]))
    new_codes = {e["code"] for e in communes if e["valid_from"]}
    xw = []
    for r in rows:
        old = r["old_ward_code"] or r["old_district_code"]
        link = (old, r["new_ward_code"], r["merge_type"])
        if link not in links:
            die("crosswalk row not in merges.json: %r" % (link,))
        if r["new_ward_code"] not in new_codes:
            die("crosswalk new code %s not a current commune" % r["new_ward_code"])
        codes = {"old_province": r["old_province_code"], "new_province": r["new_province_code"]}
        if r["old_ward_code"] and r["old_district_code"]:
            codes["old_district"] = r["old_district_code"]
        xw.append(entry(old, r["old_ward_name"] or r["old_district_name"], "", r["new_ward_code"],
                        r["merge_type"], "", "", [], codes))
    if len(xw) != 10604 or len(links) != 10604:
        die("expected 10,604 crosswalk links, got %d / %d" % (len(xw), len(links)))
    by_old = {}
    for e in xw:
        by_old.setdefault(e["code"], []).append(e)
    for old, es in by_old.items():
        if len(es) > 1 and any(e["level"] == "full" for e in es):
            die("old unit %s is full in one link but has %d links" % (old, len(es)))
    n_xw = write_catalog(out, {
        "name": "admin_crosswalk",
        "kind": "crosswalk",
        "title_vi": "Bảng chuyển đổi mã đơn vị hành chính cũ - mới (01/07/2025)",
        "title_en": "Old -> new administrative-unit crosswalk (1 July 2025)",
        "description": (
            "One entry per (old unit, new commune) link. code = old commune code (5 digits) or, for "
            "the 5 island districts without communes (318, 471, 498, 536, 755), the old district "
            "code (3 digits); parent = new commune code; level = merge type: `full` (the whole old "
            "unit went into that new commune) or `partial` (only part of it did: the old unit was "
            "split and a record needs review to pick the new commune; never guess). "
            "codes.old_province / old_district / new_province give context. 12 old communes are in "
            "dvhcvn's list but not in thanglequoc's legacy snapshot (07693, 07732, 07744, 16387, "
            "16411, 18448, 20176, 20674, 25102, 25174, 25177, 25186); they have no old_district. "
            "Links were extracted by dvhcvn with an LLM from resolutions 1654-1687/NQ-UBTVQH15 and "
            "checked by hand: high quality but not authoritative."),
        "source": "dvhcvn/20250701 mapping/merges.json (commit dd94887), flattened CSV "
                  "derived_crosswalk_old_to_new_2025-07-01.csv",
        "licence": DVHCVN_LICENCE,
        "canonical_code_system": "gso_old",
        "code_format": "^[0-9]+$",
        "parent_catalogs": ["commune"],
        "code_systems": [{"id": "gso_old", "title": "Pre-reform GSO code of the old unit",
                          "status": "official"},
                         {"id": "old_province", "title": "Context: old province code", "status": "official"},
                         {"id": "old_district", "title": "Context: old district code", "status": "official"},
                         {"id": "new_province", "title": "Context: new province code", "status": "official"}],
    }, xw, force_csv=True)
    return {"province": n_prov, "district_legacy": n_dist, "commune": n_comm,
            "admin_crosswalk": n_xw}


def cccd_catalogs(src, out):
    d = os.path.join(src, "cccd-structure")
    rows = read_csv(os.path.join(d, "cccd_birth_registration_province_codes.csv"))
    es = [entry(r["cccd_prefix"], r["old_province_full_name"], "", r["merged_into_province_code_2025"],
                "", "", "", [], {"gso_province_legacy": r["old_province_code_gso"]}) for r in rows]
    if len(es) != 63:
        die("expected 63 CCCD prefixes")
    n1 = write_catalog(out, {
        "name": "cccd_prefix",
        "kind": "list",
        "title_vi": "Mã tỉnh nơi đăng ký khai sinh trong số định danh cá nhân",
        "title_en": "Birth-registration province prefix of the 12-digit personal ID",
        "description": (
            "First 3 digits of the 12-digit personal identification number (số định danh cá nhân / "
            "CCCD): '0' + the pre-2025 GSO province code of the province where the birth was "
            "registered (NĐ 137/2015 Đ.13, TT 07/2016/TT-BCA Đ.7). The prefix does not change with "
            "the 2025 merger (former Hải Dương stays 030), so entries carry no validity period. "
            "parent = the 2025 province the old province merged into. Country codes for births "
            "registered abroad are not included. Not verified: how births registered after "
            "2025-07-01 are coded."),
        "source": "Derived in ../shared/catalog-sources/cccd-structure from thanglequoc legacy codes "
                  "and dvhcvn splits.json; checked against TT 07/2016/TT-BCA as quoted on lawnet.vn",
        "licence": GOV_LICENCE,
        "canonical_code_system": "cccd",
        "code_format": "^[0-9]{3}$",
        "code_width": 3,
        "parent_catalogs": ["province"],
        "code_systems": [{"id": "cccd", "title": "3-digit prefix", "status": "official"},
                         {"id": "gso_province_legacy", "title": "Pre-2025 GSO province code",
                          "status": "official"}],
    }, es)
    rows = read_csv(os.path.join(d, "cccd_century_gender_digit.csv"))
    gender = {"Nam": "M", "Nữ": "F"}
    es = [entry(r["digit"], "%s, thế kỷ %s (%s-%s)" % (r["gender"], r["century"], r["birth_year_from"],
                                                     r["birth_year_to"]),
                "", gender[r["gender"]], "", "", "", [],
                {"birth_year_from": r["birth_year_from"], "birth_year_to": r["birth_year_to"]})
          for r in rows]
    n2 = write_catalog(out, {
        "name": "cccd_century_gender",
        "kind": "list",
        "title_vi": "Chữ số thế kỷ và giới tính trong số định danh cá nhân",
        "title_en": "Century/gender digit (4th digit) of the 12-digit personal ID",
        "description": ("Digit G of PPP G YY NNNNNN. parent = gender code (catalog gender); "
                        "codes.birth_year_from/to = the century's birth years."),
        "source": "NĐ 137/2015/NĐ-CP Đ.13; TT 07/2016/TT-BCA Đ.7 (via cccd-structure/SOURCE.md)",
        "licence": GOV_LICENCE,
        "canonical_code_system": "cccd",
        "code_format": "^[0-9]$",
        "parent_catalogs": ["gender"],
        "code_systems": [{"id": "cccd", "title": "4th digit", "status": "official"},
                         {"id": "birth_year_from", "title": "Context: first birth year", "status": "official"},
                         {"id": "birth_year_to", "title": "Context: last birth year", "status": "official"}],
    }, es)
    return {"cccd_prefix": n1, "cccd_century_gender": n2}


ETHNIC_SYNONYMS = {
    "Kinh": ["Việt", "Người Kinh", "Người Việt"],
    "Hoa": ["Người Hoa", "Hán"],
    "Khơ-me": ["Khmer", "Khơ me", "Khơme", "Khơ-me Krôm"],
    "HMông": ["Mông", "H'Mông", "H'mông", "Hmong", "Hmông"],
    "Gia-rai": ["Jrai", "Gia Lai"],
    "Ê-đê": ["Ede", "Rađê", "Ra-đê"],
    "Ba na": ["Bahnar", "Ba-na"],
    "Xơ-Đăng": ["Xê Đăng", "Sedang"],
    "Cơ-ho": ["K'Ho", "Koho"],
    "Chăm": ["Chàm", "Cham"],
    "Mnông": ["M'Nông", "Mơ Nông"],
    "Ra-glai": ["Raglai", "Ra Glai"],
    "Bru-Vân Kiều": ["Bru Vân Kiều", "Vân Kiều"],
    "Khơ-mú": ["Khơ mú", "Khmu", "Kho Mú"],
    "Cơ-tu": ["Katu", "Cơ Tu"],
    "Gié Triêng": ["Giẻ-Triêng", "Giẻ Triêng"],
    "Tà-ôi": ["Tà Ôi", "Pa Cô"],
    "Chơ-ro": ["Chơ Ro"],
    "Xinh-mun": ["Xinh Mun"],
    "Chu ru": ["Chu-ru"],
    "Rơ măm": ["Rơ-măm"],
    "Ơ Đu": ["Ơ-đu"],
    "Xtiêng": ["Xơ Tiêng", "Stiêng"],
}


def ethnic_religion_catalogs(src, out):
    d = os.path.join(src, "gso-ethnic-religion")
    rows = read_csv(os.path.join(d, "ethnic_groups_vn.csv"))
    if len(rows) != 54:
        die("expected 54 ethnic groups")
    es, unverified = [], []
    for r in rows:
        if r["code_qd1019_2008_status"] != "verified":
            unverified.append(r["code_qd1019_2008"])
        es.append(entry(r["code_qd1019_2008"], r["name"], "", "", "", "", "",
                        ETHNIC_SYNONYMS.get(r["name"], []),
                        {"qd121_1979": r["code_qd121_1979"], "qd1019_2008": r["code_qd1019_2008"]}))
    if len({e["code"] for e in es}) != 54 or len({e["codes"]["qd121_1979"] for e in es}) != 54:
        die("ethnic codes are not unique")
    n1 = write_catalog(out, {
        "name": "ethnicity",
        "kind": "list",
        "title_vi": "Danh mục các dân tộc Việt Nam",
        "title_en": "Ethnic groups of Viet Nam",
        "description": (
            "54 ethnic groups. Two official numberings exist and DIFFER from code 04 on (Mường is 06 "
            "in QĐ 121-TCTK/PPCĐ 1979 but 04 in QĐ 1019/QĐ-TCTK 2008). The canonical code is the QĐ "
            "1019/2008 code, because QCVN 109:2017/BTTTT (citizen-data exchange with the National "
            "Population Database) uses it. Codes 21-54 of QĐ 1019 are UNVERIFIED (only 01-20 were "
            "seen in official sources; the 35/36 La Chí / Lào order is uncertain). Vendors must "
            "declare which numbering they send (code_system qd121_1979 or qd1019_2008); never "
            "assume codes >= 04 mean the same across vendors, prefer matching the name. Which list "
            "the MOET database (QĐ 4998) uses was not determined. 55 'Người nước ngoài' used by "
            "some software is not one of the 54 groups and is not included."),
        "source": "Transcribed in ../shared/catalog-sources/gso-ethnic-religion (QĐ 121-TCTK/PPCĐ "
                  "02/03/1979; QĐ 1019/QĐ-TCTK 12/11/2008 = QCVN 109:2017 Phụ lục E)",
        "licence": GOV_LICENCE,
        "canonical_code_system": "qd1019_2008",
        "code_format": "^[0-9]{2}$",
        "code_width": 2,
        "code_systems": [
            {"id": "qd1019_2008", "title": "QĐ 1019/QĐ-TCTK (2008), QCVN 109 Phụ lục E",
             "status": "official", "unverified_codes": sorted(unverified)},
            {"id": "qd121_1979", "title": "QĐ 121-TCTK/PPCĐ (1979), used by the health and social "
             "insurance sector (QĐ 4750/QĐ-BYT, QĐ 130/QĐ-BYT)", "status": "official"}],
    }, es)

    rows = read_csv(os.path.join(d, "religions_qd1019_2008.csv"))
    rel_syn = {"Phật giáo": ["Đạo Phật"], "Công giáo": ["Thiên Chúa giáo", "Đạo Thiên Chúa", "Catholic"],
               "Tin Lành": ["Đạo Tin Lành", "Protestant"], "Hồi giáo": ["Islam", "Đạo Hồi"],
               "Cao Đài": ["Đạo Cao Đài"], "Phật giáo Hoà Hảo": ["Hoà Hảo"],
               "Mặc Môn (Giáo hội Các Thánh hữu Ngày sau của Chúa Giêsu Kytô)": ["Mặc Môn", "Mormon"],
               "Đạo Ba Ha'i": ["Baha'i", "Bahá'í"]}
    es = [entry(r["code"], r["name"], "", "", "", "", "", rel_syn.get(r["name"], []),
                {"qd1019_2008": r["code"]}) for r in rows]
    if len(es) != 14:
        die("expected 14 religions")
    es.append(entry("00", "Không", "None", "", "", "", "", ["Không tôn giáo", "Không theo tôn giáo", "None"],
                    {}))
    n2 = write_catalog(out, {
        "name": "religion",
        "kind": "list",
        "title_vi": "Danh mục tôn giáo Việt Nam",
        "title_en": "Religions of Viet Nam",
        "description": (
            "14 religions of QĐ 1019/QĐ-TCTK 2008 (QCVN 109:2017 Phụ lục G; 14 Mặc Môn added by QĐ "
            "132/QĐ-TGCP 2014) plus code 00 'Không' (no religion), which is LOCAL to this hub: the "
            "official list has no code for it. The Government Committee for Religious Affairs now "
            "recognises 16 religions; Cơ đốc Phục lâm and Phật giáo Hiếu Nghĩa Tà Lơn have no code "
            "here."),
        "source": "../shared/catalog-sources/gso-ethnic-religion/religions_qd1019_2008.csv",
        "licence": GOV_LICENCE,
        "canonical_code_system": "qd1019_2008",
        "code_format": "^[0-9]{2}$",
        "code_width": 2,
        "local_codes": ["00"],
        "code_systems": [{"id": "qd1019_2008", "title": "QĐ 1019/QĐ-TCTK (2008)", "status": "official"}],
    }, es)
    return {"ethnicity": n1, "religion": n2}


# Curated Vietnamese names for the countries vendors most often send; the rest use the
# Vietnamese translation shipped with iso-codes.
COUNTRY_VI = {
    "VN": ("Việt Nam", ["Viet Nam", "Vietnam"]),
    "CN": ("Trung Quốc", ["Trung Hoa"]),
    "LA": ("Lào", ["Laos"]),
    "KH": ("Campuchia", ["Cambodia", "Căm-pu-chia"]),
    "TH": ("Thái Lan", []),
    "KR": ("Hàn Quốc", ["Korea", "South Korea", "Nam Hàn"]),
    "KP": ("Triều Tiên", ["North Korea", "Bắc Triều Tiên"]),
    "JP": ("Nhật Bản", ["Nhật"]),
    "TW": ("Đài Loan", ["Taiwan"]),
    "US": ("Hoa Kỳ", ["Mỹ", "USA", "United States of America"]),
    "RU": ("Nga", ["Liên bang Nga", "Russia"]),
    "FR": ("Pháp", []),
    "GB": ("Vương quốc Anh", ["Anh", "United Kingdom", "UK"]),
    "DE": ("Đức", ["Germany"]),
    "AU": ("Úc", ["Ô-xtrây-li-a", "Australia"]),
    "SG": ("Singapore", ["Xin-ga-po"]),
    "MY": ("Malaysia", ["Ma-lai-xi-a"]),
    "ID": ("Indonesia", ["In-đô-nê-xi-a"]),
    "PH": ("Philippines", ["Phi-líp-pin"]),
    "MM": ("Myanmar", ["Mi-an-ma"]),
    "IN": ("Ấn Độ", ["India"]),
    "CA": ("Canada", ["Ca-na-đa"]),
}


def nationality_catalog(out):
    path = "/usr/share/iso-codes/json/iso_3166-1.json"
    if not os.path.exists(path):
        print("build-catalogs: %s missing (Debian package iso-codes); nationality.yaml left as is"
              % path, file=sys.stderr)
        return {}
    countries = json.load(open(path, encoding="utf-8"))["3166-1"]
    try:
        vi = gettext.translation("iso_3166-1", localedir="/usr/share/locale", languages=["vi"]).gettext
    except OSError:
        vi = None
    es = []
    for c in countries:
        en = c.get("common_name") or c["name"]
        # Alpha-3 codes are a code system, not synonyms: "NGA" (Nigeria) would fold onto "Nga".
        syn = [c["name"], c.get("official_name", ""), c.get("common_name", "")]
        tr = vi(c["name"]) if vi else c["name"]
        name, extra = COUNTRY_VI.get(c["alpha_2"], (tr, []))
        syn = extra + [tr] + syn
        es.append(entry(c["alpha_2"], name, en, "", "", "", "", syn,
                        {"iso3166_alpha3": c["alpha_3"], "iso3166_numeric": c["numeric"]}))
    n = write_catalog(out, {
        "name": "nationality",
        "kind": "list",
        "title_vi": "Quốc tịch (quốc gia, vùng lãnh thổ)",
        "title_en": "Nationality (countries and territories)",
        "description": (
            "ISO 3166-1 countries; canonical code = alpha-2. Vietnamese names: curated for Việt Nam, "
            "its neighbours and the countries vendors most often send (see COUNTRY_VI in "
            "scripts/build-catalogs.py); for the others the Vietnamese translation shipped with "
            "iso-codes (its wording is sometimes dated). English ISO names and the "
            "iso-codes Vietnamese name are synonyms; alpha-3 is code system iso3166_alpha3. Stateless persons have no code here."),
        "source": "Debian package iso-codes (iso_3166-1.json and the vi translation iso_3166-1.mo), "
                  "https://salsa.debian.org/iso-codes-team/iso-codes",
        "licence": "iso-codes data: LGPL-2.1-or-later (see SOURCES.md); curated Vietnamese names: project-local",
        "canonical_code_system": "iso3166_alpha2",
        "code_format": "^[A-Z]{2}$",
        "code_systems": [
            {"id": "iso3166_alpha2", "title": "ISO 3166-1 alpha-2", "status": "official"},
            {"id": "iso3166_alpha3", "title": "ISO 3166-1 alpha-3", "status": "official"},
            {"id": "iso3166_numeric", "title": "ISO 3166-1 numeric", "status": "official"}],
    }, es)
    return {"nationality": n}


def local_meta(name, title_vi, title_en, description, source, systems, code_format=None, **kw):
    m = {"name": name, "kind": "list", "title_vi": title_vi, "title_en": title_en,
         "description": description, "source": source, "licence": LOCAL_LICENCE,
         "canonical_code_system": systems[0]["id"]}
    if code_format:
        m["code_format"] = code_format
    m.update(kw)
    m["code_systems"] = systems
    return m


MOET_NOTE = ("../shared/catalog-sources/moet-edu-data-notes/NOTES.md (codes observed in a "
             "third-party DDL citing QĐ 4998/QĐ-BGDĐT; confirm against 4998 and the TTDLQG spec)")
CSDL = {"id": "csdl_gddt", "title": "Code observed in the education-database DDL (QĐ 4998/QĐ-BGDĐT)",
        "status": "observed"}
LOCAL = {"id": "local", "title": "Hub-local code (no official code list found)", "status": "local"}


def edu_catalogs(out):
    counts = {}

    # gender
    es = [entry("M", "Nam", "Male", "", "", "", "", ["male", "nam", "trai", "con trai"],
                {"csdl_gddt": "1", "qd4750_byt": "1"}),
          entry("F", "Nữ", "Female", "", "", "", "", ["female", "nu", "gái", "con gái"],
                {"csdl_gddt": "2", "qd4750_byt": "2"}),
          entry("U", "Chưa có thông tin", "Unknown", "", "", "", "", ["Chưa xác định", "unknown"],
                {"csdl_gddt": "0", "qd4750_byt": "3"})]
    counts["gender"] = write_catalog(out, local_meta(
        "gender", "Giới tính", "Gender",
        "Canonical codes M/F/U are LOCAL. Numeric codes are never assumed: 1 = Nam in the education "
        "DDL but vendors also send 0/1; a vendor's numeric codes must be mapped through a declared "
        "code system (csdl_gddt: 0 unknown / 1 Nam / 2 Nữ as observed in the QĐ 4998 DDL; qd4750_byt: "
        "health sector 1 Nam / 2 Nữ / 3 chưa xác định) or the vendor's own mapping.",
        MOET_NOTE, [dict(LOCAL, title="Hub-local M/F/U"), CSDL,
                    {"id": "qd4750_byt", "title": "Health sector (QĐ 4750/QĐ-BYT)", "status": "observed"}],
        "^[A-Z]$", unknown_codes=["U"]), es)

    # school level (nhóm cấp học): codes given in NOTES.md
    lv = [("01", "Mầm non", "Preschool", ["MN", "Giáo dục mầm non"]),
          ("02", "Tiểu học", "Primary", ["TH", "Cấp 1"]),
          ("03", "Trung học cơ sở", "Lower secondary", ["THCS", "Cấp 2"]),
          ("04", "Trung học phổ thông", "Upper secondary", ["THPT", "Cấp 3"]),
          ("05", "Giáo dục thường xuyên", "Continuing education", ["GDTX", "Thường xuyên"])]
    es = [entry(c, n, en, "", "", "", "", s, {"csdl_gddt": c}) for c, n, en, s in lv]
    counts["school_level"] = write_catalog(out, local_meta(
        "school_level", "Nhóm cấp học", "School level group",
        "Field manhomcaphoc of the education database: 01 Mầm non, 02 Tiểu học, 03 THCS, 04 THPT, "
        "05 Thường xuyên. Multi-level schools (TH&THCS, THCS&THPT) are not a separate code here.",
        MOET_NOTE, [CSDL], "^[0-9]{2}$", code_width=2), es)

    # school type (loại hình trường): codes given in NOTES.md
    es = [entry("1", "Công lập", "Public", "", "", "", "", ["Trường công lập"], {"csdl_gddt": "1"}),
          entry("2", "Dân lập", "Community-founded", "", "", "", "", ["Trường dân lập"], {"csdl_gddt": "2"}),
          entry("3", "Tư thục", "Private", "", "", "", "", ["Trường tư thục", "Tư nhân"], {"csdl_gddt": "3"})]
    counts["school_type"] = write_catalog(out, local_meta(
        "school_type", "Loại hình trường", "School ownership type",
        "Field maloaihinhtruong (Luật Giáo dục 2019 Đ.47 k.1): 1 Công lập, 2 Dân lập, 3 Tư thục.",
        MOET_NOTE, [CSDL], "^[0-9]$"), es)

    # grade: 1-12 plus preschool age groups (local codes; NOTES.md says the lists exist, no codes)
    es = []
    for g in range(1, 13):
        lvl = "02" if g <= 5 else "03" if g <= 9 else "04"
        es.append(entry(str(g), "Lớp %d" % g, "Grade %d" % g, lvl, "khoi", "", "", ["Khối %d" % g, "K%d" % g]))
    pre = [("NT1", "Nhà trẻ 3-12 tháng tuổi", "Nursery 3-12 months", ["Nhóm trẻ 3-12 tháng"]),
           ("NT2", "Nhà trẻ 13-24 tháng tuổi", "Nursery 13-24 months", ["Nhóm trẻ 13-24 tháng"]),
           ("NT3", "Nhà trẻ 25-36 tháng tuổi", "Nursery 25-36 months", ["Nhóm trẻ 25-36 tháng"]),
           ("MG3", "Mẫu giáo 3-4 tuổi", "Kindergarten 3-4 years", ["Mẫu giáo bé", "Lớp mầm"]),
           ("MG4", "Mẫu giáo 4-5 tuổi", "Kindergarten 4-5 years", ["Mẫu giáo nhỡ", "Lớp chồi"]),
           ("MG5", "Mẫu giáo 5-6 tuổi", "Kindergarten 5-6 years", ["Mẫu giáo lớn", "Lớp lá"])]
    for c, n, en, s in pre:
        es.append(entry(c, n, en, "01", "nhom_tuoi", "", "", s))
    counts["grade"] = write_catalog(out, local_meta(
        "grade", "Khối lớp và nhóm tuổi mầm non", "Grade and preschool age group",
        "LOCAL codes: 1-12 for grades (parent = school_level code), NT1-NT3 / MG3-MG5 for preschool "
        "age groups (Chương trình GDMN: nhà trẻ 3-36 tháng, mẫu giáo 3-6 tuổi). NOTES.md says "
        "makhoi and nhóm tuổi mầm non follow a ministry list that was not available.",
        MOET_NOTE, [LOCAL], parent_catalogs=["school_level"]), es)

    # subjects of the 2018 general-education programme (TT 32/2018/TT-BGDĐT); local codes
    subj = [
        ("TIENG_VIET", "Tiếng Việt", "Vietnamese language", "02", []),
        ("NGU_VAN", "Ngữ văn", "Literature", "03 04", ["Văn", "Văn học"]),
        ("TOAN", "Toán", "Mathematics", "02 03 04", ["Toán học"]),
        ("NGOAI_NGU_1", "Ngoại ngữ 1", "Foreign language 1", "02 03 04", ["Ngoại ngữ"]),
        ("NGOAI_NGU_2", "Ngoại ngữ 2", "Foreign language 2 (elective)", "03 04", []),
        ("TIENG_DTTS", "Tiếng dân tộc thiểu số", "Ethnic minority language (elective)", "02 03 04", []),
        ("DAO_DUC", "Đạo đức", "Ethics", "02", []),
        ("TN_XH", "Tự nhiên và Xã hội", "Nature and society", "02", ["TNXH"]),
        ("LS_DL", "Lịch sử và Địa lí", "History and geography", "02 03",
         ["Lịch sử và Địa lý", "Lịch sử - Địa lí", "Sử - Địa"]),
        ("KHOA_HOC", "Khoa học", "Science", "02", []),
        ("TIN_HOC_CN", "Tin học và Công nghệ", "Informatics and technology", "02", []),
        ("GDCD", "Giáo dục công dân", "Civic education", "03", ["GDCD"]),
        ("KHTN", "Khoa học tự nhiên", "Natural science", "03", ["KHTN"]),
        ("CONG_NGHE", "Công nghệ", "Technology", "03 04", []),
        ("TIN_HOC", "Tin học", "Informatics", "03 04", []),
        ("GDTC", "Giáo dục thể chất", "Physical education", "02 03 04", ["Thể dục", "GDTC"]),
        ("NGHE_THUAT", "Nghệ thuật", "Arts", "02 03", []),
        ("AM_NHAC", "Âm nhạc", "Music", "02 03 04", []),
        ("MI_THUAT", "Mĩ thuật", "Fine arts", "02 03 04", ["Mỹ thuật"]),
        ("HDTN", "Hoạt động trải nghiệm", "Experiential activities", "02", []),
        ("HDTN_HN", "Hoạt động trải nghiệm, hướng nghiệp", "Experiential and career-guidance activities",
         "03 04", ["Hoạt động trải nghiệm hướng nghiệp", "HĐTN-HN"]),
        ("GD_DIA_PHUONG", "Nội dung giáo dục của địa phương", "Local education content", "03 04",
         ["Giáo dục địa phương", "GDĐP"]),
        ("LICH_SU", "Lịch sử", "History", "04", ["Sử"]),
        ("DIA_LI", "Địa lí", "Geography", "04", ["Địa lý", "Địa"]),
        ("GD_KT_PL", "Giáo dục kinh tế và pháp luật", "Economics and law education", "04",
         ["GDKT&PL", "GD KT và PL"]),
        ("VAT_LI", "Vật lí", "Physics", "04", ["Vật lý", "Lý"]),
        ("HOA_HOC", "Hoá học", "Chemistry", "04", ["Hóa học", "Hoá", "Hóa"]),
        ("SINH_HOC", "Sinh học", "Biology", "04", ["Sinh"]),
        ("GD_QP_AN", "Giáo dục quốc phòng và an ninh", "National defence and security education", "04",
         ["GDQP-AN", "GDQP", "Giáo dục quốc phòng - an ninh"]),
        ("CHUYEN_DE", "Chuyên đề học tập", "Study topics (electives)", "04", []),
    ]
    es = [entry(c, n, en, "", lv, "", "", s) for c, n, en, lv, s in subj]
    counts["subject"] = write_catalog(out, local_meta(
        "subject", "Môn học và hoạt động giáo dục (CT GDPT 2018)", "Subjects (2018 general programme)",
        "LOCAL codes for the subjects and educational activities of the 2018 general-education "
        "programme (TT 32/2018/TT-BGDĐT), from general knowledge: the ministry's subject code list "
        "(mamonhoc) was referenced but not enumerated in the notes. level = the school_level codes "
        "(space separated) where the subject is taught. Foreign languages are 'Ngoại ngữ 1/2': "
        "which language (Tiếng Anh, Tiếng Pháp ...) is a separate attribute, so 'Tiếng Anh' is "
        "deliberately not a synonym. Subjects only of the pre-2018 programme are not listed.",
        "General knowledge of CT GDPT 2018 (TT 32/2018/TT-BGDĐT); not checked against QĐ 4998",
        [LOCAL], "^[A-Z0-9_]+$"), es)

    # TT22 ratings (codes given in NOTES.md)
    es = [entry("1", "Tốt", "Good (excellent)", "", "", "", "", ["Mức tốt", "T"], {"csdl_gddt": "1"}),
          entry("2", "Khá", "Fairly good", "", "", "", "", ["Mức khá", "K"], {"csdl_gddt": "2"}),
          entry("3", "Đạt", "Pass", "", "", "", "", ["Mức đạt", "Đ"], {"csdl_gddt": "3"}),
          entry("4", "Chưa đạt", "Not yet passed", "", "", "", "", ["Mức chưa đạt", "CĐ"], {"csdl_gddt": "4"})]
    counts["rating_tt22"] = write_catalog(out, local_meta(
        "rating_tt22", "Mức đánh giá kết quả học tập và rèn luyện (TT 22/2021)",
        "Learning and conduct ratings, lower/upper secondary (TT 22/2021/TT-BGDĐT)",
        "One four-level scale used both for kết quả học tập (mahocluc, Đ.9) and kết quả rèn luyện "
        "(mahanhkiem, Đ.8): 1 Tốt, 2 Khá, 3 Đạt, 4 Chưa đạt. Subjects assessed by comment use only "
        "Đạt / Chưa đạt (codes 3 / 4). The older TT 58/2011 scales (Giỏi/Khá/Trung bình/Yếu/Kém, "
        "hạnh kiểm Tốt/Khá/Trung bình/Yếu) are NOT equivalent and are not synonyms here.",
        MOET_NOTE, [CSDL], "^[0-9]$"), es)

    # TT27 ratings: no codes in NOTES.md -> local
    es = [entry("HTXS", "Hoàn thành xuất sắc", "Completed with excellence", "", "tong_hop", "", "", []),
          entry("HTT", "Hoàn thành tốt", "Completed well", "", "mon_hoc", "", "", ["T"]),
          entry("HT", "Hoàn thành", "Completed", "", "mon_hoc", "", "", ["H"]),
          entry("CHT", "Chưa hoàn thành", "Not completed", "", "mon_hoc", "", "", ["C"]),
          entry("TOT", "Tốt", "Good", "", "pham_chat_nang_luc", "", "", []),
          entry("DAT", "Đạt", "Satisfactory", "", "pham_chat_nang_luc", "", "", ["Đ"]),
          entry("CCG", "Cần cố gắng", "Needs effort", "", "pham_chat_nang_luc", "", "", ["CCG"])]
    counts["rating_tt27"] = write_catalog(out, local_meta(
        "rating_tt27", "Mức đánh giá học sinh tiểu học (TT 27/2020)",
        "Primary school ratings (TT 27/2020/TT-BGDĐT)",
        "LOCAL codes. level says where a rating applies: mon_hoc (subjects and activities: Hoàn "
        "thành tốt / Hoàn thành / Chưa hoàn thành), pham_chat_nang_luc (qualities and competences: "
        "Tốt / Đạt / Cần cố gắng) and tong_hop (end-of-year overall result, which adds Hoàn thành "
        "xuất sắc; HTT/HT/CHT also apply there). Single-letter abbreviations T/H/C are what "
        "transcripts print for subjects; 'T' therefore means Hoàn thành tốt, not Tốt - a vendor "
        "sending T for qualities must map it through its own code system. NOTES.md lists TT 27 as "
        "not verified.",
        "TT 27/2020/TT-BGDĐT (general knowledge, per moet-edu-data-notes/NOTES.md; unverified)",
        [LOCAL], "^[A-Z]+$"), es)

    # admission results: local
    ar = [("TRUNG_TUYEN", "Trúng tuyển", "Admitted", ["Đỗ", "Đậu", "Đạt"]),
          ("KHONG_TRUNG_TUYEN", "Không trúng tuyển", "Not admitted", ["Trượt", "Không đạt", "Rớt"]),
          ("CHO_KET_QUA", "Chờ kết quả", "Pending", ["Đang xét tuyển", "Chờ xét"]),
          ("XAC_NHAN_NHAP_HOC", "Đã xác nhận nhập học", "Enrolment confirmed", ["Xác nhận nhập học", "Đã nhập học"]),
          ("KHONG_NHAP_HOC", "Không nhập học", "Admitted but did not enrol", ["Từ chối nhập học"]),
          ("HUY", "Huỷ hồ sơ", "Application withdrawn or cancelled", ["Hủy", "Rút hồ sơ"]),
          ("KHONG_HOP_LE", "Hồ sơ không hợp lệ", "Application invalid", ["Không đủ điều kiện dự tuyển"])]
    es = [entry(c, n, en, "", "", "", "", s) for c, n, en, s in ar]
    counts["admission_result"] = write_catalog(out, local_meta(
        "admission_result", "Kết quả tuyển sinh", "Admission result",
        "LOCAL codes for the state of an admission application. The notes give no ministry code "
        "list for admissions results.", "Project-local", [LOCAL], "^[A-Z_]+$"), es)

    # student status: local
    st = [("DANG_HOC", "Đang học", "Enrolled", ["Đang theo học"]),
          ("CHUYEN_DEN", "Chuyển đến", "Transferred in", []),
          ("CHUYEN_DI", "Chuyển đi", "Transferred out", ["Chuyển trường"]),
          ("THOI_HOC", "Thôi học", "Dropped out", ["Bỏ học", "Nghỉ học"]),
          ("TAM_NGHI", "Tạm nghỉ học", "Temporarily suspended", ["Bảo lưu", "Nghỉ học tạm thời"]),
          ("LUU_BAN", "Lưu ban", "Repeating the grade", ["Ở lại lớp", "Học lại"]),
          ("HOAN_THANH_CT", "Hoàn thành chương trình tiểu học", "Completed primary programme", []),
          ("TOT_NGHIEP", "Tốt nghiệp", "Graduated", ["Đã tốt nghiệp"]),
          ("DA_MAT", "Đã mất", "Deceased", ["Qua đời"])]
    es = [entry(c, n, en, "", "", "", "", s) for c, n, en, s in st]
    counts["student_status"] = write_catalog(out, local_meta(
        "student_status", "Trạng thái học sinh", "Student status",
        "LOCAL codes: the education database has matrangthaihientai but its list was not "
        "enumerated in the notes ('theo danh mục của bộ ngành'). Replace with the ministry codes "
        "(as a code system) once QĐ 4998's appendix is available.",
        MOET_NOTE, [LOCAL], "^[A-Z_]+$"), es)
    return counts


SOURCES_MD = """# Sources of the catalogs in this folder

Generated by `scripts/build-catalogs.py` from `../shared/catalog-sources/` (re-run it after
changing the sources; never edit the generated files by hand). Each catalog's YAML repeats its
source and licence. Row counts are in each YAML (`entry_count`).

| catalog | source | licence |
|---|---|---|
| province, district_legacy, commune | thanglequoc/vietnamese-provinces-database (https://github.com/thanglequoc/vietnamese-provinces-database), current data tag v4.2.0 commit cd58063299585146ded3981f2272946ef19ced54, legacy tag v2.4.1 commit fc33b7411ec4e3697817fab8118718a8d39ef090; GSO letters 915/CTK-CSCL and 1027/CTK-CSCL (via dvhcvn) | MIT, `licenses/thanglequoc-vn-provinces.LICENSE`; GSO letters are public government documents |
| admin_crosswalk | dvhcvn/20250701 (https://github.com/dvhcvn/20250701) commit dd94887ce32324380bc5bb0a76fe39867dafc73b, `mapping/merges.json` | MIT, `licenses/dvhcvn-20250701.LICENSE` |
| cccd_prefix, cccd_century_gender | derived (NĐ 137/2015/NĐ-CP Đ.13, TT 07/2016/TT-BCA Đ.7) | public law |
| ethnicity, religion | transcribed from QĐ 121-TCTK/PPCĐ (1979), QĐ 1019/QĐ-TCTK (2008), QCVN 109:2017/BTTTT | public government data |
| nationality | Debian package `iso-codes` (ISO 3166-1 list and its Vietnamese translation) plus curated Vietnamese names | iso-codes: LGPL-2.1-or-later (https://salsa.debian.org/iso-codes-team/iso-codes); curated names: project |
| gender, school_level, school_type, grade, subject, rating_tt22, rating_tt27, admission_result, student_status | moet-edu-data-notes/NOTES.md where it gives codes (csdl_gddt code system, observed in a third-party DDL citing QĐ 4998/QĐ-BGDĐT); otherwise LOCAL codes defined by this project | project |

## Decisions recorded here

- **Official codes win.** Where thanglequoc and GSO letter 1027/CTK-CSCL disagree on a commune
  code (Xã Ba Chẽ, Quảng Ninh: 1027 = 06970, thanglequoc = 06978; Xã Ia Mơ, Gia Lai: 1027 = 23737,
  thanglequoc = 23938) the 1027 code is canonical. The thanglequoc code is kept in code system
  `thanglequoc`, declared `alias: true`, so a canonical-code lookup of 06978 / 23938 still finds
  the unit.
- **Old and new units share one catalog, separated by validity.** New units are
  `valid_from: 2025-07-01`; pre-reform provinces, districts and communes are
  `valid_to: 2025-06-30`. GSO reused codes (commune 00004 was Phường Trúc Bạch and is now Phường
  Ba Đình; province 31 is Hải Phòng before and after absorbing Hải Dương). A lookup with `as_of`
  returns the entry valid on that date; without `as_of` the current (open-ended) entry wins.
- **Codes are matched exactly** (after trimming). "1234" never matches "01234": a code that lost
  its leading zero is reported as not found, with a hint when its length differs from the
  catalog's `code_width`.
- **The crosswalk never guesses.** An old unit split across several new communes (`partial`)
  needs review; the hub returns the candidates.
- **Ethnicity canonical code = QĐ 1019/2008** (used by QCVN 109); QĐ 121/1979 codes are a second
  code system. QĐ 1019 codes 21-54 are unverified.
- **Religion 00 'Không'** (no religion) is local.
- **Hải Phòng spot check** (dvhcvn asks for one against 1669/NQ-UBTVQH15): the crosswalk rows
  used in `tests/mapping/catalog_test.cpp` (11341 Gia Viên split into 11311 / 11329 / 11359;
  11320 Hoàng Văn Thụ whole into 11311; 11329 Máy Chai whole into 11329) were checked by hand
  against Điều 1 khoản 8, 10 and 11 of the resolution. No systematic check was made.

## File format (read by hub/mapping/catalog_loader.cpp)

`<name>.yaml` — the file name is the catalog name. Keys: `name`, `kind` (`list` or `crosswalk`),
`title_vi`, `title_en`, `description`, `source`, `licence`, `canonical_code_system`,
`code_systems` (list of `{id, title, status, alias?, unverified_codes?}`; `status` is official /
observed / derived / local; `alias: true` means canonical-code lookups also accept codes of that
system), optional `code_format` (documentation), `code_width` (every canonical code has exactly
this many characters; used for the "leading zero lost?" hint), `name_prefixes` (unit types that
may be left out of a name query), `name_abbreviations` (expanded when a name query finds
nothing, e.g. `TP` -> `Thành phố`), `parent_catalogs` (where `parent` codes live; checked at
load), `local_codes`, `unknown_codes` (codes meaning "not known": `hubctl mapping check` warns when
a vendor's sample values are coded to them), `entry_count` (checked at load), and exactly one of
`entries` (inline list)
or `entries_csv` (a CSV beside the YAML). Unknown keys are load errors.

Entry fields: `code`, `name` (NFC), `name_en`, `parent`, `level`, `valid_from`, `valid_to`
(inclusive, YYYY-MM-DD, empty = unbounded), `synonyms`, `codes` (code system -> code).
CSV: RFC 4180, UTF-8, header `code,name,name_en,parent,level,valid_from,valid_to,synonyms,codes`;
`synonyms` joined with `|`, `codes` as `system=value` joined with `|`.
"""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sources", default=os.path.join(root, "..", "shared", "catalog-sources"))
    ap.add_argument("--out", default=os.path.join(root, "mappings", "catalogs"))
    args = ap.parse_args()
    src, out = os.path.normpath(args.sources), os.path.normpath(args.out)
    if not os.path.isdir(src):
        die("sources not found: " + src)
    os.makedirs(os.path.join(out, "licenses"), exist_ok=True)
    counts = {}
    counts.update(admin_catalogs(src, out))
    counts.update(cccd_catalogs(src, out))
    counts.update(ethnic_religion_catalogs(src, out))
    counts.update(nationality_catalog(out))
    counts.update(edu_catalogs(out))
    shutil.copyfile(os.path.join(src, "thanglequoc-vn-provinces", "LICENSE"),
                    os.path.join(out, "licenses", "thanglequoc-vn-provinces.LICENSE"))
    shutil.copyfile(os.path.join(src, "dvhcvn-20250701", "LICENSE"),
                    os.path.join(out, "licenses", "dvhcvn-20250701.LICENSE"))
    with open(os.path.join(out, "SOURCES.md"), "w", encoding="utf-8") as f:
        f.write(SOURCES_MD)
    for k in sorted(counts):
        print("%-22s %6d" % (k, counts[k]))


if __name__ == "__main__":
    main()
