#include "hub/model/outcome.h"

#include <map>

namespace hub {

void write_entities(json::JsonWriter& w, const std::vector<std::pair<std::string, std::string>>& entities) {
  std::map<std::string, std::vector<std::string>> grouped;
  std::vector<std::string> order;
  for (const auto& [e, id] : entities) {
    if (!grouped.count(e)) order.push_back(e);
    grouped[e].push_back(id);
  }
  w.begin_object();
  for (const auto& e : order) {
    w.key(e);
    if (grouped[e].size() == 1) w.value(grouped[e][0]);
    else w.strings(grouped[e]);
  }
  w.end_object();
}

}  // namespace hub
