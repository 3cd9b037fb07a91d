#include "connectors/http/http_sink.h"

#include <curl/curl.h>

#include <charconv>
#include <chrono>
#include <cstdlib>

#include "hub/common/crypto.h"
#include "hub/common/json.h"

namespace hub::connectors {
namespace {

size_t keep_some(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->size() < 512) s->append(data, std::min<size_t>(size * n, 512 - s->size()));
  return size * n;
}

class HttpSink : public Sink {
 public:
  HttpSink(std::string consumer, std::string url, std::string auth, std::string secret, long connect_ms, long timeout_ms)
      : consumer_(std::move(consumer)), url_(std::move(url)), auth_(std::move(auth)), secret_(std::move(secret)),
        connect_ms_(connect_ms), timeout_ms_(timeout_ms), curl_(curl_easy_init()) {}
  ~HttpSink() override { curl_easy_cleanup(curl_); }

  SendResult send(const Batch& b) override {
    json::JsonWriter w;
    w.begin_object().kv("consumer", b.consumer).kv("first_seq", b.first_seq).kv("last_seq", b.last_seq)
        .kv("idempotency_key", b.idempotency_key).key("changes").begin_array();
    for (const auto& c : b.changes) w.raw(c);
    w.end_array().end_object();
    std::string body = w.str();

    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, ("Idempotency-Key: " + b.idempotency_key).c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    if (auth_ == "bearer") {
      headers = curl_slist_append(headers, ("Authorization: Bearer " + secret_).c_str());
    } else if (auth_ == "hmac") {
      std::string ts = std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
      headers = curl_slist_append(headers, ("X-Hub-Timestamp: " + ts).c_str());
      headers = curl_slist_append(headers, ("X-Hub-Signature: " + http_signature(secret_, ts, body)).c_str());
    }
    std::string response;
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, connect_ms_);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, timeout_ms_);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, keep_some);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response);
    CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) return {SendOutcome::kRetry, std::string("HTTP request failed: ") + curl_easy_strerror(rc)};
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return {SendOutcome::kDelivered, ""};
    // The receiver's answer is not logged: it might echo data back.
    std::string error = "receiver answered HTTP " + std::to_string(status);
    if (status >= 500 || status == 408 || status == 429) return {SendOutcome::kRetry, error};
    return {SendOutcome::kRejected, error};
  }

  std::string describe() const override { return "http " + url_ + " (auth " + auth_ + ")"; }

 private:
  std::string consumer_, url_, auth_, secret_;
  long connect_ms_, timeout_ms_;
  CURL* curl_;
};

Result<long> ms_option(const SinkOptions& o, const std::string& key, long fallback) {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  long v = 0;
  auto r = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (r.ec != std::errc() || r.ptr != it->second.data() + it->second.size() || v < 1 || v > 3600000)
    return make_error("sink.options", key + " must be a number of milliseconds from 1 to 3600000", key);
  return v;
}

}  // namespace

std::string http_signature(const std::string& secret, const std::string& timestamp, const std::string& body) {
  return "sha256=" + crypto::to_hex(crypto::hmac_sha256(secret, timestamp + "." + body));
}

Result<std::unique_ptr<Sink>> make_http_sink(const std::string& consumer, const SinkOptions& options) {
  for (const auto& [k, v] : options)
    if (k != "url" && k != "auth" && k != "secret_env" && k != "connect_timeout_ms" && k != "timeout_ms")
      return make_error("sink.options", "unknown http sink option '" + k + "'", k);
  auto url = options.find("url");
  if (url == options.end() || (url->second.rfind("http://", 0) != 0 && url->second.rfind("https://", 0) != 0))
    return make_error("sink.options", "the http sink needs url: http://... or https://...", "url");
  std::string auth = options.count("auth") ? options.at("auth") : "hmac";
  if (auth != "bearer" && auth != "hmac" && auth != "none")
    return make_error("sink.options", "auth must be bearer, hmac or none", "auth");
  std::string secret;
  if (auth != "none") {
    auto env = options.find("secret_env");
    if (env == options.end() || env->second.empty())
      return make_error("sink.options", "auth " + auth + " needs secret_env, the variable holding the secret", "secret_env");
    const char* v = std::getenv(env->second.c_str());
    if (!v || !*v)
      return make_error("sink.options", "the environment variable " + env->second + " (secret_env) is not set", "secret_env");
    secret = v;
  }
  auto connect = ms_option(options, "connect_timeout_ms", 2000);
  if (!connect) return connect.error();
  auto timeout = ms_option(options, "timeout_ms", 15000);
  if (!timeout) return timeout.error();
  return std::unique_ptr<Sink>(new HttpSink(consumer, url->second, auth, secret, *connect, *timeout));
}

}  // namespace hub::connectors
