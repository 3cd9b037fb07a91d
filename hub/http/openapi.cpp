#include "hub/http/openapi.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <map>
#include <regex>

#include "hub/common/json.h"

namespace hub {

const std::map<std::string_view, std::string_view>& embedded_files();  // generated

namespace {

// A plain YAML scalar as JSON: null, true/false, a number where it spells one (YAML 1.2 core
// schema), else a string.
void write_plain(json::JsonWriter& w, const std::string& s) {
  static const std::regex kInt("^-?(0|[1-9][0-9]*)$");
  static const std::regex kFloat("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?$");
  if (s == "null" || s == "~" || s.empty()) w.null();
  else if (s == "true") w.value(true);
  else if (s == "false") w.value(false);
  else if (std::regex_match(s, kInt)) w.value(std::stoll(s));
  else if (std::regex_match(s, kFloat)) w.value(std::strtod(s.c_str(), nullptr));
  else w.value(s);
}

// The description is a small file of our own, so the recursion is bounded by its nesting.
void write_node(json::JsonWriter& w, const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      w.begin_object();
      for (const auto& kv : n) {
        w.key(kv.first.Scalar());
        write_node(w, kv.second);
      }
      w.end_object();
      return;
    case YAML::NodeType::Sequence:
      w.begin_array();
      for (const auto& item : n) write_node(w, item);
      w.end_array();
      return;
    case YAML::NodeType::Scalar:
      if (n.Tag() == "!") w.value(n.Scalar());  // quoted or block text: a string
      else write_plain(w, n.Scalar());
      return;
    default:
      w.null();
  }
}

HttpResponse file_response(std::string_view path, const char* content_type) {
  HttpResponse r;
  r.content_type = content_type;
  r.body = std::string(*embedded_file(path));
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Cache-Control"] = "no-cache";
  return r;
}

}  // namespace

const char* const kDocsContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self';"
    " base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::optional<std::string_view> embedded_file(std::string_view path) {
  auto it = embedded_files().find(path);
  if (it == embedded_files().end()) return std::nullopt;
  return it->second;
}

const std::string& openapi_json() {
  static const std::string kJson = [] {
    json::JsonWriter w;
    write_node(w, YAML::Load(std::string(*embedded_file("docs/openapi.yaml"))));
    return w.str();
  }();
  return kJson;
}

void register_docs_routes(Router& router) {
  // Static answers from memory: the I/O thread answers them at once, without a token (the
  // description is what a vendor reads before it has one), like the probes.
  router.add({"GET", "/v1/openapi.json", false,
              [](HttpRequest&) {
                HttpResponse r;
                r.body = openapi_json();
                r.headers["Cache-Control"] = "no-cache";
                return r;
              },
              Lane::kInline});
  struct Page {
    const char* route;
    const char* file;
    const char* type;
  };
  for (const Page& p : {Page{"/docs", "hub/http/docs_page/index.html", "text/html; charset=utf-8"},
                        Page{"/docs/docs.js", "hub/http/docs_page/docs.js", "text/javascript; charset=utf-8"},
                        Page{"/docs/docs.css", "hub/http/docs_page/docs.css", "text/css; charset=utf-8"}}) {
    router.add({"GET", p.route, false,
                [p](HttpRequest&) {
                  HttpResponse r = file_response(p.file, p.type);
                  r.headers["Content-Security-Policy"] = kDocsContentSecurityPolicy;
                  r.headers["Referrer-Policy"] = "no-referrer";
                  return r;
                },
                Lane::kInline});
  }
}

}  // namespace hub
