#pragma once
// FileSink: appends each change as one NDJSON line to <dir>/<prefix>-<first seq, 20 digits>.ndjson.part,
// fsyncs the file after every batch, and when it reaches max_file_bytes closes it: fsync, rename
// to .ndjson, fsync the folder, then one line in <dir>/manifest.ndjson
//   {"file", "first_seq", "last_seq", "lines", "bytes", "sha256", "closed_at"}
// (fsync'ed too). A reader takes only files listed in the manifest. The sink remembers the last
// seq it wrote (from the manifest and the open file, whose torn last line after a crash is cut
// off), so a batch sent again after a crash adds nothing twice. One thread at a time; one hub
// process per folder (the outbox worker's per-consumer lock sees to that).
//
// Options: dir (required), max_file_bytes (default 64 MiB), prefix (default "changes").

#include <memory>
#include <string>

#include "connectors/sink.h"
#include "hub/common/result.h"

namespace hub::connectors {

Result<std::unique_ptr<Sink>> make_file_sink(const std::string& consumer, const SinkOptions& options);

}  // namespace hub::connectors
