#include "connectors/file/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hub/common/crypto.h"
#include "hub/common/json.h"

namespace hub::connectors {
namespace {

namespace fs = std::filesystem;

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

bool fsync_path(const std::string& path, bool dir) {
  int fd = ::open(path.c_str(), dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long long seq_of_line(std::string_view line) {
  rapidjson::Document d;
  d.Parse(line.data(), line.size());
  if (d.IsObject() && d.HasMember("seq") && d["seq"].IsInt64()) return d["seq"].GetInt64();
  return 0;
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

class FileSink : public Sink {
 public:
  FileSink(std::string dir, std::string prefix, long long max_bytes)
      : dir_(std::move(dir)), prefix_(std::move(prefix)), max_bytes_(max_bytes) {}
  ~FileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // Finds where the last run stopped: the manifest's last seq, and the open file's lines.
  std::string recover() {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return "cannot create " + dir_ + ": " + ec.message();
    std::istringstream manifest(read_all(manifest_path()));
    std::string line;
    while (std::getline(manifest, line)) {
      rapidjson::Document d;
      d.Parse(line.c_str());
      if (d.IsObject() && d.HasMember("last_seq")) last_seq_ = std::max<long long>(last_seq_, d["last_seq"].GetInt64());
    }
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string name = e.path().filename().string();
      if (name.rfind(prefix_ + "-", 0) != 0 || e.path().extension() != ".part") continue;
      std::string text = read_all(e.path().string());
      // A crash may have torn the last line: keep whole lines only.
      auto end = text.rfind('\n');
      size_t keep = end == std::string::npos ? 0 : end + 1;
      if (keep != text.size()) fs::resize_file(e.path(), keep, ec);
      std::string_view body(text.data(), keep);
      size_t start = 0;
      long long first = 0;
      lines_ = 0;
      while (start < body.size()) {
        size_t nl = body.find('\n', start);
        long long s = seq_of_line(body.substr(start, nl - start));
        if (!first) first = s;
        last_seq_ = std::max(last_seq_, s);
        ++lines_;
        start = nl + 1;
      }
      open_path_ = e.path().string();
      open_first_ = first;
      bytes_ = static_cast<long long>(keep);
    }
    return "";
  }

  SendResult send(const Batch& b) override {
    std::string out;
    long long first_new = 0, last_new = 0;
    int n = 0;
    for (size_t i = 0; i < b.changes.size(); ++i) {
      if (b.seqs[i] <= last_seq_) continue;  // written before a crash: once is enough
      if (!first_new) first_new = b.seqs[i];
      last_new = b.seqs[i];
      out += b.changes[i];
      out += '\n';
      ++n;
    }
    if (n == 0) return {SendOutcome::kDelivered, ""};
    if (fd_ < 0) {
      if (open_path_.empty()) {
        char name[64];
        std::snprintf(name, sizeof name, "-%020lld.ndjson.part", first_new);
        open_path_ = dir_ + "/" + prefix_ + name;
        open_first_ = first_new;
        bytes_ = 0;
        lines_ = 0;
      }
      fd_ = ::open(open_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      if (fd_ < 0) return {SendOutcome::kRetry, errno_text("cannot open", open_path_)};
      fsync_path(dir_, true);  // the new file's name must survive a crash too
    }
    if (!write_all(fd_, out) || ::fdatasync(fd_) != 0) {
      std::string e = errno_text("cannot write", open_path_);
      ::close(fd_);
      fd_ = -1;
      recover();  // forget a half-written batch's lines: the worker sends it again
      return {SendOutcome::kRetry, e};
    }
    bytes_ += static_cast<long long>(out.size());
    lines_ += n;
    last_seq_ = last_new;
    if (bytes_ >= max_bytes_) {
      std::string e = rotate();
      if (!e.empty()) return {SendOutcome::kRetry, e};
    }
    return {SendOutcome::kDelivered, ""};
  }

  std::string describe() const override { return "file " + dir_ + "/" + prefix_ + "-*.ndjson"; }

 private:
  std::string manifest_path() const { return dir_ + "/manifest.ndjson"; }

  std::string rotate() {
    if (::fsync(fd_) != 0) return errno_text("cannot fsync", open_path_);
    ::close(fd_);
    fd_ = -1;
    std::string closed = open_path_.substr(0, open_path_.size() - 5);  // drop ".part"
    if (::rename(open_path_.c_str(), closed.c_str()) != 0) return errno_text("cannot rename", open_path_);
    if (!fsync_path(dir_, true)) return errno_text("cannot fsync", dir_);
    json::JsonWriter w;
    w.begin_object().kv("file", fs::path(closed).filename().string()).kv("first_seq", open_first_)
        .kv("last_seq", last_seq_).kv("lines", lines_).kv("bytes", bytes_)
        .kv("sha256", crypto::to_hex(crypto::sha256(read_all(closed)))).kv("closed_at", now_iso()).end_object();
    int m = ::open(manifest_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (m < 0) return errno_text("cannot open", manifest_path());
    bool ok = write_all(m, w.str() + "\n") && ::fsync(m) == 0;
    ::close(m);
    if (!ok) return errno_text("cannot write", manifest_path());
    open_path_.clear();
    return "";
  }

  std::string dir_, prefix_;
  long long max_bytes_;
  int fd_ = -1;
  std::string open_path_;  // the .part file being written, if any
  long long open_first_ = 0, bytes_ = 0, lines_ = 0;
  long long last_seq_ = 0;  // highest seq written, in any file
};

}  // namespace

Result<std::unique_ptr<Sink>> make_file_sink(const std::string& consumer, const SinkOptions& options) {
  for (const auto& [k, v] : options)
    if (k != "dir" && k != "max_file_bytes" && k != "prefix")
      return make_error("sink.options", "unknown file sink option '" + k + "'", k);
  auto dir = options.find("dir");
  if (dir == options.end() || dir->second.empty())
    return make_error("sink.options", "the file sink needs dir: the folder to write to", "dir");
  long long max_bytes = 64LL << 20;
  if (auto m = options.find("max_file_bytes"); m != options.end()) {
    auto r = std::from_chars(m->second.data(), m->second.data() + m->second.size(), max_bytes);
    if (r.ec != std::errc() || r.ptr != m->second.data() + m->second.size() || max_bytes < 1)
      return make_error("sink.options", "max_file_bytes must be a positive number of bytes", "max_file_bytes");
  }
  std::string prefix = options.count("prefix") ? options.at("prefix") : "changes";
  if (prefix.empty() || prefix.find('/') != std::string::npos)
    return make_error("sink.options", "prefix must be a file name prefix without '/'", "prefix");
  auto sink = std::make_unique<FileSink>(dir->second, prefix, max_bytes);
  std::string e = sink->recover();
  if (!e.empty()) return make_error("sink.options", e, "dir");
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace hub::connectors
