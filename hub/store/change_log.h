#pragma once
// ChangeLog: the one writer of change_log, the commit-ordered feed every golden-record change
// goes to (the pull API, the connectors and the snapshots read it). Rows are collected, then
// sent in one COPY: its trigger (migration 0005) takes the change-log lock until the transaction
// commits, so a writer sends them as late as it can (the write pipeline: last). One object per
// transaction; not thread-safe.

#include <pqxx/pqxx>

#include <optional>
#include <string>

#include "hub/store/copy_rows.h"

namespace hub {

class ChangeLog {
 public:
  // op: create | update | merge ... as the readers of change_log know them; batch_id: the push
  // whose records changed it, none for a person's decision.
  void add(const std::string& entity, const std::string& record_id, const std::string& op, int version,
           std::optional<long long> batch_id = std::nullopt);
  bool empty() const { return rows_.empty(); }
  // Sends the rows collected (none: no COPY, so the trigger is not fired for nothing) and forgets them.
  void write(pqxx::transaction_base& tx);

 private:
  CopyRows<5> rows_{"change_log", {"entity", "record_id", "op", "version", "batch_id"}};
};

}  // namespace hub
