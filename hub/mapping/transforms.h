#pragma once
// Transforms: the steps of a mapping field's `transform:` pipeline, each compiled once from its
// YAML form (a name, or a one-key map {name: argument}) into a function on scalar values.
// Every transform is listed in one table (transform_names()); an unknown name is a load error.
// Compiled transforms are immutable and thread-safe.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "hub/common/result.h"

namespace hub::mapping {

// A value flowing through a pipeline: JSON scalars (null, string, integer, number, boolean).
using Scalar = std::variant<std::monostate, std::string, long long, double, bool>;

bool is_null(const Scalar& v);
// Text form used by text transforms and error messages: integers without ".0".
std::string scalar_text(const Scalar& v);

// Rewrites the value in place, so a pipeline hands each step's output to the next without
// moving it through a Result; after an error the value is unspecified.
using TransformFn = std::function<Status(Scalar&)>;

struct Transform {
  std::string name;
  TransformFn apply;
  // True for transforms whose input/output is a personal ID: error values are masked.
  bool sensitive = false;
  // Steps on text also offer themselves on a string_view, so a pipeline's first step can read
  // the vendor's text where it lies in the parsed document, without copying it first. The
  // result goes to `out`.
  Status (*text)(std::string_view in, Scalar& out) = nullptr;
};

struct TransformOptions {
  int date_pivot = 50;  // two-digit years below it are 20yy
  std::function<bool(std::string_view)> is_personal_id_prefix;  // from the catalogs
};

// Compiles one pipeline step. Error message says what is wrong; the caller adds file:line:col.
Result<Transform> compile_transform(const YAML::Node& step, const TransformOptions& options);

// Every transform name, for documentation and "did you mean" messages.
const std::vector<std::string>& transform_names();

}  // namespace hub::mapping
