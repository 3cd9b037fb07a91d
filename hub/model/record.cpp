#include "hub/model/record.h"

namespace hub::model {

const char* status_name(RecordStatus s) {
  switch (s) {
    case RecordStatus::kMapped: return "mapped";
    case RecordStatus::kReview: return "review";
    case RecordStatus::kRejected: return "rejected";
    case RecordStatus::kPending: return "pending";
  }
  return "?";
}

}  // namespace hub::model
