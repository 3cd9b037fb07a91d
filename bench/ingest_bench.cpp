// ingest_bench: records per second of the whole ingest path (HTTP, auth, inbox, mapping,
// identity, golden store) against a plain PostgreSQL COPY of the same canonical rows, in one run
// so both see the same machine. Driven by bench/ingest_bench.sh, which starts a hub on a fresh
// database and creates the partners; this program only talks to them.
//
//   ./ingest_bench --url http://127.0.0.1:PORT --token TOKEN --postgres-url URL --hub-pid PID
//                  [--records 200000] [--batch 1000] [--clients 4] [--copy-repeats 3]
//                  [--transcripts-token TOKEN] [--dup-percent 5] [--seed 1]
//
// 1. Builds every request body before the clock starts: --records children of a city's grade-6
//    intake (realistic name frequencies, birth dates over the whole year, unique personal IDs,
//    homes over 130 communes), each sent by the admissions portal (mappings/partners/
//    demo-admissions: one student + one admission_application), and --dup-percent of them sent
//    again by the transcript platform (demo-transcripts, with --transcripts-token: student +
//    enrollment, other ids and spelling), true duplicates that should resolve to the same student.
// 2. --clients threads POST them to /v1/ingest/<feed> (one keep-alive connection each), one
//    batch at a time, and wait for the synchronous answer (200 with every record's result).
//    Hub records/s = vendor records / wall seconds from the first request to the last answer.
//    Every answer must be 200 with all records stored ("accepted", "merged", or "review" for a
//    doubtful match of entity resolution), and the store must hold every child once (plus at
//    most one per review), or the run is invalid. It also counts how many duplicates resolved.
// 3. Reads the hub's peak resident memory (VmHWM of /proc/<hub-pid>/status), and the CPU time
//    the hub and (with --pg-pid, the postmaster) PostgreSQL's processes used in step 2.
// 4. Reads the canonical rows the hub wrote (golden_record: id, entity, version, data, lineage)
//    (all but schools) into memory, then --copy-repeats times: creates bench_copy (LIKE golden_record INCLUDING
//    ALL: same columns, primary key and index), COPYs the rows into it in one transaction,
//    commits, drops it. COPY records/s = vendor records / seconds of that transaction (median).
// Exit status: 0 when the run is valid (whatever the speed), 1 invalid run, 2 bad usage.

#include <curl/curl.h>
#include <unistd.h>
#include <rapidjson/document.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "hub/common/json.h"
#include "hub/mapping/text.h"

namespace {

// A checkpoint before each timed phase, so that no phase runs into one the previous phase's
// writes set off (every page's first change after a checkpoint writes the whole page to WAL),
// and each starts from the same state. Needs the pg_checkpoint role (ingest_bench.sh grants it).
void checkpoint(const std::string& url) {
  try {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    tx.exec("checkpoint");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ingest_bench: no checkpoint before the phase (%s)\n", e.what());
  }
}


using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "ingest_bench: INVALID: " << what << "\n";
  std::exit(1);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  std::size_t rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

std::string status_line(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) {
      auto p = line.find_first_not_of(" \t", field.size() + 1);
      return p == std::string::npos ? "" : line.substr(p);
    }
  return "";
}

// CPU seconds (user + system) of a process: its own threads, plus, with `children`, its live
// children and the children it has reaped (PostgreSQL backends are children of the postmaster).
double cpu_seconds(int pid, bool children) {
  auto fields = [](int p) {
    std::ifstream in("/proc/" + std::to_string(p) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> f;
    auto close = text.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return f;
    std::istringstream rest(text.substr(close + 2));
    for (std::string x; rest >> x;) f.push_back(x);
    return f;  // f[0] is field 3 (state)
  };
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto f = fields(pid);
  if (f.size() < 15) return 0;
  double total = (std::stod(f[11]) + std::stod(f[12])) / tick;  // utime, stime
  if (!children) return total;
  total += (std::stod(f[13]) + std::stod(f[14])) / tick;  // cutime, cstime
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    auto c = fields(std::stoi(name));
    if (c.size() >= 15 && c[1] == std::to_string(pid)) total += (std::stod(c[11]) + std::stod(c[12])) / tick;
  }
  return total;
}

// ---- realistic children -----------------------------------------------------------------
// A city's grade-6 intake: family names with their approximate shares in Vietnam (Nguyễn ~38%)
// and a long tail, middle and given names by gender drawn with a Zipf-like skew (a few very
// common, many rare), birth dates spread over every day of the year, unique personal IDs, homes
// spread over the city's communes. (The first version used 800 names for 200,000 children: every
// name had 250 holders with close birth dates, the resolver's hardest and costliest case.)

struct Weighted {
  const char* name;
  double weight;
};
const std::vector<Weighted> kFamily = {
    {"Nguyễn", 38}, {"Trần", 11}, {"Lê", 9.5}, {"Phạm", 7}, {"Hoàng", 4}, {"Phan", 4.5}, {"Vũ", 3.9},
    {"Đặng", 2.1}, {"Bùi", 2}, {"Đỗ", 1.4}, {"Hồ", 1.3}, {"Ngô", 1.3}, {"Dương", 1}, {"Lý", 0.5},
    {"Huỳnh", 0.8}, {"Võ", 0.8}, {"Đinh", 0.6}, {"Đào", 0.5}, {"Lương", 0.4}, {"Trịnh", 0.4},
    {"Mai", 0.3}, {"Cao", 0.3}, {"Lâm", 0.3}, {"Hà", 0.3}, {"Tô", 0.2}, {"Vương", 0.2}, {"Đoàn", 0.3},
    {"Trương", 0.3}, {"Phùng", 0.2}, {"Tạ", 0.15}, {"Lưu", 0.15}, {"Quách", 0.1}, {"Kiều", 0.1},
    {"Khúc", 0.08}, {"Nghiêm", 0.08}, {"Chu", 0.1}, {"Thái", 0.1}, {"Lại", 0.08}, {"Hứa", 0.05},
    {"Mạc", 0.08}, {"Tăng", 0.05}, {"Đồng", 0.08}, {"La", 0.05}, {"Triệu", 0.1}, {"Từ", 0.05},
    {"Châu", 0.05}, {"Giang", 0.05}, {"Nông", 0.05}, {"Thân", 0.05}, {"Kim", 0.03}, {"Bạch", 0.03},
    {"Khổng", 0.03}, {"Diệp", 0.03}, {"Tống", 0.05}, {"Lục", 0.03}, {"Doãn", 0.05}, {"Phí", 0.05},
    {"Ninh", 0.05}, {"Quản", 0.03}, {"Lã", 0.03}, {"Tôn", 0.03}, {"Cù", 0.03}, {"Khương", 0.03},
    {"Nhữ", 0.03}, {"Mẫn", 0.02}, {"Phó", 0.02}, {"Vi", 0.02}, {"Hoa", 0.02}, {"Ông", 0.02}};
const std::vector<const char*> kMiddleM = {
    "Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Gia", "Anh", "Hoàng", "Công", "Tuấn", "Bảo", "Đình",
    "Xuân", "Trọng", "Mạnh", "Nhật", "Quốc", "Ngọc", "Trung", "Duy", "Đăng", "Khánh", "Hải", "Tiến",
    "Việt", "Thế", "Phúc", "Thanh", "Hồng", "Tùng", "Chí", "Kim", "Đại", "Bá", "Hoài", "Phú", "Tấn",
    "Thiện", "Nam", "Gia Bảo", "Minh Đức", "Hoàng Minh", "Đức Anh", "Quang Minh"};
const std::vector<const char*> kMiddleF = {
    "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Khánh", "Bảo", "Hồng", "Mai", "Thùy", "Diệu",
    "Kim", "Hà", "Lan", "Quỳnh", "Thảo", "Yến", "Bích", "Hoài", "Như", "Vân", "Ánh", "Gia", "Tuệ",
    "Cẩm", "Hải", "Tường", "Linh", "Hoàng", "Thị Thu", "Thị Thanh", "Ngọc Bảo", "Thị Minh", "Bảo Ngọc",
    "Phương Thảo", "Minh Thư", "Khánh Ngọc", "Hà Phương", "Thiên"};
const std::vector<const char*> kGivenM = {
    "Minh", "Huy", "Khang", "Bảo", "Phúc", "Anh", "Khoa", "Long", "Nam", "Đức", "Duy", "Quân", "Hưng",
    "Tuấn", "Dũng", "Hải", "Hiếu", "Hoàng", "Hùng", "Khôi", "Đạt", "Kiên", "Lâm", "Nhật", "Quang",
    "Tùng", "Sơn", "Thành", "Trung", "Việt", "Vinh", "An", "Bình", "Cường", "Nghĩa", "Phong", "Tài",
    "Thắng", "Lộc", "Thịnh", "Toàn", "Vũ", "Hào", "Tiến", "Trí", "Kiệt", "Dương", "Nguyên", "Nhân",
    "Phát", "Tâm", "Thiện", "Luân", "Mạnh", "Hậu", "Danh", "Đăng", "Hiển", "Khải", "Lực", "Phước",
    "Quý", "Sang", "Trọng", "Tú", "Tường", "Vượng", "Bách", "Chiến", "Công", "Định", "Giang", "Hòa",
    "Hợp", "Kha", "Lân", "Lĩnh", "Phú", "Quyết", "Sỹ", "Thái", "Thuận", "Tín", "Uy", "Vĩ", "Hiệp",
    "Khiêm", "Nhất", "Quốc", "Thông", "Triết", "Trường", "Vương", "Đông", "Hoan", "Khương", "Lợi",
    "Ngạn", "Phi", "Tân", "Thạch", "Toản", "Trực", "Tuệ", "Tỉnh", "Việt Anh", "Xuân"};
const std::vector<const char*> kGivenF = {
    "Anh", "Linh", "Ngọc", "Trang", "Vy", "Hân", "Nhi", "My", "Thư", "Hà", "Chi", "Mai", "Thảo", "Hương",
    "Huyền", "Lan", "Yến", "Phương", "Quỳnh", "Hằng", "Giang", "Hạnh", "Hoa", "Loan", "Nga", "Ngân",
    "Nhung", "Oanh", "Trâm", "Uyên", "Vân", "Diệp", "Khánh", "Hiền", "Thủy", "Tú", "Hoài", "Ánh",
    "Bích", "Châu", "Duyên", "Hòa", "Liên", "Dung", "Tâm", "Thu", "Tiên", "Trinh", "Vi", "Xuân", "Nhiên",
    "Đào", "Hậu", "Kim", "Lam", "Minh", "Nguyệt", "Như", "Phượng", "Sương", "Thanh", "Thoa", "Thơ",
    "Trúc", "Tuyết", "Hảo", "Mỹ", "Ngà", "Diễm", "Khanh", "Lệ", "Nhàn", "Quyên", "Khuê", "An", "Băng",
    "Cúc", "Dịu", "Gấm", "Hồng", "Kiều", "Lụa", "Mơ", "Na", "Ngát", "Nhạn", "Phúc", "Quế", "Sen",
    "Thắm", "Thúy", "Trà", "Ly", "Mến", "Điệp", "Hiên", "Khuyên", "Miên", "Thương", "Tường Vy"};
// Pre-2025 communes of Hải Phòng that map whole onto a current one (a split commune sends the
// record to review before resolution, which is not what this benchmark measures).
const std::vector<const char*> kCommunes = {
    "11296", "11299", "11302", "11305", "11311", "11320", "11323", "11329", "11335", "11338", "11359",
    "11395", "11401", "11404", "11405", "11410", "11413", "11414", "11416", "11422", "11425", "11440",
    "11449", "11458", "11465", "11467", "11473", "11488", "11500", "11503", "11506", "11512", "11527",
    "11539", "11542", "11545", "11551", "11557", "11560", "11569", "11578", "11590", "11593", "11602",
    "11608", "11623", "11626", "11629", "11632", "11635", "11638", "11641", "11644", "11647", "11650",
    "11653", "11659", "11665", "11668", "11671", "11674", "11677", "11680", "11683", "11686", "11695",
    "11698", "11701", "11704", "11707", "11710", "11713", "11716", "11722", "11725", "11734", "11737",
    "11743", "11749", "11752", "11755", "11758", "11761", "11764", "11770", "11773", "11776", "11779",
    "11782", "11785", "11797", "11800", "11803", "11806", "11809", "11812", "11815", "11821", "11824",
    "11827", "11830", "11833", "11836", "11839", "11842", "11848", "11851", "11857", "11860", "11866",
    "11875", "11881", "11884", "11887", "11890", "11893", "11902", "11911", "11914", "11917", "11920",
    "11923", "11926", "11929", "11932", "11935", "11938", "11941", "11944", "11947"};
// A city's lower secondary schools (about 1,000 grade-6 entrants each at 200,000 children),
// loaded through the demo-ops school feed before the clock starts. (With two schools, every
// second pair of children would share a school, which the matching rules weigh as rare.)
std::string school_code(int s) {
  char code[32];
  std::snprintf(code, sizeof code, "HP-THCS-B%03d", s);
  return code;
}

std::string make_schools(int n) {
  hub::json::JsonWriter w;
  w.begin_object().key("truong").begin_array();
  for (int s = 0; s < n; ++s)
    w.begin_object().kv("maTruong", school_code(s)).kv("tenTruong", "Trường THCS số " + std::to_string(s + 1))
        .kv("capHoc", "Trung học cơ sở").kv("loaiHinh", "Công lập").kv("maTinh", "31")
        .kv("maXa", s % 2 ? "11383" : "11329").end_object();
  w.end_array().end_object();
  return w.str();
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(g_); }
  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_); }
  // Rank r of n has weight 1 / (r + 1)^s.
  const char* zipf(const std::vector<const char*>& v, double s) {
    auto& d = zipf_[{&v, s}];
    if (d.probabilities().size() != v.size()) {
      std::vector<double> w;
      for (std::size_t r = 0; r < v.size(); ++r) w.push_back(1.0 / std::pow(static_cast<double>(r + 1), s));
      d = std::discrete_distribution<std::size_t>(w.begin(), w.end());
    }
    return v[d(g_)];
  }
  const char* family() {
    if (family_.probabilities().size() != kFamily.size()) {
      std::vector<double> w;
      for (const auto& f : kFamily) w.push_back(f.weight);
      family_ = std::discrete_distribution<std::size_t>(w.begin(), w.end());
    }
    return kFamily[family_(g_)].name;
  }

 private:
  std::mt19937_64 g_;
  std::map<std::pair<const void*, double>, std::discrete_distribution<std::size_t>> zipf_;
  std::discrete_distribution<std::size_t> family_;
};

struct Child {
  std::string name;  // "Nguyễn Văn Minh"
  int year = 0, month = 0, day = 0;
  bool male = true;
  std::string personal_id, phone, commune, house;
  int school = 0;
  bool in_transcripts = false;  // also sent by the transcript platform (a true duplicate)
};

std::string two(int v) {
  char b[4];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

// The transcript platform serves the first `platform_schools` schools: their children are sent
// twice (admissions portal, then the platform's export), the true duplicates.
std::vector<Child> make_children(int n, int schools, int platform_schools, std::uint64_t seed) {
  Rng rng(seed);
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  // Where the children were born: mostly Hải Phòng (031), some in neighbouring provinces.
  static const std::vector<const char*> kBirthProvince = {"031", "031", "031", "031", "031", "031", "031",
                                                          "031", "031", "030", "034", "022", "001"};
  std::vector<Child> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    Child c;
    c.male = rng.uniform() < 0.512;
    c.name = std::string(rng.family()) + " " + (c.male ? rng.zipf(kMiddleM, 0.9) : rng.zipf(kMiddleF, 0.9)) + " " +
             (c.male ? rng.zipf(kGivenM, 0.7) : rng.zipf(kGivenF, 0.7));
    // Grade-6 entrants of 2025 are born in 2014; a few a year earlier (late start, repeaters).
    c.year = rng.uniform() < 0.04 ? 2013 : 2014;
    c.month = rng.between(1, 12);
    c.day = rng.between(1, kDays[c.month - 1]);
    // Unique six-digit serial: i times a number coprime with 10^6 is a permutation of 0..999999.
    char serial[8];
    std::snprintf(serial, sizeof serial, "%06lld", (static_cast<long long>(i) * 741457 + 90821) % 1000000);
    c.personal_id = std::string(kBirthProvince[rng.between(0, static_cast<int>(kBirthProvince.size()) - 1)]) +
                    (c.male ? "2" : "3") + two(c.year % 100) + serial;
    c.phone = "09" + std::to_string(10000000 + rng.between(0, 89999999));
    c.commune = kCommunes[rng.between(0, static_cast<int>(kCommunes.size()) - 1)];
    c.school = rng.between(0, schools - 1);
    c.house = std::to_string(rng.between(1, 400)) + " " + (rng.uniform() < 0.5 ? "Lê Lợi" : "Trần Phú");
    c.in_transcripts = c.school < platform_schools;
    out.push_back(std::move(c));
  }
  return out;
}

// One admissions-portal document of children [first, first + n). The personal ID's digits
// (century/gender 2 = male or 3 = female born 2000-2099, then the year) agree with the birth
// date and gender, so every record maps without an issue.
std::string make_admissions(const std::vector<Child>& kids, int first, int n) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = first; i < first + n; ++i) {
    const Child& c = kids[i];
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    w.begin_object().kv("maHoSo", std::string("BENCH-") + id).kv("hoTen", c.name)
        .kv("ngaySinh", std::to_string(c.day) + "/" + std::to_string(c.month) + "/" + std::to_string(c.year))
        .kv("gioiTinh", c.male ? "Nam" : "Nữ").kv("danToc", "Kinh").kv("soDinhDanh", c.personal_id)
        .key("diaChi").begin_object().kv("soNha", c.house).kv("maXa", c.commune).end_object()
        .kv("dienThoaiPhuHuynh", c.phone).kv("truongDangKy", school_code(c.school)).kv("nguyenVong", 1 + i % 3)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", std::to_string(15 + i % 15)).kv("ketQua", "Trúng tuyển")
        .end_object();
  }
  w.end_array().end_object();
  return w.str();
}

// One transcript-platform document (mappings/partners/demo-transcripts) of the given children,
// all enrolled in grade 6 of one school: the same children as the admissions portal sent, in the
// platform's own format (ISO dates, M/F, half the names without diacritics, its own student
// ids), each making a student (which should resolve to the admissions one by personal ID) and
// an enrollment.
std::string make_transcripts(const std::vector<Child>& kids, const std::vector<int>& which, const std::string& school) {
  hub::json::JsonWriter w;
  w.begin_object().kv("provider", "bench").key("school").begin_object().kv("code", school).end_object()
      .kv("schoolYear", "2025-2026").key("students").begin_array();
  for (int i : which) {
    const Child& c = kids[i];
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    std::string name = i % 2 ? hub::text::name_case(hub::text::fold_key(c.name)) : c.name;
    w.begin_object().kv("studentId", std::string("HB-") + id).kv("moetCode", std::string("31") + id + "00")
        .kv("fullName", name).kv("dob", std::to_string(c.year) + "-" + two(c.month) + "-" + two(c.day))
        .kv("sex", c.male ? "M" : "F").kv("ethnicCode", "01").kv("citizenId", c.personal_id).kv("grade", "6")
        .kv("enrolledOn", "2025-09-05").kv("status", "dang_hoc").key("results").begin_array().end_array()
        .end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One POST with its own connection (for the set-up before the clock starts).
std::pair<long, std::string> post(const std::string& url, const std::string& token, const std::string& body) {
  CURL* c = curl_easy_init();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  std::string answer;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 300000L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return {status, answer};
}

struct Options {
  std::string url, token, postgres_url;
  std::string transcripts_token;  // demo-transcripts; empty: no duplicates are sent
  std::string ops_token;          // demo-ops, to load the schools (empty: not loaded here)
  double dup_percent = 5;         // share of the children the transcript platform also sends
  std::uint64_t seed = 1;
  int hub_pid = 0;
  int pg_pid = 0;  // the postmaster, for the CPU time of PostgreSQL (0: not measured)
  int records = 200000;
  int batch = 1000;
  int clients = 4;
  int copy_repeats = 3;
};

Options parse_args(int argc, char** argv) {
  Options o;
  auto usage = [] {
    std::cerr << "usage: ingest_bench --url URL --token TOKEN --postgres-url URL --hub-pid PID"
                 " [--pg-pid PID] [--records N] [--batch N] [--clients N] [--copy-repeats N]"
                 " [--ops-token TOKEN] [--transcripts-token TOKEN] [--dup-percent P] [--seed N]\n";
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage();
    std::string v = argv[++i];
    try {
      if (a == "--url") o.url = v;
      else if (a == "--token") o.token = v;
      else if (a == "--transcripts-token") o.transcripts_token = v;
      else if (a == "--ops-token") o.ops_token = v;
      else if (a == "--dup-percent") o.dup_percent = std::stod(v);
      else if (a == "--seed") o.seed = std::stoull(v);
      else if (a == "--postgres-url") o.postgres_url = v;
      else if (a == "--hub-pid") o.hub_pid = std::stoi(v);
      else if (a == "--pg-pid") o.pg_pid = std::stoi(v);
      else if (a == "--records") o.records = std::stoi(v);
      else if (a == "--batch") o.batch = std::stoi(v);
      else if (a == "--clients") o.clients = std::stoi(v);
      else if (a == "--copy-repeats") o.copy_repeats = std::stoi(v);
      else usage();
    } catch (const std::exception&) {
      usage();
    }
  }
  if (o.url.empty() || o.token.empty() || o.postgres_url.empty() || o.hub_pid <= 0 || o.records <= 0 ||
      o.batch <= 0 || o.clients <= 0 || o.copy_repeats <= 0 || o.dup_percent < 0 || o.dup_percent > 100)
    usage();
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse_args(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  // Every request body is built before the clock starts.
  struct Job {
    std::string feed, body;
    const std::string* token;
    int records;
  };
  const int schools = std::max(1, opt.records / 1000);
  const int platform_schools =
      opt.transcripts_token.empty() ? 0 : static_cast<int>(std::lround(schools * opt.dup_percent / 100));
  auto kids = make_children(opt.records, schools, platform_schools, opt.seed);
  std::vector<Job> jobs;
  int admissions_batches = 0;
  for (int first = 0; first < opt.records; first += opt.batch) {
    int n = std::min(opt.batch, opt.records - first);
    jobs.push_back({"admissions", make_admissions(kids, first, n), &opt.token, n});
    ++admissions_batches;
  }
  // The platform's exports come after the admissions, one document per school (split at
  // --batch records), so its students resolve against stored admissions records.
  std::size_t dups = 0;
  for (int s = 0; s < platform_schools; ++s) {
    std::vector<int> which;
    for (int i = 0; i < opt.records; ++i) {
      if (kids[i].school != s) continue;
      which.push_back(i);
      if (static_cast<int>(which.size()) == opt.batch) {
        jobs.push_back({"transcripts", make_transcripts(kids, which, school_code(s)), &opt.transcripts_token, opt.batch});
        dups += which.size();
        which.clear();
      }
    }
    if (!which.empty()) {
      jobs.push_back({"transcripts", make_transcripts(kids, which, school_code(s)), &opt.transcripts_token,
                      static_cast<int>(which.size())});
      dups += which.size();
    }
  }
  long long vendor_records = 0;
  std::size_t bytes = 0;
  for (const auto& j : jobs) {
    vendor_records += j.records;
    bytes += j.body.size();
  }
  std::printf("ingest_bench: %d children (admissions portal, %d batches of %d) + %zu of them again from the"
              " transcript platform (%.1f%%, true duplicates) = %lld vendor records in %zu requests (%.1f MB of JSON),"
              " %d clients -> %s\n",
              opt.records, admissions_batches, opt.batch, dups, 100.0 * dups / opt.records,
              vendor_records, jobs.size(), bytes / 1e6, opt.clients, opt.url.c_str());
  std::fflush(stdout);

  if (!opt.ops_token.empty()) {
    auto [status, answer] = post(opt.url + "/v1/ingest/schools", opt.ops_token, make_schools(schools));
    rapidjson::Document d;
    d.Parse(answer.c_str());
    if (status != 200 || d.HasParseError() || !d.HasMember("counts") || !d["counts"].HasMember("accepted") ||
        d["counts"]["accepted"].GetInt() != schools)
      fail("loading the " + std::to_string(schools) + " schools answered " + std::to_string(status) + ": " +
           answer.substr(0, 300));
  }

  // ---- the hub ----
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::string first_error;
  long long accepted_total = 0, review_total = 0, merged_total = 0;
  auto client = [&] {
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 300000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    for (;;) {
      std::size_t i = next++;
      if (i >= jobs.size()) break;
      const Job& job = jobs[i];
      std::string url = opt.url + "/v1/ingest/" + job.feed;
      curl_slist* headers = nullptr;
      headers = curl_slist_append(headers, ("Authorization: Bearer " + *job.token).c_str());
      headers = curl_slist_append(headers, "Content-Type: application/json");
      headers = curl_slist_append(headers, "Connection: keep-alive");
      headers = curl_slist_append(headers, "Expect:");
      curl_easy_setopt(c, CURLOPT_URL, url.c_str());  // same host and port: the connection is kept
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
      std::string answer;
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, job.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(job.body.size()));
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
      auto t0 = Clock::now();
      CURLcode rc = curl_easy_perform(c);
      double ms = seconds_since(t0) * 1000;
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      // Stored records end "accepted", "merged" (resolved to a record another source sent: the
      // duplicates), or "review" when entity resolution found a doubtful match (the record is
      // stored on its own and a review item opened); anything else is a failure.
      int accepted = -1, review = 0, merged = 0;
      if (rc == CURLE_OK && status == 200) {
        rapidjson::Document d;
        d.Parse(answer.c_str());
        if (!d.HasParseError() && d.HasMember("counts") && d["counts"].IsObject()) {
          const auto& c = d["counts"];
          accepted = c.HasMember("accepted") ? c["accepted"].GetInt() : 0;
          review = c.HasMember("review") ? c["review"].GetInt() : 0;
          merged = c.HasMember("merged") ? c["merged"].GetInt() : 0;
        }
      }
      curl_slist_free_all(headers);
      std::lock_guard lock(mu);
      latencies.push_back(ms);
      int expected = job.records;
      if (accepted >= 0 && accepted + review + merged == expected) {
        accepted_total += accepted + review + merged;
        review_total += review;
        merged_total += merged;
      } else if (first_error.empty()) {
        first_error = job.feed + " batch " + std::to_string(i) + ": " +
                      (rc != CURLE_OK ? std::string(curl_easy_strerror(rc))
                                      : "HTTP " + std::to_string(status) + ", " + std::to_string(accepted) +
                                            " accepted + " + std::to_string(review) + " review + " + std::to_string(merged) + " merged of " + std::to_string(expected) + ": " + answer.substr(0, 300));
      }
    }
    curl_easy_cleanup(c);
  };
  checkpoint(opt.postgres_url);
  // What PostgreSQL wrote for the phase: WAL (rows, index entries, and the first change of
  // each page after the checkpoint) and the database's growth, both per vendor record.
  auto written = [&] {
    pqxx::connection c(opt.postgres_url);
    pqxx::nontransaction tx(c);
    auto r = tx.exec1("select pg_current_wal_lsn()::text, pg_database_size(current_database())");
    return std::make_pair(std::string(r[0].c_str()), r[1].as<long long>());
  };
  const auto written0 = written();
  double hub_cpu0 = cpu_seconds(opt.hub_pid, false), pg_cpu0 = opt.pg_pid ? cpu_seconds(opt.pg_pid, true) : 0;
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.clients; ++i) threads.emplace_back(client);
  for (auto& t : threads) t.join();
  double hub_seconds = seconds_since(t0);
  double hub_cpu = cpu_seconds(opt.hub_pid, false) - hub_cpu0;
  double pg_cpu = opt.pg_pid ? cpu_seconds(opt.pg_pid, true) - pg_cpu0 : 0;
  std::string hwm = status_line(opt.hub_pid, "VmHWM");
  std::string rss = status_line(opt.hub_pid, "VmRSS");
  if (!first_error.empty()) fail(first_error);
  const auto written1 = written();
  double wal_bytes = 0;
  {
    pqxx::connection c(opt.postgres_url);
    pqxx::nontransaction tx(c);
    wal_bytes = tx.exec_params1("select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)", written1.first, written0.first)[0]
                    .as<double>();
  }
  const double db_growth = static_cast<double>(written1.second - written0.second);
  if (accepted_total != vendor_records) fail("only " + std::to_string(accepted_total) + " records stored");
  double hub_rps = vendor_records / hub_seconds;

  // ---- COPY of the same canonical rows ----
  pqxx::connection conn(opt.postgres_url);
  long long students_stored = 0, dups_linked = 0, dups_resolved = 0;
  std::vector<std::tuple<std::string, std::string, std::string, std::string, std::string>> rows;
  {
    pqxx::work tx(conn);
    std::string students = tx.exec1("select count(*) from golden_record where entity = 'student'")[0].c_str();
    students_stored = std::stoll(students);
    // Every child once; a duplicate that went to review is stored on its own (one more student).
    if (students_stored < opt.records || students_stored > opt.records + review_total)
      fail("the hub holds " + students + " students for " + std::to_string(opt.records) + " children and " +
           std::to_string(review_total) + " review results");
    // Ground truth of the duplicates: BENCH-<n> and HB-<n> are the same child.
    auto q = tx.exec1(
        "select count(*), count(*) filter (where a.record_id = t.record_id) from source_link t"
        " join source_link a on a.partner_id = (select id from partner where name = 'demo-admissions')"
        "   and a.entity = 'student' and a.source_id = 'BENCH-' || substr(t.source_id, 4)"
        " where t.partner_id = (select id from partner where name = 'demo-transcripts') and t.entity = 'student'");
    dups_linked = q[0].as<long long>();
    dups_resolved = q[1].as<long long>();
    for (const auto& r : tx.exec("select id::text, entity, version::text, data::text, lineage::text from golden_record"
                                 " where entity <> 'school'"))
      rows.emplace_back(r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str());
    tx.commit();
  }
  std::size_t row_bytes = 0;
  for (const auto& r : rows) row_bytes += std::get<3>(r).size() + std::get<4>(r).size();
  std::vector<double> copy_seconds;
  for (int rep = 0; rep < opt.copy_repeats; ++rep) {
    {
      pqxx::work tx(conn);
      tx.exec("drop table if exists bench_copy");
      tx.exec("create table bench_copy (like golden_record including all)");
      tx.commit();
    }
    checkpoint(opt.postgres_url);
    auto c0 = Clock::now();
    {
      pqxx::work tx(conn);
      pqxx::stream_to copy(tx, "bench_copy", std::vector<std::string>{"id", "entity", "version", "data", "lineage"});
      for (const auto& r : rows) copy << r;
      copy.complete();
      tx.commit();
    }
    copy_seconds.push_back(seconds_since(c0));
    pqxx::work tx(conn);
    if (tx.exec1("select count(*) from bench_copy")[0].as<long long>() != static_cast<long long>(rows.size()))
      fail("COPY did not store every row");
    tx.exec("drop table bench_copy");
    tx.commit();
  }
  double copy_rps = vendor_records / median(copy_seconds);

  std::printf("\n%-34s %12s %12s\n", "", "seconds", "records/s");
  std::printf("%-34s %12.2f %12.0f\n", "hub: POST /v1/ingest (wall)", hub_seconds, hub_rps);
  for (std::size_t i = 0; i < copy_seconds.size(); ++i)
    std::printf("%-34s %12.2f %12.0f\n", ("COPY, run " + std::to_string(i + 1)).c_str(), copy_seconds[i],
                vendor_records / copy_seconds[i]);
  std::printf("%-34s %12.2f %12.0f\n", "COPY (median)", median(copy_seconds), copy_rps);
  std::printf("\ncanonical rows copied: %zu (%.1f MB of data + lineage JSON) for %lld vendor records\n", rows.size(),
              row_bytes / 1e6, vendor_records);
  std::printf("results: %lld accepted, %lld merged, %lld review (doubtful matches of entity resolution, stored on their own)\n",
              accepted_total - review_total - merged_total, merged_total, review_total);
  std::printf("students stored: %lld for %d children; true duplicates resolved to the same student: %lld of %lld\n",
              students_stored, opt.records, dups_resolved, dups_linked);
  std::printf("latency per request of up to %d records: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu batches)\n", opt.batch,
              percentile(latencies, 50), percentile(latencies, 99), percentile(latencies, 100), latencies.size());
  std::printf("CPU during the hub phase: hub %.1f s (%.0f us per record), PostgreSQL %.1f s%s (%.0f us per record)\n",
              hub_cpu, 1e6 * hub_cpu / vendor_records, pg_cpu, opt.pg_pid ? "" : " (not measured)",
              1e6 * pg_cpu / vendor_records);
  std::printf("PostgreSQL writes during the hub phase: WAL %.1f MB (%.0f bytes per record), database grew %.1f MB (%.0f bytes per record)\n",
              wal_bytes / 1e6, wal_bytes / vendor_records, db_growth / 1e6, db_growth / vendor_records);
  // The bounds for pg_waldump, which splits the phase's WAL by table and index (docs/benchmarks.md).
  std::printf("WAL of the hub phase: from %s to %s\n", written0.first.c_str(), written1.first.c_str());
  std::printf("hub peak memory VmHWM: %s (VmRSS at the end %s)\n", hwm.c_str(), rss.c_str());
  double ratio = 100 * hub_rps / copy_rps;
  std::printf("ratio hub / COPY: %.2f%% (target >= 30%%): %s\n", ratio, ratio >= 30 ? "PASS" : "FAIL");
  curl_global_cleanup();
  return 0;
}
