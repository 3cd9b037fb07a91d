#pragma once
// JSONPath (RFC 9535) queries over RapidJSON documents. Mapping rules name their source fields
// with JSONPath, and the mapping engine evaluates the same few queries against every record, so
// a Query is compiled once (syntax, function well-typedness, literal regexes) and then only
// walks the document.
//
// Thread-safety: a Query is immutable after parse(); copies share the compiled form, and every
// const member function may be called from many threads at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "hub/common/result.h"

namespace hub::jsonpath {

// One selected node: the value (owned by the queried document) and its RFC 9535 normalized
// path, e.g. $['a'][0].
struct Node {
  const rapidjson::Value* value;
  std::string path;
};

struct CompiledQuery;  // defined in jsonpath_ast.h; opaque to users

class Query {
 public:
  // Compiles `text`. On failure the error has code "jsonpath.syntax", `offset` = 0-based
  // character (code point) offset of the problem, `path` = the query text, and a message
  // saying what was expected there. Ill-typed function use is a syntax error too.
  static Result<Query> parse(std::string_view text);

  // Appends the selected values in RFC order. Builds no paths; this is the hot path.
  void select(const rapidjson::Value& root, std::vector<const rapidjson::Value*>& out) const;

  // Like select() but also returns each node's normalized path.
  std::vector<Node> select_with_paths(const rapidjson::Value& root) const;

  // First selected value, or nullptr. Stops at the first hit; singular queries just walk.
  const rapidjson::Value* select_one(const rapidjson::Value& root) const;

  // True for an RFC "singular query": only name and index segments, so at most one result.
  bool is_singular() const;

  // The normalized path a singular query names, whether or not the node exists ($.a[0].b ->
  // $['a'][0]['b']); nullopt for other queries and for negative indexes.
  std::optional<std::string> singular_path() const;

  // For a singular query whose first segment is a name ($.a.b): that name, else nullptr.
  const std::string* first_name() const;
  // True when the query is that one name segment and nothing more ($.a).
  bool is_singular_name() const;
  // What such a query selects, given the node its first segment selected: the rest of the walk,
  // for callers that found the first member themselves (see MemberIndex).
  const rapidjson::Value* select_one_after_first(const rapidjson::Value& first) const;

  const std::string& text() const;

 private:
  explicit Query(std::shared_ptr<const CompiledQuery> compiled);
  std::shared_ptr<const CompiledQuery> compiled_;
};

// The members of one object that a fixed set of names select, found in one pass over the object
// instead of one linear search per name: a mapping reads a dozen members of every vendor record.
// Each name finds the first member of that name, as a name selector does. add() while setting
// up; find() is const and thread-safe.
class MemberIndex {
 public:
  // The slot of `name`; adding a name again gives its slot again.
  std::size_t add(const std::string& name);
  std::size_t size() const { return names_.size(); }
  // Sets slots[i] (size() of them) to the member of `object` named by slot i, or nullptr.
  void find(const rapidjson::Value& object, const rapidjson::Value** slots) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::uint32_t> table_;  // open addressing on hash(): slot + 1, 0 when empty
};

}  // namespace hub::jsonpath
