#include "hub/mapping/mapping_registry.h"

#include <algorithm>
#include <filesystem>

namespace hub::mapping {

namespace fs = std::filesystem;

std::shared_ptr<const Mapping> Snapshot::find(const std::string& partner, const std::string& feed) const {
  auto it = mappings.find({partner, feed});
  return it == mappings.end() ? nullptr : it->second;
}

Result<LoadContext> load_context(const std::string& mappings_dir) {
  auto catalogs = catalog::CatalogSet::load_dir(mappings_dir + "/catalogs");
  if (!catalogs) return catalogs.error();
  auto schemas = schema::SchemaSet::load_dir(mappings_dir + "/schema", catalogs.value().get());
  if (!schemas) return schemas.error();
  return LoadContext{catalogs.value(), schemas.value()};
}

MappingRegistry::MappingRegistry(std::string mappings_dir) : dir_(std::move(mappings_dir)) {
  current_ = std::make_shared<Snapshot>();
}

std::shared_ptr<const Snapshot> MappingRegistry::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::vector<Error> MappingRegistry::last_errors() const {
  std::lock_guard lock(mu_);
  return last_errors_;
}

ReloadReport MappingRegistry::reload() {
  std::lock_guard one_at_a_time(reload_mu_);
  ReloadReport report;
  auto previous = current();
  auto context = load_context(dir_);
  if (!context) {
    report.errors.push_back(context.error());
    report.generation = previous->generation;
    std::lock_guard lock(mu_);
    last_errors_ = report.errors;
    return report;
  }
  auto next = std::make_shared<Snapshot>();
  next->catalogs = context->catalogs;
  next->schemas = context->schemas;
  next->generation = previous->generation + 1;

  fs::path partners = fs::path(dir_) / "partners";
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(partners, ec)) {
    for (const auto& p : fs::recursive_directory_iterator(partners, ec))
      if (p.is_regular_file() && p.path().extension() == ".yaml" &&
          p.path().parent_path().parent_path() == partners)
        files.push_back(p.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string partner = file.parent_path().filename().string();
    std::string feed = file.stem().string();
    auto m = Mapping::load_file(file.string(), *context);
    if (m && (m.value()->partner() != partner || m.value()->feed() != feed)) {
      m = make_error("mapping.misplaced", file.string() + ": declares partner '" + m.value()->partner() +
                                              "' and feed '" + m.value()->feed() + "' but lives at partners/" +
                                              partner + "/" + feed + ".yaml");
    }
    if (m) {
      next->mappings[{partner, feed}] = m.value();
      ++report.mappings_loaded;
    } else {
      report.errors.push_back(m.error());
      // Keep serving the version that worked, if there was one.
      if (auto old = previous->find(partner, feed)) next->mappings[{partner, feed}] = old;
    }
  }
  report.generation = next->generation;
  std::lock_guard lock(mu_);
  current_ = next;
  last_errors_ = report.errors;
  return report;
}

}  // namespace hub::mapping
