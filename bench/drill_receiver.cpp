// drill_receiver: the reference warehouse receiver (tests/support/warehouse_receiver.h) as a
// process of its own, so that scripts/drill.sh can stop the warehouse for real (the hubs' push
// connectors then find nothing listening) and start it again.
//
//   ./drill_receiver --port 18190 [--schema warehouse] [--keep] [--secret-env HUB_WAREHOUSE_SIGNING_SECRET]
//
// Stores into the PostgreSQL of HUB_POSTGRES_URL, schema --schema (created afresh unless --keep:
// a restart after an outage keeps what was received). Runs until SIGTERM or SIGINT, then prints
// its counters as one JSON object and exits 0.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "hub/common/json.h"
#include "tests/support/warehouse_receiver.h"

int main(int argc, char** argv) {
  int port = 0;
  bool keep = false;
  std::string schema = "warehouse", secret_env = "HUB_WAREHOUSE_SIGNING_SECRET";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--keep") keep = true;
    else if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (a == "--schema" && i + 1 < argc) schema = argv[++i];
    else if (a == "--secret-env" && i + 1 < argc) secret_env = argv[++i];
    else {
      std::cerr << "usage: drill_receiver --port N [--schema warehouse] [--keep] [--secret-env NAME]\n";
      return 2;
    }
  }
  const char* url = std::getenv("HUB_POSTGRES_URL");
  const char* secret = std::getenv(secret_env.c_str());
  if (!url || !secret || port <= 0) {
    std::cerr << "drill_receiver: needs --port, HUB_POSTGRES_URL and " << secret_env << "\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  hub::test::WarehouseReceiver receiver(url, secret, schema);
  receiver.start(port, !keep);
  int sig = 0;
  sigwait(&signals, &sig);
  receiver.stop();
  auto c = receiver.counters();
  hub::json::JsonWriter w;
  w.begin_object().kv("requests", c.requests).kv("batches", c.batches).kv("duplicate_batches", c.duplicate_batches)
      .kv("changes", c.changes).kv("duplicate_changes", c.duplicate_changes).kv("out_of_order", c.out_of_order)
      .kv("bad_signatures", c.bad_signatures).kv("refused", c.refused).end_object();
  std::cout << w.str() << std::endl;
  return 0;
}
