#pragma once
// Canonical entity schemas: what a school, class, student, staff, enrollment,
// admission_application, subject_result or term_summary record may contain, with field types,
// required-ness, bounds and catalogs. They are data (mappings/schema/<entity>.yaml, format in
// mappings/schema/README.md) so that ops staff can add a field without a release; this file
// loads them and validates a mapped (canonical) record against them.
//
// Thread-safety: a SchemaSet and its EntitySchemas are immutable after load_dir() returns;
// every const method and validate() may be called from any number of threads without locking.
//
// Why validation is strict: the record validated here is the output of the mapping stage, which
// already canonicalised values (dates to ISO, phones to national form, names to catalog codes).
// Anything still in vendor spelling means a mapping is wrong, and is reported rather than fixed.

#include <rapidjson/document.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/result.h"
#include "hub/mapping/catalog.h"

namespace hub::schema {

enum class FieldType {
  kString,
  kInteger,
  kDecimal,
  kBoolean,
  kDate,        // "YYYY-MM-DD"
  kCode,        // canonical code of `catalog`
  kPersonalId,  // 12-digit số định danh cá nhân; always sensitive
  kPhone,       // canonical national form ("0912345678")
  kEmail,       // domain lower-cased
  kSchoolYear,  // "2025-2026"
  kRef,         // another canonical record: a string id or {"$ref": "<local name>"}
};

// The YAML spelling of a type ("personal_id"), and back (nullopt when unknown).
std::string_view type_name(FieldType type);
std::optional<FieldType> parse_type(std::string_view name);

struct FieldSchema {
  std::string name, label, description, catalog, ref_entity;
  FieldType type = FieldType::kString;
  bool required = false, sensitive = false;
  // Not required (a record without it is still accepted) but a complete record has it: the
  // quality report counts how many records lack it (docs/reports.md). Never with `required`.
  bool expected = false;
  // `required: new`: required to create a record, not to update one that the record's
  // identifiers resolve to (the golden record keeps its value). Implies `expected`.
  bool required_for_new = false;
  // The value is a person's name: mappings check its characters (letters, marks, spaces,
  // apostrophes, hyphens) unless the field's pipeline has its own person_name step.
  bool person_name = false;
  std::optional<double> min, max;         // integer and decimal fields, inclusive
  std::optional<std::size_t> max_length;  // string fields, in Unicode code points
  std::vector<std::string> enum_values;   // string and code fields
};

struct EntitySchema {
  std::string name, title, description;
  // True when the record carries its own validity period: fields valid_from (required) and
  // valid_to, both dates; the loader insists on them.
  bool effective_dated = false;
  // For an effective-dated entity, the ref field whose record holds at most one of this entity's
  // records on a date (a student is at one school): where two overlap on a date, because the
  // sender opened the new one without closing the old, the one that started later is the one in
  // force; the old one keeps the dates it was sent with. Empty: several may be in force at once
  // (a teacher's assignments at two schools).
  std::string one_in_force_per;
  // Alternative keys for exact matching, tried in order; each names fields of this entity.
  std::vector<std::vector<std::string>> natural_keys;
  std::vector<FieldSchema> fields;  // in file order
  std::string file;                 // where it was loaded from, for messages
  // field name -> position in `fields`; looked up by string_view without building a string
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> index;
  std::vector<std::size_t> required;                    // positions of the required fields
  std::vector<std::size_t> required_for_new;            // positions of the `required: new` fields

  const FieldSchema* field(std::string_view name) const;
};

class SchemaSet {
 public:
  // Loads every *.yaml of `dir`; each file holds one entity named like the file. Errors have
  // code "schema.load", path = the file, offset = the line, and a message
  // "<file>:<line>:<column>: <what is wrong>" (YAML syntax, unknown type or attribute, code
  // without catalog, catalog not in `catalogs` when given, enum value not a code of the catalog,
  // ref to an unknown entity, natural key naming an unknown field, duplicate field ...).
  static Result<std::shared_ptr<const SchemaSet>> load_dir(const std::string& dir,
                                                           const catalog::CatalogSet* catalogs = nullptr);

  const EntitySchema* find(std::string_view entity) const;
  std::vector<const EntitySchema*> list() const;  // sorted by name

 private:
  std::vector<std::unique_ptr<EntitySchema>> entities_;  // sorted by name
};

struct Violation {
  std::string field;  // empty when the record as a whole is wrong
  std::string code;
  std::string message;  // never repeats a personal ID, phone, e-mail or date value
};

// Validates one canonical record (a JSON object of field -> value) against its schema and
// returns every violation found (empty = valid). Codes:
//   schema.unknown_field, schema.required, schema.type (message names the expected type),
//   schema.too_long, schema.out_of_range (also valid_to before valid_from), schema.not_in_enum,
//   schema.code_unknown (code not in the catalog, or not valid on as_of; only when catalogs are
//   given), schema.date_invalid, schema.personal_id.
// Null, and the empty string, count as absent. Codes are looked up as canonical codes
// (LookupBy::kCode) with as_of when given; the personal-ID province prefix is checked only when
// catalogs are given.
std::vector<Violation> validate(const EntitySchema& schema, const rapidjson::Value& record,
                                const catalog::CatalogSet* catalogs = nullptr,
                                std::optional<Date> as_of = std::nullopt);

// The checks of one field's value on its own (type, form, bounds, enum, and the code when
// catalogs are given), without the record's (required fields, effective dates). Empty = valid.
std::vector<Violation> check_value(const FieldSchema& field, const rapidjson::Value& value,
                                   const catalog::CatalogSet* catalogs = nullptr,
                                   std::optional<Date> as_of = std::nullopt);

// The same checks for a record whose fields are already resolved to their FieldSchema (the
// mapping stage resolves them once, at load): no name lookups, and no unknown fields possible.
// Every `schema` pointer must point into `entity.fields`; each field appears at most once.
struct KnownField {
  const FieldSchema* schema;
  const rapidjson::Value* value;
  // Made by the transform that defines the type's canonical form (the date transform for a
  // date ...): only its presence is checked, not its form again.
  bool canonical = false;
};
std::vector<Violation> validate_known(const EntitySchema& entity, const std::vector<KnownField>& fields,
                                      const catalog::CatalogSet* catalogs = nullptr,
                                      std::optional<Date> as_of = std::nullopt);

}  // namespace hub::schema
