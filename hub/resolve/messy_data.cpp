#include "hub/resolve/messy_data.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "hub/common/json.h"
#include "hub/mapping/text.h"

namespace hub::resolve {
namespace {

struct Weighted {
  const char* name;
  double weight;
};

// Family names with their approximate shares in Vietnam.
const std::vector<Weighted> kFamily = {
    {"Nguyễn", 38}, {"Trần", 11}, {"Lê", 9.5}, {"Phạm", 7}, {"Hoàng", 4}, {"Huỳnh", 1.5}, {"Phan", 4.5},
    {"Vũ", 2.5},    {"Võ", 1.4},  {"Đặng", 2.1}, {"Bùi", 2}, {"Đỗ", 1.4},  {"Hồ", 1.3},    {"Ngô", 1.3},
    {"Dương", 1},   {"Lý", 0.5},  {"Đinh", 0.6}, {"Đào", 0.5}, {"Lương", 0.4}, {"Trịnh", 0.4}, {"Mai", 0.3},
    {"Tô", 0.2},    {"Cao", 0.3}, {"Vương", 0.2}, {"Lâm", 0.3}, {"Hà", 0.3},   {"Chu", 0.1}};
const std::vector<const char*> kMiddleM = {"Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Gia", "Anh", "Hoàng",
                                           "Công", "Tuấn", "Bảo", "Đình", "Xuân", "Trọng", "Mạnh", "Nhật", "Quốc"};
const std::vector<const char*> kMiddleF = {"Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Khánh", "Bảo",
                                           "Hồng", "Mai", "Thị Thu", "Thị Thanh", "Ngọc Bảo", "Thùy", "Diệu", "Kim"};
const std::vector<const char*> kGivenM = {"An", "Bình", "Cường", "Dũng", "Đức", "Hải", "Hiếu", "Hoàng", "Hùng",
                                          "Huy", "Khang", "Khoa", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc",
                                          "Quân", "Sơn", "Tài", "Thắng", "Thành", "Trung", "Tuấn", "Việt", "Vinh",
                                          "Bảo", "Khôi", "Đạt", "Duy", "Kiên", "Lâm", "Nhật", "Quang", "Tùng",
                                          "Hưng", "Lộc", "Thịnh", "Toàn", "Vũ", "Hào", "Tiến", "Trí", "Kiệt"};
const std::vector<const char*> kGivenF = {"Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương",
                                          "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc",
                                          "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Trang", "Trâm", "Uyên",
                                          "Vân", "Vy", "Yến", "Hân", "Thư", "Diệp", "Nhi", "Khánh", "Hiền",
                                          "Thủy", "Tú", "Hoài", "Ánh", "Bích", "Châu", "Duyên", "Hòa", "Liên"};
// Communes of the 2025 catalog where the demo schools are.
const char* kCommunes[] = {"11383", "11329"};
// Where the children live: one commune whose pre-2025 code maps whole onto a new one (others
// are split communes, which the mapping sends to review before resolution).
const std::vector<const char*> kHomes = {"11320"};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(g_); }
  bool chance(double p) { return uniform() < p; }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[between(0, static_cast<int>(v.size()) - 1)]; }
  const char* family() {
    double total = 0;
    for (const auto& f : kFamily) total += f.weight;
    double x = uniform() * total;
    for (const auto& f : kFamily)
      if ((x -= f.weight) <= 0) return f.name;
    return kFamily.back().name;
  }

 private:
  std::mt19937_64 g_;
};

std::string nfd(const std::string& s) {
  utf8proc_uint8_t* out = utf8proc_NFD(reinterpret_cast<const utf8proc_uint8_t*>(s.c_str()));
  if (!out) return s;
  std::string r(reinterpret_cast<char*>(out));
  std::free(out);
  return r;
}

// One keyboard slip on an ASCII letter (Vietnamese letters with marks are left whole, so the
// text stays valid UTF-8): a neighbouring letter, a doubled or a dropped one.
std::string typo(const std::string& s, Rng& rng) {
  std::vector<std::size_t> letters;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (std::isalpha(static_cast<unsigned char>(s[i])) && std::islower(static_cast<unsigned char>(s[i]))) letters.push_back(i);
  if (letters.empty()) return s;
  std::size_t at = rng.pick(letters);
  std::string r = s;
  switch (rng.between(0, 2)) {
    case 0: r[at] = static_cast<char>('a' + (r[at] - 'a' + 1) % 26); break;
    case 1: r.insert(at, 1, r[at]); break;
    default: r.erase(at, 1);
  }
  return r;
}

std::string two(int v) {
  char b[4];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

std::string full_name(const Child& c) { return c.family + " " + c.middle + " " + c.given; }

std::string make_personal_id(const Child& c, Rng& rng, std::set<std::string>& used) {
  for (;;) {
    char digits[7];
    std::snprintf(digits, sizeof digits, "%06d", rng.between(0, 999999));
    // 031 (Hải Phòng), century-and-gender digit (2 male / 3 female, born 2000-2099), year.
    std::string id = std::string("031") + (c.gender == 'M' ? "2" : "3") + two(c.year % 100) + digits;
    if (used.insert(id).second) return id;
  }
}

// What one vendor's clerk typed for the child's name.
std::string spelled(const Child& c, Rng& rng, bool ascii_platform) {
  std::string name = full_name(c);
  if (ascii_platform && rng.chance(0.5)) name = text::name_case(text::fold_key(name));
  if (rng.chance(0.05)) name = text::upper(name);
  if (rng.chance(0.02)) name = text::lower(name);
  if (rng.chance(0.03)) name = typo(name, rng);
  if (rng.chance(0.03)) name = "  " + name + " ";
  if (rng.chance(0.10)) name = nfd(name);
  return name;
}

// Two different neighbouring digits of the serial (the last six digits) swapped.
std::string transposed(std::string pid, Rng& rng) {
  std::vector<std::size_t> at;
  for (std::size_t i = 6; i + 1 < pid.size(); ++i)
    if (pid[i] != pid[i + 1]) at.push_back(i);
  if (at.empty()) return pid;
  std::size_t i = rng.pick(at);
  std::swap(pid[i], pid[i + 1]);
  return pid;
}

void dob(const Child& c, Rng& rng, int& y, int& m, int& d) {
  y = c.year;
  m = c.month;
  d = c.day;
  if (d <= 12 && d != m && rng.chance(0.02)) std::swap(m, d);  // day and month swapped
}

}  // namespace

std::vector<Child> generate_children(const MessyOptions& o, std::vector<std::string>* school_codes_out) {
  Rng rng(o.seed);
  std::vector<std::string> school_codes;
  for (int s = 0; s < o.schools; ++s) {
    char code[32];
    std::snprintf(code, sizeof code, "HP-THCS-%04d", 100 + s);
    school_codes.push_back(code);
  }
  std::vector<Child> children;
  children.reserve(o.children);
  std::set<std::string> ids;
  auto fresh = [&](int n) {
    Child c;
    c.id = "C" + std::to_string(n);
    c.gender = rng.chance(0.51) ? 'M' : 'F';
    c.family = rng.family();
    c.middle = c.gender == 'M' ? rng.pick(kMiddleM) : rng.pick(kMiddleF);
    c.given = c.gender == 'M' ? rng.pick(kGivenM) : rng.pick(kGivenF);
    c.year = rng.between(2010, 2014);
    c.month = rng.between(1, 12);
    c.day = rng.between(1, 28);
    c.school = rng.pick(school_codes);
    c.commune = rng.pick(kHomes);
    return c;
  };
  while (static_cast<int>(children.size()) < o.children) {
    int n = static_cast<int>(children.size());
    Child c;
    if (n > 0 && rng.chance(o.namesake_rate)) {
      c = children[rng.between(0, n - 1)];  // another child with the same name, birth date, school
      c.id = "C" + std::to_string(n);
    } else if (n > 0 && rng.chance(o.twin_rate)) {
      const Child& sib = children.back();
      c = sib;
      c.id = "C" + std::to_string(n);
      c.gender = rng.chance(0.5) ? 'M' : 'F';
      do {
        c.given = c.gender == 'M' ? rng.pick(kGivenM) : rng.pick(kGivenF);
      } while (c.given == sib.given);
      if (c.gender != sib.gender) c.middle = c.gender == 'M' ? rng.pick(kMiddleM) : rng.pick(kMiddleF);
    } else {
      c = fresh(n);
    }
    c.personal_id = make_personal_id(c, rng, ids);
    char moet[16];
    std::snprintf(moet, sizeof moet, "31%08d", n + 1);
    c.moet_code = moet;
    children.push_back(c);
  }
  if (school_codes_out) *school_codes_out = school_codes;
  return children;
}

MessyData generate_messy_data(const MessyOptions& o, int batch_records) {
  MessyData out;
  out.children = generate_children(o, &out.school_codes);
  Rng rng(o.seed * 7919 + 17);  // the vendors' noise, independent of who the children are
  json::JsonWriter sw;
  sw.begin_object().key("truong").begin_array();
  for (std::size_t s = 0; s < out.school_codes.size(); ++s)
    sw.begin_object().kv("maTruong", out.school_codes[s]).kv("tenTruong", "Trường THCS số " + std::to_string(s + 1))
        .kv("capHoc", "Trung học cơ sở").kv("loaiHinh", "Công lập").kv("maTinh", "31")
        .kv("maXa", kCommunes[s % 2]).end_object();
  sw.end_array().end_object();
  out.schools_json = sw.str();

  // Admissions portal: d/m/Y dates, Vietnamese gender words, most IDs. The draws of the harder
  // cases come after the others and only when their share is set, so the rest of the data
  // stays the same for a seed.
  std::vector<std::string> records;
  int seq = 0;
  for (const auto& c : out.children) {
    if (!rng.chance(o.in_admissions)) continue;
    int y, m, d;
    dob(c, rng, y, m, d);
    std::string source = "TS-" + std::to_string(++seq);
    std::string name = spelled(c, rng, false);
    std::string born = (rng.chance(0.3) ? std::to_string(d) : two(d)) + "/" + two(m) + "/" + std::to_string(y);
    std::string pid;
    if (rng.chance(0.85)) {
      pid = c.personal_id;
      if (rng.chance(0.005)) pid[11] = static_cast<char>('0' + (pid[11] - '0' + 1) % 10);  // mistyped, still valid
      if (o.transposed_id_rate > 0 && rng.chance(o.transposed_id_rate)) pid = transposed(pid, rng);
    }
    bool no_birth_date = !pid.empty() && o.missing_birth_date_rate > 0 && rng.chance(o.missing_birth_date_rate);
    json::JsonWriter w;
    w.begin_object().kv("maHoSo", source).kv("hoTen", name);
    if (!no_birth_date) w.kv("ngaySinh", born);
    w.kv("gioiTinh", c.gender == 'M' ? "Nam" : "Nữ").kv("danToc", "Kinh");
    if (!pid.empty()) w.kv("soDinhDanh", pid);
    w.key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", c.commune).end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", c.school).kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
    records.push_back(w.str());
    out.truth_csv += "demo-admissions," + source + "," + c.id + "\n";
  }
  out.admissions_records = static_cast<int>(records.size());
  for (std::size_t i = 0; i < records.size(); i += batch_records) {
    std::string body = R"({"namHoc": "2025-2026", "hoSo": [)";
    for (std::size_t k = i; k < std::min(records.size(), i + batch_records); ++k) body += (k > i ? "," : "") + records[k];
    out.admissions_json.push_back(body + "]}");
  }

  // Transcript platform: one document per school, ISO dates, M/F, ministry codes, fewer IDs.
  std::map<std::string, std::vector<std::string>> by_school;
  seq = 0;
  for (const auto& c : out.children) {
    if (!rng.chance(o.in_transcripts)) continue;
    int y, m, d;
    dob(c, rng, y, m, d);
    std::string source = "HB-" + std::to_string(++seq);
    std::string name = spelled(c, rng, true);
    bool with_id = rng.chance(0.7);
    if (o.reordered_name_rate > 0 && rng.chance(o.reordered_name_rate)) {
      std::string given_first = text::fold_key(c.given + " " + c.middle + " " + c.family);
      name = rng.chance(0.5) ? text::name_case(given_first) : text::upper(given_first);
    }
    bool no_birth_date = o.missing_birth_date_rate > 0 && rng.chance(o.missing_birth_date_rate);
    std::string school = c.school;
    if (o.school_change_rate > 0 && rng.chance(o.school_change_rate) && out.school_codes.size() > 1)
      while (school == c.school) school = rng.pick(out.school_codes);
    json::JsonWriter w;
    w.begin_object().kv("studentId", source).kv("moetCode", c.moet_code).kv("fullName", name);
    if (!no_birth_date) w.kv("dob", std::to_string(y) + "-" + two(m) + "-" + two(d));
    w.kv("sex", std::string(1, c.gender)).kv("ethnicCode", "01");
    if (with_id) w.kv("citizenId", c.personal_id);
    w.kv("grade", "6").kv("className", "6A1").kv("enrolledOn", "2025-09-05").kv("status", "dang_hoc")
        .key("results").begin_array().end_array().end_object();
    by_school[school].push_back(w.str());
    out.truth_csv += "demo-transcripts," + source + "," + c.id + "\n";
    ++out.transcripts_records;
  }
  for (const auto& [school, recs] : by_school) {
    for (std::size_t i = 0; i < recs.size(); i += batch_records) {
      std::string body = R"({"schoolYear": "2025-2026", "school": {"code": ")" + school +
                         R"(", "name": "Trường THCS", "communeCode": "11383"}, "students": [)";
      for (std::size_t k = i; k < std::min(recs.size(), i + batch_records); ++k) body += (k > i ? "," : "") + recs[k];
      out.transcripts_json.push_back(body + "]}");
    }
  }
  return out;
}

}  // namespace hub::resolve
