// hubctl: the ops command line of the education data hub. Reads the same configuration as the
// hub (config/hub.yaml, HUB_CONFIG, HUB_POSTGRES_URL, HUB_REDIS_URL ...). Every command group is
// registered in the one list below.

#include <iostream>

#include "hub/store/pg_pool.h"
#include "hub/tools/cli_context.h"

int main(int argc, char** argv) {
  CLI::App app{"hubctl: operate the education data hub"};
  app.require_subcommand(1);
  hub::cli::CliContext ctx;
  app.add_option("-c,--config", ctx.config_path, "configuration file (default: $HUB_CONFIG or config/hub.yaml)");
  app.add_flag("--json", ctx.json_output, "print JSON lines instead of tables");
  app.set_version_flag("--version", "hubctl 0.1.0");

  hub::cli::add_migrate_command(app, ctx);
  hub::cli::add_partner_commands(app, ctx);
  hub::cli::add_audit_command(app, ctx);
  hub::cli::add_mapping_commands(app, ctx);
  hub::cli::add_sync_commands(app, ctx);
  hub::cli::add_export_commands(app, ctx);
  hub::cli::add_resolve_commands(app, ctx);
  hub::cli::add_rollover_command(app, ctx);
  hub::cli::add_batch_commands(app, ctx);
  hub::cli::add_quality_commands(app, ctx);
  hub::cli::add_report_commands(app, ctx);
  hub::cli::add_pending_commands(app, ctx);
  hub::cli::add_user_commands(app, ctx);
  hub::cli::add_retention_command(app, ctx);
  hub::cli::add_units_commands(app, ctx);
  hub::cli::add_school_commands(app, ctx);
  hub::cli::add_partition_commands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : hub::cli::kExitUsage;
  } catch (const hub::cli::CommandFailed& e) {
    std::cerr << "hubctl: " << e.what() << "\n";
    return e.exit_code;
  } catch (const hub::DatabaseUnavailable& e) {
    std::cerr << "hubctl: " << e.what() << "\n";
    return hub::cli::kExitFailed;
  } catch (const pqxx::broken_connection& e) {
    std::cerr << "hubctl: cannot connect to PostgreSQL: " << e.what() << "\n";
    return hub::cli::kExitFailed;
  } catch (const std::exception& e) {
    std::cerr << "hubctl: " << e.what() << "\n";
    return hub::cli::kExitFailed;
  }
  return 0;
}
