#include "hub/common/json.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstring>

namespace hub::json {
namespace {

// Length of the well-formed UTF-8 sequence at p[0..n) (Unicode table 3-7), 0 when malformed.
// p[0] >= 0x80.
std::size_t utf8_sequence(const unsigned char* p, std::size_t n) {
  unsigned char b = p[0];
  auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < n && p[i] >= lo && p[i] <= hi;
  };
  if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
  if (b == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (b == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
  if (b == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xF1 && b <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

template <bool kNulIsBad>
std::size_t find_bad(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time (nearly all text the hub sees is mostly ASCII).
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      if (kNulIsBad && ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull)) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char b = p[i];
    if (b < 0x80) {
      if (kNulIsBad && b == 0) return i;
      ++i;
      continue;
    }
    std::size_t len = utf8_sequence(p + i, n - i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Whether a number that std::from_chars found out of a double's range is too big (rather than
// too small, which reads as zero): its decimal exponent, counted from its first significant
// digit, is positive.
bool beyond_double(std::string_view t) {
  long long exponent = 0;
  std::size_t e = t.find_first_of("eE");
  if (e != std::string_view::npos) {
    std::size_t i = e + 1;
    bool negative = i < t.size() && t[i] == '-';
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    for (; i < t.size() && exponent < 100000; ++i) exponent = exponent * 10 + (t[i] - '0');
    if (negative) exponent = -exponent;
  }
  std::string_view mantissa = t.substr(0, e);
  std::size_t dot = mantissa.find('.');
  std::string_view whole = mantissa.substr(0, dot);
  std::size_t first = whole.find_first_not_of("-0");
  if (first != std::string_view::npos) return exponent + static_cast<long long>(whole.size() - first) > 0;
  return false;  // 0.000ddd: a negative magnitude whatever a small positive exponent adds
}

// Forwards SAX events to the document being built, refusing containers beyond the depth limit
// (so the parse stops there), counting strings and names with bad text, and converting numbers
// itself. RapidJSON 1.1.0's full-precision conversion reads a zero with a large exponent
// wrongly (0e202 became 5.02e58), so numbers arrive as text and std::from_chars (correctly
// rounded) turns them into the same types RapidJSON would choose: Int/Uint/Int64/Uint64 for
// integers that fit, Double otherwise.
template <class Inner, class Stream>
class GuardedHandler {
 public:
  GuardedHandler(Inner& inner, const Stream& stream, int max_depth)
      : inner_(inner), stream_(stream), max_depth_(max_depth) {}

  bool Null() { return inner_.Null(); }
  bool Bool(bool b) { return inner_.Bool(b); }
  bool Int(int i) { return inner_.Int(i); }
  bool Uint(unsigned u) { return inner_.Uint(u); }
  bool Int64(int64_t i) { return inner_.Int64(i); }
  bool Uint64(uint64_t u) { return inner_.Uint64(u); }
  bool Double(double d) { return inner_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    const char* end = s + n;
    if (std::find_if(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == end) {
      if (*s == '-') {
        int64_t i;
        if (std::from_chars(s, end, i).ec == std::errc())
          return i >= INT32_MIN ? inner_.Int(static_cast<int>(i)) : inner_.Int64(i);
      } else {
        uint64_t u;
        if (std::from_chars(s, end, u).ec == std::errc())
          return u <= UINT32_MAX ? inner_.Uint(static_cast<unsigned>(u)) : inner_.Uint64(u);
      }
      // Beyond 64 bits: a double, as RapidJSON does.
    }
    double d = 0;
    auto r = std::from_chars(s, end, d);
    if (r.ec == std::errc::result_out_of_range) {
      if (beyond_double({s, n})) {
        number_too_big_at_ = stream_.Tell() - n;
        return false;
      }
      d = *s == '-' ? -0.0 : 0.0;
    } else if (r.ec != std::errc() || r.ptr != end) {
      number_too_big_at_ = stream_.Tell() - n;  // not reached: the reader checked the syntax
      return false;
    }
    return inner_.Double(d);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    check(s, n);
    return inner_.String(s, n, copy);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    check(s, n);
    return inner_.Key(s, n, copy);
  }
  bool StartObject() { return enter() && inner_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return inner_.EndObject(members);
  }
  bool StartArray() { return enter() && inner_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return inner_.EndArray(elements);
  }

  bool too_deep() const { return too_deep_; }
  std::size_t bad_text() const { return bad_text_; }
  // Offset of a number too big for a double, or npos.
  std::size_t number_too_big_at() const { return number_too_big_at_; }

 private:
  bool enter() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    return false;
  }
  void check(const char* s, rapidjson::SizeType n) {
    if (find_bad<true>(std::string_view(s, n)) != std::string_view::npos) ++bad_text_;
  }

  Inner& inner_;
  const Stream& stream_;
  const int max_depth_;
  std::size_t number_too_big_at_ = std::string_view::npos;
  int depth_ = 0;
  bool too_deep_ = false;
  std::size_t bad_text_ = 0;
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseNumbersAsStringsFlag;

}  // namespace

std::size_t find_invalid_utf8(std::string_view s) { return find_bad<false>(s); }
std::size_t find_bad_text(std::string_view s) { return find_bad<true>(s); }

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  while (!s.empty()) {
    std::size_t bad = find_invalid_utf8(s);
    if (bad == std::string_view::npos) {
      out.append(s);
      break;
    }
    out.append(s.substr(0, bad));
    out.append("\xEF\xBF\xBD");  // U+FFFD
    s.remove_prefix(bad + 1);
  }
  return out;
}

std::string bad_text_reason(std::string_view s) {
  std::size_t at = find_bad_text(s);
  if (at == std::string_view::npos) return "is valid text";
  if (s[at] == '\0') return "holds a NUL character (\\u0000) at byte " + std::to_string(at);
  return "is not valid UTF-8 (malformed byte at " + std::to_string(at) + ")";
}

Result<ParseStats> DocumentParser::parse(std::string_view text, rapidjson::Document& doc) {
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);  // skips a BOM
  rapidjson::ParseResult result;
  bool too_deep = false;
  ParseStats stats;
  auto generate = [&](rapidjson::Document& d) {
    GuardedHandler<rapidjson::Document, decltype(is)> handler(d, is, max_depth_);
    result = reader_.Parse<kParseFlags>(is, handler);
    too_deep = handler.too_deep();
    stats.bad_text = handler.bad_text();
    if (std::size_t at = handler.number_too_big_at(); at != std::string_view::npos)
      result.Set(rapidjson::kParseErrorNumberTooBig, at);
    return !result.IsError();
  };
  doc.Populate(generate);
  std::size_t at = result.IsError() ? result.Offset() : is.Tell();
  auto nul_note = [&](std::size_t pos) {
    return pos < text.size() && text[pos] == '\0' ? std::string(" (a NUL byte, which JSON allows only escaped in a string)")
                                                  : std::string();
  };
  if (too_deep) {
    Error e = make_error("request.too_deep",
                         "the JSON nests arrays and objects more than " + std::to_string(max_depth_) +
                             " levels deep (at byte " + std::to_string(at) + "); the limit is json.max_depth");
    e.offset = at;
    return e;
  }
  if (result.IsError()) {
    Error e = make_error("request.malformed_json", std::string(kMalformedPrefix) +
                                                       rapidjson::GetParseError_En(result.Code()) + " at byte " +
                                                       std::to_string(at) + nul_note(at));
    e.offset = at;
    return e;
  }
  while (at < text.size() && is_blank(text[at])) ++at;
  if (at < text.size()) {
    Error e = make_error("request.malformed_json", std::string(kMalformedPrefix) + "data after the JSON value at byte " +
                                                       std::to_string(at) + nul_note(at));
    e.offset = at;
    return e;
  }
  return stats;
}

bool BadTextFinder::next() {
  hit_ = nullptr;
  hit_is_root_ = false;
  hit_is_name_ = false;
  if (!started_) {
    started_ = true;
    if (root_->IsString()) {
      if (find_bad_text({root_->GetString(), root_->GetStringLength()}) != std::string_view::npos) {
        hit_ = root_;
        hit_is_root_ = true;
        return true;
      }
      return false;
    }
    if (root_->IsObject() || root_->IsArray()) stack_.push_back({root_});
  }
  auto bad = [](const rapidjson::Value& s) {
    return find_bad_text({s.GetString(), s.GetStringLength()}) != std::string_view::npos;
  };
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    const rapidjson::Value* child = nullptr;
    if (f.value->IsObject()) {
      if (f.next >= f.value->MemberCount()) {
        stack_.pop_back();
        continue;
      }
      const auto& member = f.value->MemberBegin()[f.next];
      f.current = f.next;
      if (!f.name_checked) {
        f.name_checked = true;
        if (bad(member.name)) {
          hit_ = &member.name;
          hit_is_name_ = true;
          return true;
        }
      }
      f.name_checked = false;
      ++f.next;
      child = &member.value;
    } else {
      if (f.next >= f.value->Size()) {
        stack_.pop_back();
        continue;
      }
      f.current = f.next;
      child = &(*f.value)[f.next++];
    }
    if (child->IsString()) {
      if (bad(*child)) {
        hit_ = child;
        return true;
      }
    } else if (child->IsObject() || child->IsArray()) {
      stack_.push_back({child});
    }
  }
  return false;
}

std::string BadTextFinder::relative_path() const {
  std::string out;
  if (hit_is_root_) return out;
  for (const Frame& f : stack_) {
    if (f.value->IsObject()) {
      const auto& name = f.value->MemberBegin()[f.current].name;
      append_normalized_name(out, {name.GetString(), name.GetStringLength()});
    } else {
      out += '[';
      out += std::to_string(f.current);
      out += ']';
    }
  }
  return out;
}

std::string_view BadTextFinder::text() const {
  return hit_ ? std::string_view(hit_->GetString(), hit_->GetStringLength()) : std::string_view();
}

std::vector<const rapidjson::Value*> BadTextFinder::holders() const {
  std::vector<const rapidjson::Value*> out;
  if (!hit_) return out;
  if (!hit_is_name_) out.push_back(hit_);
  if (hit_is_root_) return out;
  for (auto f = stack_.rbegin(); f != stack_.rend(); ++f) out.push_back(f->value);
  return out;
}

void append_normalized_name(std::string& out, std::string_view name) {
  static const char kHex[] = "0123456789abcdef";
  // Names with nothing to escape (nearly all of them) are copied whole: the mapping engine
  // spells a path for every record it maps.
  if (std::none_of(name.begin(), name.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == '\'' || c == '\\' || c >= 0x80;
      })) {
    out += "['";
    out += name;
    out += "']";
    return;
  }
  std::string valid;
  if (find_invalid_utf8(name) != std::string_view::npos) {
    valid = to_valid_utf8(name);
    name = valid;
  }
  out += "['";
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += "']";
}

void JsonWriter::string(std::string_view s, bool is_key) {
  std::string valid;
  if (find_invalid_utf8(s) != std::string_view::npos) {
    valid = to_valid_utf8(s);
    s = valid;
  }
  if (is_key)
    writer_.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  else
    writer_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

JsonWriter& JsonWriter::value(const rapidjson::Value& root) {
  const std::size_t base = stack_.size();
  const rapidjson::Value* v = &root;
  for (;;) {
    if (v) {
      switch (v->GetType()) {
        case rapidjson::kNullType: writer_.Null(); break;
        case rapidjson::kFalseType: writer_.Bool(false); break;
        case rapidjson::kTrueType: writer_.Bool(true); break;
        case rapidjson::kStringType: string({v->GetString(), v->GetStringLength()}, false); break;
        case rapidjson::kNumberType:
          if (v->IsDouble()) writer_.Double(v->GetDouble());
          else if (v->IsInt()) writer_.Int(v->GetInt());
          else if (v->IsUint()) writer_.Uint(v->GetUint());
          else if (v->IsInt64()) writer_.Int64(v->GetInt64());
          else writer_.Uint64(v->GetUint64());
          break;
        case rapidjson::kObjectType:
          writer_.StartObject();
          stack_.push_back({v, 0});
          break;
        case rapidjson::kArrayType:
          writer_.StartArray();
          stack_.push_back({v, 0});
          break;
      }
      v = nullptr;
    }
    if (stack_.size() == base) break;
    Frame& f = stack_.back();
    if (f.value->IsObject()) {
      if (f.next == f.value->MemberCount()) {
        writer_.EndObject(f.next);
        stack_.pop_back();
        continue;
      }
      const auto& member = f.value->MemberBegin()[f.next++];
      string({member.name.GetString(), member.name.GetStringLength()}, true);
      v = &member.value;
    } else {
      if (f.next == f.value->Size()) {
        writer_.EndArray(f.next);
        stack_.pop_back();
        continue;
      }
      v = &(*f.value)[f.next++];
    }
  }
  return *this;
}

std::string string_array(const std::vector<std::string>& list) {
  JsonWriter w;
  w.strings(list);
  return w.str();
}

std::vector<std::string> parse_string_array(std::string_view text) {
  rapidjson::Document d;
  std::vector<std::string> out;
  if (!parse(text, d) || !d.IsArray()) return out;
  for (const auto& v : d.GetArray())
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

std::string to_string(const rapidjson::Value& v) {
  JsonWriter w;
  w.value(v);
  return w.str();
}

}  // namespace hub::json
