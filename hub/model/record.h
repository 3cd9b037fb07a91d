#pragma once
// The records of the write path, shared by every stage (hub/model is the shared kernel: it uses
// nothing but hub/common): what a mapping makes of one vendor record (RecordResult), its
// canonical records (MappedRecord) and the per-field issues reported to the partner
// (FieldIssue). Plain values; a RecordResult is used by one thread at a time.

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <vector>

namespace hub::model {

struct FieldIssue {
  std::string code;        // stable, e.g. "date.impossible"
  std::string entity;      // canonical entity concerned
  std::string field;       // canonical field ("" for the whole record)
  std::string path;        // normalized JSONPath of the vendor value, e.g. $['hoSo'][3]['ngaySinh']
  std::string value;       // the offending value, masked when it is personal
  std::string message;     // English
  std::string message_vi;  // Vietnamese
  bool review = false;     // needs a person's decision rather than a correction by the partner
};

struct MappedRecord {
  std::string entity;
  std::string local_name;  // the emit's `as`: how other records of this vendor record refer to it
  std::string source_id;   // the vendor record's id, plus "/<as>/<key>" for exploded children
  // A small pool per record: RapidJSON's default first chunk is 64 KiB, which a batch of
  // thousands of small records would multiply into gigabytes. The allocator and its first
  // chunk are one heap block (one allocation per record, not two), which stays put when the
  // record is moved. RapidJSON gives every object room for 16 members (512 bytes): the chunk
  // holds a record's own and one {"$ref": ...} object's, with some text, without a second one
  // (records are kept by the thousand, so every byte more counts too).
  struct Pool {
    Pool() {}  // user-provided, so make_unique does not zero the chunk first
    alignas(16) char first_chunk[1152];
    rapidjson::MemoryPoolAllocator<> allocator{first_chunk, sizeof first_chunk, 1024};
  };
  std::unique_ptr<Pool> pool = std::make_unique<Pool>();
  rapidjson::Document fields{rapidjson::kObjectType, &pool->allocator};  // canonical field -> value;
                                                                          // references are {"$ref": name}
  // Flat whatever the vendor sent: fields hold scalars read from the document, and references.
  // The store copies and compares these values (and the golden records made of them) with
  // RapidJSON's recursive CopyFrom and ==, which that depth of 2 keeps shallow.
};

// kPending: everything passed but a reference names a record the hub does not hold yet (a
// school code); the record waits for it. Only reference checks after mapping set it.
enum class RecordStatus { kMapped, kReview, kRejected, kPending };
const char* status_name(RecordStatus s);

// A reference a pending record waits for, as a push reports it (hub/inbox/pending_store.h): the
// referenced entity, the natural key it is looked up by, the value, the canonical field holding
// it ("enrollment.school"), and the normalized path of that value in the vendor document.
struct WaitingRef {
  std::string entity;
  std::string key;
  std::string value;
  std::string field;
  std::string path;
};

struct RecordResult {
  std::size_t index = 0;
  std::string source_id;
  std::string path;  // normalized path of the vendor record
  RecordStatus status = RecordStatus::kMapped;
  std::vector<MappedRecord> records;
  std::vector<FieldIssue> issues;
  std::vector<WaitingRef> waiting_for;  // kPending: what it waits for (its issues say ref.unknown)
};

}  // namespace hub::model
