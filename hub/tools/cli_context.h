#pragma once
// CliContext: what hubctl's commands share: the configuration (same file and HUB_* variables
// as the hub) and lazily opened PostgreSQL / Redis connections, so commands that need neither
// (jsonpath, mapping check) work without any service running. One thread.

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "hub/common/config.h"
#include "hub/common/redis.h"
#include "hub/common/result.h"
#include "hub/resolve/matching_rules.h"
#include "hub/store/pg_pool.h"

namespace hub::cli {

// Exit codes: 0 ok, 1 the operation failed, 2 usage or configuration error.
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Thrown by commands to end hubctl with a message and an exit code.
struct CommandFailed : std::runtime_error {
  CommandFailed(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code(exit_code) {}
  int exit_code;
};

class CliContext {
 public:
  std::string config_path;
  bool json_output = false;

  const Config& config();
  PgPool& pg();
  RedisPool& redis();
  // "hubctl:<user>" and this host: who performs administrative actions.
  std::string actor_name() const;
  std::string host() const;

 private:
  std::unique_ptr<Config> config_;
  std::unique_ptr<PgPool> pg_;
  std::unique_ptr<RedisPool> redis_;
};

// Says that a listing is empty ("no open review items"), so an empty answer is not mistaken for
// a failure: on stdout in a table, on stderr with --json (stdout stays JSON lines).
void print_none(const CliContext& ctx, const std::string& what);

void add_migrate_command(CLI::App& app, CliContext& ctx);
void add_partner_commands(CLI::App& app, CliContext& ctx);
void add_audit_command(CLI::App& app, CliContext& ctx);
void add_mapping_commands(CLI::App& app, CliContext& ctx);
void add_sync_commands(CLI::App& app, CliContext& ctx);
void add_export_commands(CLI::App& app, CliContext& ctx);
void add_resolve_commands(CLI::App& app, CliContext& ctx);
void add_rollover_command(CLI::App& app, CliContext& ctx);
void add_batch_commands(CLI::App& app, CliContext& ctx);
void add_quality_commands(CLI::App& app, CliContext& ctx);
void add_report_commands(CLI::App& app, CliContext& ctx);
void add_pending_commands(CLI::App& app, CliContext& ctx);
void add_user_commands(CLI::App& app, CliContext& ctx);
void add_retention_command(CLI::App& app, CliContext& ctx);
void add_units_commands(CLI::App& app, CliContext& ctx);

// `hubctl review decide <id> commune=<code>` (units_commands.cpp).
Result<std::string> decide_commune(CliContext& ctx, const resolve::RuleSet& rules,
                                   long long id, const std::string& commune);
// `hubctl review decide <id> school=<code>|left`: a split's or dissolved school's student
// (school_commands.cpp).
Result<std::string> decide_school_item(CliContext& ctx, long long id, const std::string& choice);
void add_school_commands(CLI::App& app, CliContext& ctx);
void add_partition_commands(CLI::App& app, CliContext& ctx);

}  // namespace hub::cli
