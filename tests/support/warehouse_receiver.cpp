#include "tests/support/warehouse_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pqxx/pqxx>
#include <rapidjson/document.h>

#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>

#include "connectors/http/http_sink.h"
#include "hub/common/crypto.h"
#include "hub/common/json.h"

namespace hub::test {
namespace {

constexpr long long kMaxSkewSeconds = 300;

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string response(int status, const std::string& body) {
  const char* reason = status == 200 ? "OK" : status == 401 ? "Unauthorized" : status == 400 ? "Bad Request"
                       : status == 404 ? "Not Found" : "Service Unavailable";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

WarehouseReceiver::WarehouseReceiver(std::string postgres_url, std::string secret, std::string schema)
    : postgres_url_(std::move(postgres_url)), secret_(std::move(secret)), schema_(std::move(schema)) {}

WarehouseReceiver::~WarehouseReceiver() { stop(); }

std::string WarehouseReceiver::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/hub-changes"; }

void WarehouseReceiver::set_mode(Mode mode, int delay_ms) {
  mode_ = static_cast<int>(mode);
  delay_ms_ = delay_ms;
}

WarehouseReceiver::Counters WarehouseReceiver::counters() const {
  std::lock_guard<std::mutex> lock(counters_mu_);
  return counters_;
}

void WarehouseReceiver::clear() {
  std::lock_guard<std::mutex> lock(apply_mu_);
  pqxx::connection c(postgres_url_);
  pqxx::work tx(c);
  const std::string s = tx.quote_name(schema_);
  tx.exec("truncate " + s + ".batch, " + s + ".change, " + s + ".record");
  tx.commit();
  std::lock_guard<std::mutex> cl(counters_mu_);
  counters_ = Counters{};
}

void WarehouseReceiver::start(int port, bool fresh) {
  if (fresh) {
    pqxx::connection c(postgres_url_);
    pqxx::work tx(c);
    const std::string s = tx.quote_name(schema_);
    tx.exec("drop schema if exists " + s + " cascade");
    tx.exec("create schema " + s);
    tx.exec("create table " + s + ".batch (idempotency_key text primary key, first_seq bigint not null,"
            " last_seq bigint not null, changes int not null, deliveries int not null default 1,"
            " received_at timestamptz not null default clock_timestamp())");
    tx.exec("create table " + s + ".change (seq bigint primary key, entity text not null, record_id uuid not null,"
            " op text not null, version int not null, hub_at timestamptz not null,"
            " applied_at timestamptz not null default clock_timestamp())");
    tx.exec("create table " + s + ".record (entity text not null, id uuid not null, version int not null, data jsonb,"
            " valid_from date, valid_to date, deleted boolean not null default false, merged_into uuid,"
            " last_seq bigint not null, primary key (entity, id))");
    tx.commit();
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error(std::string("receiver cannot listen: ") + std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  stopping_ = false;
  acceptor_ = std::thread([this] { accept_loop(); });
}

void WarehouseReceiver::stop() {
  if (listen_fd_ < 0) return;
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::lock_guard<std::mutex> lock(threads_mu_);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void WarehouseReceiver::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(threads_mu_);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void WarehouseReceiver::serve(int fd) {
  std::string buf;
  char chunk[65536];
  auto read_more = [&]() {
    for (;;) {
      if (stopping_) return false;
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, 100);
      if (r == 0) continue;
      if (r < 0) return false;
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
      return true;
    }
  };
  for (;;) {
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!read_more()) goto done;
    {
      std::string head = buf.substr(0, head_end);
      std::map<std::string, std::string> headers;
      size_t line_end = head.find("\r\n");
      std::string request_line = head.substr(0, line_end);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string v = line.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.erase(0, 1);
          headers[lower(line.substr(0, colon))] = v;
        }
        pos = e + 2;
      }
      size_t length = headers.count("content-length") ? std::stoul(headers["content-length"]) : 0;
      while (buf.size() < head_end + 4 + length)
        if (!read_more()) goto done;
      std::string body = buf.substr(head_end + 4, length);
      buf.erase(0, head_end + 4 + length);

      std::string target = request_line.substr(request_line.find(' ') + 1);
      target = target.substr(0, target.find(' '));
      if (target.rfind("/control?", 0) == 0) {
        std::string q = target.substr(9);
        std::map<std::string, std::string> kv;
        size_t i = 0;
        while (i < q.size()) {
          size_t amp = q.find('&', i);
          std::string part = q.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
          auto eq = part.find('=');
          if (eq != std::string::npos) kv[part.substr(0, eq)] = part.substr(eq + 1);
          if (amp == std::string::npos) break;
          i = amp + 1;
        }
        static const std::map<std::string, Mode> kModes = {{"normal", Mode::kNormal}, {"5xx", Mode::kFail5xx},
                                                           {"slow", Mode::kSlow}, {"drop", Mode::kDrop},
                                                           {"drop_after_commit", Mode::kDropAfterCommit}};
        if (!kModes.count(kv["mode"])) {
          send_all(fd, response(400, R"({"error":"unknown mode"})"));
          continue;
        }
        set_mode(kModes.at(kv["mode"]), kv.count("ms") ? std::stoi(kv["ms"]) : 0);
        send_all(fd, response(200, R"({"ok":true})"));
        continue;
      }
      if (target != "/v1/hub-changes") {
        send_all(fd, response(404, R"({"error":"not found"})"));
        continue;
      }

      Mode mode = static_cast<Mode>(mode_.load());
      {
        std::lock_guard<std::mutex> lock(counters_mu_);
        ++counters_.requests;
        if (mode == Mode::kFail5xx || mode == Mode::kDrop) ++counters_.refused;
      }
      if (mode == Mode::kFail5xx) {
        send_all(fd, response(503, R"({"error":"receiver told to fail"})"));
        continue;
      }
      if (mode == Mode::kDrop) goto done;  // the request is read, no answer comes
      if (mode == Mode::kSlow && delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));

      // The signature covers the timestamp, so an old captured request cannot be replayed.
      std::string ts = headers["x-hub-timestamp"];
      std::string sig = headers["x-hub-signature"];
      long long now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      bool fresh = false;
      try {
        fresh = !ts.empty() && std::llabs(now - std::stoll(ts)) <= kMaxSkewSeconds;
      } catch (const std::exception&) {
      }
      if (!fresh || !crypto::constant_time_equal(sig, connectors::http_signature(secret_, ts, body))) {
        {
          std::lock_guard<std::mutex> lock(counters_mu_);
          ++counters_.bad_signatures;
        }
        send_all(fd, response(401, R"({"error":"bad signature"})"));
        continue;
      }
      bool committed = false;
      int status = 500;
      try {
        status = apply(body, committed);
      } catch (const std::exception& e) {
        status = 503;
      }
      if (committed && static_cast<Mode>(mode_.load()) == Mode::kDropAfterCommit) {
        std::lock_guard<std::mutex> lock(counters_mu_);
        ++counters_.refused;
        goto done;  // stored, but the hub never hears so: it must send again
      }
      if (!send_all(fd, response(status, status == 200 ? R"({"ok":true})" : R"({"error":"not stored"})"))) goto done;
    }
  }
done:
  ::close(fd);
}

int WarehouseReceiver::apply(const std::string& body, bool& committed) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  if (!d.IsObject() || !d.HasMember("changes") || !d["changes"].IsArray() || !d.HasMember("idempotency_key")) return 400;
  std::string key = d["idempotency_key"].GetString();
  std::string changes = json::to_string(d["changes"]);
  const std::string s = schema_;
  std::lock_guard<std::mutex> lock(apply_mu_);
  pqxx::connection c(postgres_url_);
  pqxx::work tx(c);
  auto b = tx.exec_params("insert into " + s + ".batch(idempotency_key, first_seq, last_seq, changes) values ($1, $2, $3, $4)"
                          " on conflict (idempotency_key) do update set deliveries = " + s + ".batch.deliveries + 1"
                          " returning deliveries",
                          key, d["first_seq"].GetInt64(), d["last_seq"].GetInt64(), static_cast<int>(d["changes"].Size()));
  bool duplicate_batch = b[0][0].as<int>() > 1;
  // Each change once: the seq is the key. Only changes new here touch the records.
  auto fresh = tx.exec_params(
      "insert into " + s + ".change(seq, entity, record_id, op, version, hub_at)"
      " select seq, entity, id, op, version, at from jsonb_to_recordset($1::jsonb)"
      " as c(seq bigint, entity text, id uuid, op text, version int, at timestamptz)"
      " on conflict (seq) do nothing returning seq",
      changes);
  std::string seqs = "{";
  for (const auto& r : fresh) seqs += (seqs.size() > 1 ? "," : "") + std::string(r[0].c_str());
  seqs += "}";
  auto moved = tx.exec_params(
      "with latest as (select distinct on (c.entity, c.id) c.* from jsonb_to_recordset($1::jsonb)"
      "   as c(seq bigint, entity text, id uuid, op text, version int, data jsonb, merged_into uuid,"
      "        valid_from date, valid_to date)"
      "   where c.seq = any($2::bigint[]) order by c.entity, c.id, c.seq desc)"
      " insert into " + s + ".record(entity, id, version, data, valid_from, valid_to, deleted, merged_into, last_seq)"
      " select entity, id, version, case when op in ('delete', 'merge') then null else data end, valid_from, valid_to,"
      "   op = 'delete', case when op = 'merge' then merged_into end, seq from latest"
      " on conflict (entity, id) do update set version = excluded.version, data = excluded.data,"
      "   valid_from = excluded.valid_from, valid_to = excluded.valid_to, deleted = excluded.deleted,"
      "   merged_into = excluded.merged_into, last_seq = excluded.last_seq"
      " where " + s + ".record.last_seq < excluded.last_seq",
      changes, seqs);
  auto distinct_records = tx.exec_params(
      "select count(distinct (c.entity, c.id)) from jsonb_to_recordset($1::jsonb) as c(seq bigint, entity text, id uuid)"
      " where c.seq = any($2::bigint[])",
      changes, seqs)[0][0].as<long long>();
  tx.commit();
  committed = true;
  std::lock_guard<std::mutex> cl(counters_mu_);
  if (duplicate_batch) ++counters_.duplicate_batches; else ++counters_.batches;
  counters_.changes += static_cast<long long>(fresh.size());
  counters_.duplicate_changes += static_cast<long long>(d["changes"].Size()) - static_cast<long long>(fresh.size());
  counters_.out_of_order += distinct_records - static_cast<long long>(moved.affected_rows());
  return 200;
}

}  // namespace hub::test
