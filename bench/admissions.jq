# The reshaping of mappings/partners/demo-admissions/admissions.yaml, as far as jq 1.6 can do it.
# Used by bench/mapping_bench.cpp as the baseline: jq -c -f bench/admissions.jq <document>
# One output line per vendor record: {"student": {...}, "admission_application": {...}}.
#
# What this does NOT do, unlike the mapping engine: Unicode NFC, Vietnamese name casing (only
# ASCII letters are re-cased below), catalog lookups insensitive to case/diacritics/tone-mark
# placement (the tables below need the exact spelling), the pre-reform commune crosswalk (a
# five-entry table instead of the 2025 crosswalk), personal-ID format/province/birth-year/gender
# checks, impossible-date, phone, score-range and school-year checks, schema validation, and
# per-field error reporting (a bad value gives null or a jq error that stops the whole run).

def pad2: tostring | if length < 2 then "0" + . else . end;
# d/m/yyyy (also dd/mm/yyyy) -> yyyy-mm-dd
def iso_date: split("/") | map(tonumber) | "\(.[2])-\(.[1] | pad2)-\(.[0] | pad2)";
# Written for speed: jq 1.6's regex functions (gsub, sub, test) cost roughly 10 us per call, which
# would make this baseline markedly slower than it needs to be; plain split/join and
# explode/implode do the same work here. Only ASCII spaces are collapsed (the vendor sends no
# tabs or no-break spaces; the engine handles every Unicode space).
def collapse: split(" ") | map(select(length > 0)) | join(" ");
# Title case per word, ASCII letters only (jq has no Unicode case mapping).
def ascii_name_case:
  collapse | split(" ") | map((.[0:1] | ascii_upcase) + (.[1:] | ascii_downcase)) | join(" ");

def gender_table: {"Nam": "M", "nam": "M", "NAM": "M", "Nữ": "F", "nữ": "F", "NỮ": "F"};
def ethnicity_table: {
  "Kinh": "01", "Tày": "02", "Thái": "03", "Mường": "04", "Khơ-me": "05", "Khmer": "05",
  "Hoa": "06", "Nùng": "07", "HMông": "08", "H'Mông": "08", "Mông": "08", "Dao": "09",
  "Gia-rai": "10", "Ê-đê": "11", "Ba na": "12", "Sán Chay": "13"
};
# Pre-reform commune code -> commune after 1 July 2025 (only the communes of the sample area).
def commune_table: {
  "11299": "11311", "11302": "11311", "11305": "11311", "11311": "11311", "11320": "11311",
  "11323": "11311"
};
def result_table: {
  "Trúng tuyển": "TRUNG_TUYEN", "Không trúng tuyển": "KHONG_TRUNG_TUYEN",
  "Chờ kết quả": "CHO_KET_QUA", "Huỷ hồ sơ": "HUY", "Hủy": "HUY"
};
def digits: explode | map(select(. >= 48 and . <= 57)) | implode;
def phone: if startswith("+84") then "0" + (.[3:] | digits) else digits end;

.namHoc as $year
| .hoSo[]
| {
    student: {
      full_name: (.hoTen | ascii_name_case),
      birth_date: (.ngaySinh | iso_date),
      gender: gender_table[.gioiTinh],
      ethnicity: ethnicity_table[.danToc],
      personal_id: .soDinhDanh,
      residence_commune: commune_table[.diaChi.maXa],
      address: (.diaChi.soNha | collapse),
      contact_phone: (.dienThoaiPhuHuynh | phone),
      nationality: "VN"
    },
    admission_application: {
      application_code: .maHoSo,
      school_year: $year,
      target_grade: "6",
      application_date: (.ngayNopHoSo | iso_date),
      wish_1_school: .truongDangKy,
      admitted_wish: (.nguyenVong | tonumber),
      total_score: (.diemXetTuyen | tostring | split(",") | join(".") | tonumber),
      result: result_table[.ketQua]
    }
  }
