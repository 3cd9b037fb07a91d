#pragma once
// MappingRegistry: the catalogs, canonical schemas and partner mappings the hub runs with, as
// one immutable Snapshot swapped atomically on reload (SIGHUP, POST /v1/admin/reload). A
// request takes the snapshot once and finishes with it, whatever reloads happen meanwhile.
// A mapping file that fails to load keeps its previous version; if the catalogs or schemas fail,
// the whole previous snapshot stays. Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/mapping/mapping.h"

namespace hub::mapping {

struct Snapshot {
  std::shared_ptr<const catalog::CatalogSet> catalogs;
  std::shared_ptr<const schema::SchemaSet> schemas;
  // (partner, feed) -> mapping
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Mapping>> mappings;
  long long generation = 0;  // increases with every successful reload

  std::shared_ptr<const Mapping> find(const std::string& partner, const std::string& feed) const;
};

struct ReloadReport {
  int mappings_loaded = 0;
  std::vector<Error> errors;  // each names file:line:column
  long long generation = 0;
};

class MappingRegistry {
 public:
  explicit MappingRegistry(std::string mappings_dir);

  ReloadReport reload();
  std::shared_ptr<const Snapshot> current() const;
  const std::string& dir() const { return dir_; }
  // Errors of the last reload, for GET /v1/admin/mappings.
  std::vector<Error> last_errors() const;

 private:
  std::string dir_;
  mutable std::mutex mu_;
  std::mutex reload_mu_;  // one reload at a time
  std::shared_ptr<const Snapshot> current_;
  std::vector<Error> last_errors_;
};

// Loads catalogs and schemas of a mappings folder (hubctl uses it for one-off checks).
Result<LoadContext> load_context(const std::string& mappings_dir);

}  // namespace hub::mapping
