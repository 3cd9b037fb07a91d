#include "hub/common/json.h"

namespace hub::json {

std::string string_array(const std::vector<std::string>& list) {
  JsonWriter w;
  w.strings(list);
  return w.str();
}

std::vector<std::string> parse_string_array(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  std::vector<std::string> out;
  if (d.HasParseError() || !d.IsArray()) return out;
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
