#include "hub/http/router.h"

#include <algorithm>

#include "hub/common/scopes.h"
#include "hub/http/problem.h"

namespace hub {

void HttpRequest::require_scope(const std::string& scope) const {
  if (!principal || !has_scope(principal->scopes, scope))
    fail(ProblemKind::kForbidden, "auth.scope",
         "partner '" + (principal ? principal->name : std::string("?")) +
             "' lacks the scope '" + scope + "' needed here");
}

std::vector<Router::Segment> Router::compile(const std::string& pattern) {
  std::vector<Segment> segs;
  size_t i = 1;
  while (i <= pattern.size()) {
    size_t j = pattern.find('/', i);
    if (j == std::string::npos) j = pattern.size();
    std::string part = pattern.substr(i, j - i);
    Segment s;
    if (!part.empty() && part[0] == '{') {
      auto close = part.find('}');
      s.capture = part.substr(1, close - 1);
      s.suffix = part.substr(close + 1);
    } else {
      s.literal = part;
    }
    segs.push_back(s);
    i = j + 1;
  }
  return segs;
}

bool Router::match_path(const std::vector<Segment>& segs, std::string_view path,
                        std::map<std::string, std::string>& params) {
  if (path.empty() || path[0] != '/') return false;
  size_t i = 1;
  for (size_t k = 0; k < segs.size(); ++k) {
    if (i > path.size()) return false;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    const Segment& s = segs[k];
    if (s.capture.empty()) {
      if (part != s.literal) return false;
    } else {
      if (part.size() <= s.suffix.size() ||
          part.substr(part.size() - s.suffix.size()) != s.suffix)
        return false;
      params[s.capture] = url_decode(part.substr(0, part.size() - s.suffix.size()));
    }
    i = j + 1;
  }
  return i == path.size() + 1;
}

void Router::add(Route route) {
  compiled_.push_back(compile(route.pattern));
  routes_.push_back(std::move(route));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  for (size_t k = 0; k < routes_.size(); ++k) {
    std::map<std::string, std::string> params;
    if (!match_path(compiled_[k], path, params)) continue;
    if (routes_[k].method == method) {
      m.route = &routes_[k];
      m.params = std::move(params);
      m.allowed.clear();
      return m;
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), routes_[k].method) == m.allowed.end())
      m.allowed.push_back(routes_[k].method);
  }
  return m;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace hub
