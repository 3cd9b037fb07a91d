#include "hub/store/change_log.h"

namespace hub {

void ChangeLog::add(const std::string& entity, const std::string& record_id, const std::string& op, int version,
                    std::optional<long long> batch_id) {
  const std::string version_text = std::to_string(version);
  std::optional<std::string> batch_text;
  if (batch_id) batch_text = std::to_string(*batch_id);
  rows_.add({entity, record_id, op, version_text,
             batch_text ? CopyText::Field(*batch_text) : CopyText::Field(std::nullopt)});
}

void ChangeLog::write(pqxx::transaction_base& tx) {
  rows_.write(tx);
  rows_ = CopyRows<5>{"change_log", {"entity", "record_id", "op", "version", "batch_id"}};
}

}  // namespace hub
