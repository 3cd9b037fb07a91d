#pragma once
// Support for integration tests (*_db_test.cpp): the project's real PostgreSQL and Redis
// (scripts/services.sh start, variables HUB_TEST_POSTGRES_URL / HUB_TEST_REDIS_URL), real hub and
// hubctl processes on free ports, and a small libcurl HTTP client. Not thread-safe: tests run
// one at a time (RUN_SERIAL).

#include <rapidjson/document.h>

#include <map>
#include <string>
#include <vector>

namespace hub::test {

std::string postgres_url();  // the test database (wiped by reset_database)
std::string redis_url();     // the test Redis database (flushed by reset_database)
// Drops every table of the test database, flushes the test Redis db, applies migrations.
void reset_database();
// Runs SQL on the test database and returns the first column of the first row ("" if none).
std::string sql_value(const std::string& sql);
void sql_exec(const std::string& sql);

int free_port();

// The source tree's mappings/partners (sample payloads of the demo vendors).
extern const std::string kPartnersDir;
std::string read_file(const std::string& path);  // "" when it cannot be read
// `s` with its digits spelled as letters (0 -> a ... 9 -> j), for generated person names:
// mappings refuse digits in a name.
std::string spelled(std::string s);
rapidjson::Document parse_json(const std::string& body);  // HasParseError() when malformed

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};
HttpResult http(const std::string& method, const std::string& url, const std::string& body = "",
                const std::vector<std::string>& headers = {}, long timeout_ms = 10000);
HttpResult get(const std::string& url, const std::string& token = "");

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs build/hubctl with the test database and Redis (plus `env` overrides).
CommandResult hubctl(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {});
// Adds a partner with hubctl and returns its token (the last line of stdout).
std::string add_partner(const std::string& name, const std::vector<std::string>& extra_args);

// A hub server process on a free port, stopped (SIGKILL) when destroyed.
class HubProcess {
 public:
  explicit HubProcess(std::map<std::string, std::string> env = {});
  ~HubProcess();
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  // Starts and waits for /healthz; false (with the log kept) if it did not come up.
  bool start();
  std::string url(const std::string& path = "") const;
  int port() const { return port_; }
  // Sends `signal` and waits for the exit; returns the exit status (or 128+signal).
  int stop(int signal, int timeout_ms = 35000);
  void send_signal(int signal);
  bool running();
  std::string log() const;  // everything the hub wrote to stderr/stdout so far
  int pid() const { return pid_; }
  // Starts the hub with this open-file limit (soft and hard), as on a host with a low ulimit.
  void set_open_file_limit(int limit) { open_file_limit_ = limit; }

 private:
  std::map<std::string, std::string> env_;
  int port_ = 0;
  int pid_ = -1;
  int open_file_limit_ = 0;
  std::string log_path_;
};

// An authorised JSON request to a hub; 60 s, since some tests push large documents.
HttpResult call(const HubProcess& hub, const std::string& method, const std::string& path, const std::string& token,
                const std::string& body = "");

// The ops partner's school list with the one demo school most tests enrol students in
// (HP-THCS-0012, Trường THCS Lê Chân, commune 11383).
extern const char* const kOneSchool;

// Resident memory of a process in KiB (VmRSS), 0 if it cannot be read.
long resident_kib(int pid);

// HAProxy in front of hub processes, as the documented deployment runs it: scripts/edge.sh with
// config/haproxy/, a run folder of its own and a free public port. Stopped when destroyed.
// `env` adds or overrides HUB_EDGE_* settings.
class EdgeProxy {
 public:
  explicit EdgeProxy(const std::vector<const HubProcess*>& hubs, std::map<std::string, std::string> env = {});
  ~EdgeProxy();
  EdgeProxy(const EdgeProxy&) = delete;
  EdgeProxy& operator=(const EdgeProxy&) = delete;

  bool start();  // false (with the script's output in log()) if HAProxy did not come up
  std::string url(const std::string& path = "") const;
  int port() const { return port_; }
  std::string log() const;

 private:
  std::map<std::string, std::string> env_;
  int port_ = 0;
  std::string run_dir_;
  std::string script_output_;
};

// Runs a process with extra environment and waits; for hub start-up failures and the like.
CommandResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env, int timeout_ms = 30000);

std::string binary(const std::string& name);  // path of build/<name>

// select count(*) from `from_clause` on the test database, e.g. "golden_record where ...".
std::string count_rows(const std::string& from_clause);
// Rows of the golden store's own tables (natural keys, source links, versions, profiles,
// blocks) that point at no golden record: those tables have no foreign keys (migrations 0008,
// 0009), so the tests check that the hub's writers keep them whole. "0" when all is well.
std::string dangling_rows();
// A push for the demo admissions portal (mappings/partners/demo-admissions) of `records`
// valid applicants of the demo school list, with source ids prefix + a number.
std::string admissions_payload(const std::string& prefix, int records);
// The same with names of letters only (digits spelled), so every record is accepted, and
// personal IDs numbered from `first_id`, so pushes with other ranges are other children.
std::string valid_admissions_payload(const std::string& prefix, int records, int first_id = 0);
// POST /v1/ingest/<feed> as the token's partner, with a minute's patience for big batches.
HttpResult push_feed(const HubProcess& hub, const std::string& token, const std::string& feed,
                     const std::string& body, const std::string& content_type = "application/json");

// The sample document of a demo partner's feed (mappings/partners/<partner>/samples/<feed>.json).
std::string demo_sample(const std::string& partner, const std::string& feed);
// The golden record a partner's source id of `entity` is linked to ("" if none).
std::string linked_record(const std::string& partner, const std::string& entity, const std::string& source_id);

// The demo ops partner (admin, ingest:school) and the Hải Phòng admissions portal (limited to
// province 31), with the demo school list pushed: the start of most tests of pushed students.
struct DemoPartners {
  std::string ops, admissions;
  HttpResult schools;  // the school list's push, for the test to require
};
DemoPartners demo_ops_and_admissions(const HubProcess& hub);

}  // namespace hub::test
