#pragma once
// JSON helpers on RapidJSON: the one parser of documents that come from outside (request
// bodies, NDJSON lines, stored payloads, files given to hubctl), a small writer for responses
// and logs, and converters for the string arrays kept in PostgreSQL jsonb columns. Functions
// are thread-safe; a JsonWriter or a DocumentParser is used by one thread at a time.

#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/common/result.h"

namespace hub::json {

// ---- text -----------------------------------------------------------------------------------

// Byte offset of the first byte of `s` that is not part of well-formed UTF-8 (overlong forms,
// surrogates, code points above U+10FFFF and cut sequences are malformed); npos when none.
std::size_t find_invalid_utf8(std::string_view s);
// Like find_invalid_utf8, and a NUL character counts as bad too: text the hub stores must be
// valid UTF-8 without NUL (PostgreSQL text and jsonb refuse both).
std::size_t find_bad_text(std::string_view s);
// `s` with every malformed byte replaced by U+FFFD, for echoing text the hub did not check.
std::string to_valid_utf8(std::string_view s);
// Why find_bad_text refused `s`, for messages: "holds a NUL character (\u0000) at byte 3".
std::string bad_text_reason(std::string_view s);

// ---- parsing documents that come from outside ------------------------------------------------

// Nesting allowed by default (json.max_depth in config/hub.yaml): arrays and objects inside
// each other, the outermost counting as 1.
constexpr int kDefaultMaxDepth = 64;
constexpr std::string_view kMalformedPrefix = "the body is not valid JSON: ";

// What a successful parse noticed.
struct ParseStats {
  // Strings and member names that hold a NUL character or are not valid UTF-8. They are kept
  // as sent; the caller decides whether that refuses a record or the whole document.
  std::size_t bad_text = 0;
};

// Parses one JSON text into a rapidjson::Document:
// - never recursively (RapidJSON's iterative parser), and nesting deeper than `max_depth` stops
//   the parse at the first container too many ("request.too_deep"), so every later walk of the
//   document (JSONPath, writers, hashing) is bounded by that depth;
// - the whole text must be one JSON value: data after it, a NUL byte included, is an error
//   ("request.malformed_json", like any syntax error), never silently ignored;
// - numbers are converted exactly (std::from_chars, not RapidJSON's conversion: json.cpp says
//   why), to the types RapidJSON gives them; strings and names are checked with find_bad_text
//   on the way.
// Errors carry the byte offset; the message of a syntax error starts with kMalformedPrefix.
// Reuses its buffers from one parse to the next.
class DocumentParser {
 public:
  explicit DocumentParser(int max_depth = kDefaultMaxDepth) : max_depth_(max_depth) {}
  // On failure `doc` holds whatever it held before (null for a new document).
  Result<ParseStats> parse(std::string_view text, rapidjson::Document& doc);
  int max_depth() const { return max_depth_; }

 private:
  int max_depth_;
  rapidjson::Reader reader_;
};

inline Result<ParseStats> parse(std::string_view text, rapidjson::Document& doc,
                                int max_depth = kDefaultMaxDepth) {
  return DocumentParser(max_depth).parse(text, doc);
}

// The strings and member names at or below a value that find_bad_text refuses, one after the
// other in document order, found without recursion (a document may be as deep as its parse
// allowed). Only worth running when ParseStats::bad_text says there is one.
class BadTextFinder {
 public:
  explicit BadTextFinder(const rapidjson::Value& root) : root_(&root) {}
  // Moves to the next bad string or member name; false when there is none left.
  bool next();
  // Where it is, as a normalized path relative to the root ("" for the root itself, else
  // "['a'][0]..."): append it to the root's own path. Malformed bytes of member names are
  // shown as U+FFFD.
  std::string relative_path() const;
  std::string_view text() const;
  bool is_name() const { return hit_is_name_; }  // a member name, not a string value
  // The bad string and the values holding it, innermost first: a bad member name is held by
  // its object and that object's holders.
  std::vector<const rapidjson::Value*> holders() const;

 private:
  struct Frame {
    const rapidjson::Value* value;
    rapidjson::SizeType next = 0;     // next child to visit
    rapidjson::SizeType current = 0;  // child last visited (its index or member position)
    bool name_checked = false;        // the name of member `next` was checked already
  };
  const rapidjson::Value* root_;
  bool started_ = false;
  std::vector<Frame> stack_;
  const rapidjson::Value* hit_ = nullptr;  // the bad string value or member name
  bool hit_is_root_ = false;
  bool hit_is_name_ = false;
};

// The normalized-path spelling of a member name (RFC 9535 section 2.7), e.g. a'b -> ['a\'b'];
// malformed UTF-8 is shown as U+FFFD.
void append_normalized_name(std::string& out, std::string_view name);

// ---- writing --------------------------------------------------------------------------------

// Wraps rapidjson::Writer with a chainable key/value API:
//   JsonWriter w; w.begin_object().kv("a", 1).key("b").begin_array()...; w.str()
// Its output is always valid UTF-8 JSON: malformed bytes in text it is given (a request path,
// a partner's value echoed in a message) are written as U+FFFD.
class JsonWriter {
 public:
  JsonWriter() : writer_(buffer_) {}
  JsonWriter& begin_object() { writer_.StartObject(); return *this; }
  JsonWriter& end_object() { writer_.EndObject(); return *this; }
  JsonWriter& begin_array() { writer_.StartArray(); return *this; }
  JsonWriter& end_array() { writer_.EndArray(); return *this; }
  JsonWriter& key(std::string_view k) { string(k, true); return *this; }
  JsonWriter& value(std::string_view v) { string(v, false); return *this; }
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(const std::string& v) { return value(std::string_view(v)); }
  JsonWriter& value(bool v) { writer_.Bool(v); return *this; }
  JsonWriter& value(int v) { writer_.Int(v); return *this; }
  JsonWriter& value(long v) { writer_.Int64(v); return *this; }
  JsonWriter& value(long long v) { writer_.Int64(v); return *this; }
  JsonWriter& value(unsigned long v) { writer_.Uint64(v); return *this; }
  JsonWriter& value(double v) { writer_.Double(v); return *this; }
  JsonWriter& null() { writer_.Null(); return *this; }
  // Writes a whole value without recursion (canonical records, content hashes, profiles).
  JsonWriter& value(const rapidjson::Value& v);
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
  void string(std::string_view s, bool is_key);

  struct Frame {
    const rapidjson::Value* value;
    rapidjson::SizeType next;
  };
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
  std::vector<Frame> stack_;  // value(const rapidjson::Value&)'s, kept for the next call
};

std::string string_array(const std::vector<std::string>& list);
// Parses a JSON array of strings (as stored in jsonb); non-strings are skipped.
std::vector<std::string> parse_string_array(std::string_view json);
std::string to_string(const rapidjson::Value& v);

}  // namespace hub::json
