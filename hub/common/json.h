#pragma once
// JSON helpers on RapidJSON: a small writer for responses and logs, and converters for the
// string arrays kept in PostgreSQL jsonb columns. Functions are thread-safe; a JsonWriter is
// used by one thread.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <vector>

namespace hub::json {

// Wraps rapidjson::Writer with a chainable key/value API:
//   JsonWriter w; w.begin_object().kv("a", 1).key("b").begin_array()...; w.str()
class JsonWriter {
 public:
  JsonWriter() : writer_(buffer_) {}
  JsonWriter& begin_object() { writer_.StartObject(); return *this; }
  JsonWriter& end_object() { writer_.EndObject(); return *this; }
  JsonWriter& begin_array() { writer_.StartArray(); return *this; }
  JsonWriter& end_array() { writer_.EndArray(); return *this; }
  JsonWriter& key(std::string_view k) {
    writer_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
  }
  JsonWriter& value(std::string_view v) {
    writer_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(const std::string& v) { return value(std::string_view(v)); }
  JsonWriter& value(bool v) { writer_.Bool(v); return *this; }
  JsonWriter& value(int v) { writer_.Int(v); return *this; }
  JsonWriter& value(long v) { writer_.Int64(v); return *this; }
  JsonWriter& value(long long v) { writer_.Int64(v); return *this; }
  JsonWriter& value(unsigned long v) { writer_.Uint64(v); return *this; }
  JsonWriter& value(double v) { writer_.Double(v); return *this; }
  JsonWriter& null() { writer_.Null(); return *this; }
  JsonWriter& value(const rapidjson::Value& v) { v.Accept(writer_); return *this; }
  JsonWriter& strings(const std::vector<std::string>& list) {
    begin_array();
    for (const auto& s : list) value(s);
    return end_array();
  }
  // Inserts already-serialised JSON (trusted: produced by this program or PostgreSQL).
  JsonWriter& raw(std::string_view json) {
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
  }
  template <class T>
  JsonWriter& kv(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  std::string str() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

std::string string_array(const std::vector<std::string>& list);
// Parses a JSON array of strings (as stored in jsonb); non-strings are skipped.
std::vector<std::string> parse_string_array(std::string_view json);
std::string to_string(const rapidjson::Value& v);

}  // namespace hub::json
