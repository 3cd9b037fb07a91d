#include "tests/support/test_env.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pqxx/pqxx>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "hub/common/json.h"
#include "hub/common/redis.h"
#include "hub/store/migrations.h"

namespace hub::test {
namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string temp_path(const std::string& stem) {
  static int counter = 0;
  return "/tmp/hub-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" + stem;
}

// fork + exec with the environment extended by `env`; stdout/stderr to files. A positive
// `open_file_limit` sets RLIMIT_NOFILE (soft and hard) for the child.
int spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& out_path, const std::string& err_path, int open_file_limit = 0) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (open_file_limit > 0) {
      rlimit lim{static_cast<rlim_t>(open_file_limit), static_cast<rlim_t>(open_file_limit)};
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = err_path == out_path ? out : open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(int pid, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::map<std::string, std::string> service_env() {
  return {{"HUB_POSTGRES_URL", postgres_url()}, {"HUB_REDIS_URL", redis_url()},
          {"HUB_CONFIG", std::string(HUB_SOURCE_DIR) + "/config/hub.yaml"}};
}

size_t collect_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t collect_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return size * n;
}

}  // namespace

std::string postgres_url() {
  return env_or("HUB_TEST_POSTGRES_URL", "postgresql://hub:hub@127.0.0.1:55432/hub_test");
}
std::string redis_url() { return env_or("HUB_TEST_REDIS_URL", "redis://127.0.0.1:56379/1"); }

std::string binary(const std::string& name) { return std::string(HUB_BINARY_DIR) + "/" + name; }

void reset_database() {
  {
    pqxx::connection c(postgres_url());
    pqxx::work tx(c);
    tx.exec("drop schema if exists public cascade");
    tx.exec("create schema public");
    tx.commit();
  }
  RedisPool redis(redis_url(), 1, std::chrono::milliseconds(1000));
  redis.command({"FLUSHDB"});
  apply_migrations(postgres_url());
}

std::string sql_value(const std::string& sql) {
  pqxx::connection c(postgres_url());
  pqxx::work tx(c);
  auto r = tx.exec(sql);
  tx.commit();
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

void sql_exec(const std::string& sql) { sql_value(sql); }


const std::string kPartnersDir = std::string(HUB_SOURCE_DIR) + "/mappings/partners";

std::string spelled(std::string s) {
  for (char& c : s)
    if (c >= '0' && c <= '9') c = static_cast<char>('a' + (c - '0'));
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

rapidjson::Document parse_json(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

HttpResult http(const std::string& method, const std::string& url, const std::string& body,
                const std::vector<std::string>& headers, long timeout_ms) {
  HttpResult res;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &res.headers);
  if (curl_easy_perform(curl) == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    res.status = static_cast<int>(code);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return res;
}

HttpResult get(const std::string& url, const std::string& token) {
  std::vector<std::string> h;
  if (!token.empty()) h.push_back("Authorization: Bearer " + token);
  return http("GET", url, "", h);
}

CommandResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env, int timeout_ms) {
  CommandResult r;
  std::string out = temp_path("out"), err = temp_path("err");
  int pid = spawn(argv, env, out, err);
  r.exit_code = wait_exit(pid, timeout_ms);
  r.out = read_file(out);
  r.err = read_file(err);
  unlink(out.c_str());
  unlink(err.c_str());
  return r;
}

CommandResult hubctl(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {binary("hubctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto e = service_env();
  for (const auto& [k, v] : env) e[k] = v;
  return run_process(argv, e);
}

HttpResult call(const HubProcess& hub, const std::string& method, const std::string& path, const std::string& token,
                const std::string& body) {
  return http(method, hub.url(path), body, {"Authorization: Bearer " + token, "Content-Type: application/json"}, 60000);
}

const char* const kOneSchool = R"({"truong": [
  {"maTruong": "HP-THCS-0012", "tenTruong": "Trường THCS Lê Chân", "capHoc": "Trung học cơ sở", "loaiHinh": "Công lập", "maTinh": "31", "maXa": "11383"}]})";

std::string add_partner(const std::string& name, const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"partner", "add", name};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto r = hubctl(args);
  if (r.exit_code != 0) throw std::runtime_error("hubctl partner add failed: " + r.err);
  auto end = r.out.find_last_not_of('\n');
  auto start = r.out.rfind('\n', end);
  return r.out.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

HubProcess::HubProcess(std::map<std::string, std::string> env) : env_(service_env()) {
  for (auto& [k, v] : env) env_[k] = v;
  port_ = free_port();
  env_["HUB_LISTEN"] = "127.0.0.1:" + std::to_string(port_);
  if (!env_.count("HUB_LOG_LEVEL")) env_["HUB_LOG_LEVEL"] = "info";
  log_path_ = temp_path("hub.log");
}

HubProcess::~HubProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int st;
    waitpid(pid_, &st, 0);
  }
  unlink(log_path_.c_str());
}

bool HubProcess::start() {
  pid_ = spawn({binary("hub")}, env_, log_path_, log_path_, open_file_limit_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (http("GET", url("/healthz"), "", {}, 500).status == 200) return true;
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string HubProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HubProcess::send_signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int HubProcess::stop(int signal, int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int code = wait_exit(pid_, timeout_ms);
  pid_ = -1;
  return code;
}

bool HubProcess::running() {
  if (pid_ <= 0) return false;
  int st;
  if (waitpid(pid_, &st, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string HubProcess::log() const { return read_file(log_path_); }

std::string count_rows(const std::string& from_clause) {
  return sql_value("select count(*) from " + from_clause);
}

std::string dangling_rows() {
  std::string sum;
  for (const char* table : {"natural_key", "source_link", "record_version", "match_profile", "match_block"})
    sum += std::string(sum.empty() ? "" : " + ") + "(select count(*) from " + table +
           " t where not exists (select 1 from golden_record g where g.id = t.record_id))";
  // A version not dated like its change: the change feed finds a change's version in the month
  // of the change's `at` (hub/sync/change_feed.cpp), so a writer must date both alike.
  return sql_value("select " + sum + " + (select count(*) from source_link l"
                   " where not exists (select 1 from partner p where p.id = l.partner_id))"
                   " + (select count(*) from change_log c join record_version v"
                   "    on v.record_id = c.record_id and v.version = c.version where v.recorded_at <> c.at)");
}

HttpResult push_feed(const HubProcess& hub, const std::string& token, const std::string& feed,
                     const std::string& body, const std::string& content_type) {
  return http("POST", hub.url("/v1/ingest/" + feed), body,
              {"Authorization: Bearer " + token, "Content-Type: " + content_type}, 60000);
}

std::string demo_sample(const std::string& partner, const std::string& feed) {
  return read_file(kPartnersDir + "/" + partner + "/samples/" + feed + ".json");
}

std::string linked_record(const std::string& partner, const std::string& entity, const std::string& source_id) {
  return sql_value("select l.record_id::text from source_link l join partner p on p.id = l.partner_id"
                   " where p.name = '" + partner + "' and l.entity = '" + entity + "' and l.source_id = '" + source_id +
                   "'");
}

DemoPartners demo_ops_and_admissions(const HubProcess& hub) {
  DemoPartners p;
  p.ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  p.admissions = add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application",
                                                 "--unit", "province:31"});
  p.schools = push_feed(hub, p.ops, "schools", demo_sample("demo-ops", "schools"));
  return p;
}

std::string admissions_payload(const std::string& prefix, int records) {
  json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = 0; i < records; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    w.begin_object().kv("maHoSo", prefix + id).kv("hoTen", "Nguyễn Văn Số " + std::to_string(i))
        .kv("ngaySinh", std::to_string(1 + i % 28) + "/" + std::to_string(1 + i % 12) + "/2014")
        .kv("gioiTinh", "Nam").kv("danToc", "Kinh").kv("soDinhDanh", std::string("031214") + id)
        .key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11329").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string valid_admissions_payload(const std::string& prefix, int records, int first_id) {
  json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = 0; i < records; ++i) {
    int n = first_id + i;
    char id[16];
    std::snprintf(id, sizeof id, "%06d", n);
    w.begin_object().kv("maHoSo", prefix + id).kv("hoTen", "Nguyễn Văn " + spelled(id))
        .kv("ngaySinh", std::to_string(1 + n % 28) + "/" + std::to_string(1 + n % 12) + "/2014")
        .kv("gioiTinh", "Nam").kv("danToc", "Kinh").kv("soDinhDanh", std::string("031214") + id)
        .key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11329").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  return w.str();
}

long resident_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

EdgeProxy::EdgeProxy(const std::vector<const HubProcess*>& hubs, std::map<std::string, std::string> env) {
  port_ = free_port();
  run_dir_ = temp_path("edge");
  std::string backends;
  for (const auto* hub : hubs) backends += (backends.empty() ? "" : " ") + std::string("127.0.0.1:") + std::to_string(hub->port());
  env_ = {{"HUB_RUN_DIR", run_dir_},
          {"HUB_EDGE_LISTEN", "127.0.0.1:" + std::to_string(port_)},
          {"HUB_EDGE_BACKENDS", backends}};
  for (auto& [k, v] : env) env_[k] = v;
}

EdgeProxy::~EdgeProxy() {
  run_process({"/bin/bash", std::string(HUB_SOURCE_DIR) + "/scripts/edge.sh", "stop"}, env_);
  run_process({"/bin/rm", "-rf", run_dir_}, {});
}

bool EdgeProxy::start() {
  auto r = run_process({"/bin/bash", std::string(HUB_SOURCE_DIR) + "/scripts/edge.sh", "start"}, env_);
  script_output_ = r.out + r.err;
  if (r.exit_code != 0) return false;
  // Up when a probe goes through it to a hub.
  for (int i = 0; i < 100; ++i) {
    if (http("GET", url("/healthz"), "", {}, 500).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string EdgeProxy::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string EdgeProxy::log() const { return script_output_ + read_file(run_dir_ + "/haproxy/haproxy.log"); }

}  // namespace hub::test
