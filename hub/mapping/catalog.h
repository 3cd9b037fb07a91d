#pragma once
// Shared catalogs ("danh mục dùng chung"): code lists that canonical records must use
// (administrative units before and after the 2025 reform, the old->new crosswalk, ethnicity,
// religion, gender, nationality, school levels, grades, subjects, TT22/TT27 ratings ...).
// They are data, loaded once from mappings/catalogs/ (written by scripts/build-catalogs.py;
// the file format is described there and in mappings/catalogs/SOURCES.md).
//
// Thread-safety: a Catalog and a CatalogSet are immutable after load_dir() returns; every
// const method may be called from any number of threads without locking.
//
// Lookup rules (why they are what they are):
// - Codes match exactly after trimming. "1234" never matches "01234": a vendor that lost a
//   leading zero must be told, not silently corrected (the not-found message gives a hint).
// - Names and synonyms match through hub::text::fold_key, so case, NFC/NFD, tone-mark placement
//   ("Thủy"/"Thuỷ") and diacritics do not matter. A catalog may declare unit-type prefixes
//   ("Phường", "Xã" ...) that are optional in a query, and abbreviations ("TP" -> "Thành phố").
// - GSO reused codes for different units before and after 1 July 2025, so one code may have
//   several entries with disjoint validity periods. LookupOptions::as_of selects the entry valid
//   on that date; without as_of the current (open-ended) entry wins over expired ones.
// - A name that matches several entries is catalog.ambiguous, never a guess.

#include <bitset>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/result.h"

namespace hub::catalog {

struct Entry {
  std::string code;     // canonical code
  std::string name;     // Vietnamese, NFC
  std::string name_en;  // optional
  std::string parent;   // code in one of the catalog's parent_catalogs (province, district...)
  std::string level;    // catalog-specific: unit type, merge type, school levels ...
  std::map<std::string, std::string> codes;  // code system -> code in that system
  std::vector<std::string> synonyms;
  std::optional<Date> valid_from, valid_to;  // inclusive; unset = unbounded

  bool valid_on(Date d) const;
};

// A named code system a catalog knows (e.g. qd121_1979 for ethnicity).
struct CodeSystem {
  std::string id;
  std::string title;
  std::string status;  // official | observed | derived | local
  // Codes in an alias system are accepted by canonical-code lookups too (e.g. thanglequoc's
  // commune codes that differ from the official GSO 1027 code).
  bool alias = false;
  std::vector<std::string> unverified_codes;
};

enum class LookupBy { kCode, kName, kAny };

struct LookupOptions {
  std::string code_system;  // empty = canonical code
  LookupBy by = LookupBy::kAny;
  std::optional<Date> as_of;
  // Restrict to entries whose parent, or any ancestor (legacy commune -> district -> province),
  // has this code. Commune names repeat across provinces; this is how callers qualify them.
  std::string parent;
};

class Catalog {
 public:
  const std::string& name() const { return name_; }
  const std::string& kind() const { return kind_; }  // "list" or "crosswalk"
  const std::string& title_vi() const { return title_vi_; }
  const std::string& title_en() const { return title_en_; }
  const std::string& description() const { return description_; }
  const std::string& source() const { return source_; }
  const std::string& licence() const { return licence_; }
  const std::string& canonical_code_system() const { return canonical_code_system_; }
  const std::vector<CodeSystem>& code_systems() const { return code_systems_; }
  const std::vector<std::string>& parent_catalogs() const { return parent_catalogs_; }
  const std::vector<std::string>& local_codes() const { return local_codes_; }
  // Canonical codes that say the value is not known ("U", Chưa có thông tin): a vendor value
  // coded to one of them usually means a code system that reads the vendor's codes wrongly.
  const std::vector<std::string>& unknown_codes() const { return unknown_codes_; }
  bool is_unknown_code(std::string_view code) const;
  // What each code of `code_system` ("" = the canonical codes) means, e.g. for gender in
  // csdl_gddt "0 = U (Chưa có thông tin), 1 = M (Nam), 2 = F (Nữ)"; "" when the catalog has
  // more than `max_entries` entries (a commune list explains nothing that way).
  std::string describe_codes(const std::string& code_system, std::size_t max_entries = 12) const;
  int code_width() const { return code_width_; }  // 0 = codes have no fixed width
  const std::string& file() const { return file_; }

  // Errors: catalog.not_found (for a small catalog, the message says what each code of the code
  // system means), catalog.ambiguous (message lists the codes),
  // catalog.not_valid_on (message gives the validity periods), catalog.unknown_code_system.
  Result<const Entry*> lookup(std::string_view value, const LookupOptions& options) const;
  // Every entry with this canonical code, whatever its validity (e.g. old and new 00004).
  std::vector<const Entry*> find_all_by_code(std::string_view code) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  friend class CatalogSet;
  friend struct CatalogBuilder;
  using Index = std::unordered_map<std::string, std::vector<std::uint32_t>>;

  std::vector<std::uint32_t> candidates_by_code(std::string_view code,
                                                const std::string& code_system) const;
  std::vector<std::uint32_t> candidates_by_name(std::string_view value) const;
  bool has_ancestor(std::uint32_t index, const std::string& code) const;

  std::string name_, kind_, title_vi_, title_en_, description_, source_, licence_,
      canonical_code_system_, file_;
  std::vector<CodeSystem> code_systems_;
  std::vector<std::string> parent_catalogs_, local_codes_, unknown_codes_;
  std::vector<std::pair<std::string, std::string>> name_prefixes_;  // folded prefix + " "
  std::vector<std::pair<std::string, std::string>> abbreviations_;  // folded "tp " -> "thanh pho "
  int code_width_ = 0;
  std::vector<Entry> entries_;
  Index code_index_;
  std::unordered_map<std::string, Index> system_index_;  // code system -> code -> entries
  std::vector<std::string> alias_systems_;
  Index name_index_;                               // fold_key of name / synonyms / stripped forms
  std::vector<std::vector<std::string>> ancestors_;  // per entry, parent's parent ... (no parent)
};

// What became of an old (pre-1 July 2025) commune or island-district code.
struct CrosswalkResult {
  enum class Kind {
    kSame,     // went whole into the new commune that kept its code
    kFull,     // went whole into one new commune with another code
    kPartial,  // split: several candidate new communes; needs review, never guess
  } kind;
  std::vector<std::string> new_codes;  // sorted
};

class CatalogSet {
 public:
  // Loads every *.yaml in dir (each with its CSV if it names one). Errors (code catalog.load)
  // name the file and, for YAML/CSV problems, the line (Error::path = file, offset = line).
  static Result<std::shared_ptr<const CatalogSet>> load_dir(const std::string& dir);

  const Catalog* find(std::string_view name) const;
  std::vector<const Catalog*> list() const;  // sorted by name

  // Uses the admin_crosswalk catalog. kPartial is a normal answer; catalog.not_found is an error.
  Result<CrosswalkResult> crosswalk_commune(std::string_view old_code) const;
  // True if the 3 digits are a birth-registration province prefix of the 12-digit personal ID
  // (catalog cccd_prefix).
  bool is_personal_id_prefix(std::string_view three_digits) const;

  // The province of a current (post-2025) commune code, "" when unknown: unit scopes name
  // provinces, records name communes.
  std::string province_of_commune(std::string_view commune_code) const;

 private:
  std::vector<std::unique_ptr<Catalog>> catalogs_;  // sorted by name
  // The codes of cccd_prefix as a table of the 1,000 possible prefixes, filled at load: every
  // personal ID of every record is checked against it.
  std::bitset<1000> personal_id_prefixes_;
  static int prefix_index(std::string_view three_digits);  // 0..999, -1 when not 3 digits
};

}  // namespace hub::catalog
