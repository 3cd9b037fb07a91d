#pragma once
// Giving freed memory back to the system after a large document.
//
// The server runs on jemalloc (CMakeLists.txt), which keeps freed pages for reuse for about ten
// seconds (its dirty_decay_ms). On the write path that is what makes it fast: chunk after chunk
// frees and allocates the same sizes again. After a push near the body limit it is not: the
// request's parsed document, the worker's copy of the body and its own document are freed one
// after the other within seconds, and the pages kept for them added up to more than the
// document itself above the hub's working set (docs/benchmarks.md, "Large documents"). Callers
// that have just freed such a document call release_freed().
//
// A no-op in programs linked without jemalloc (hubctl, the tests): mallctl is a weak reference.
// Thread-safe; it costs a few milliseconds and makes other threads fault their pages in again,
// so it is for large documents only, never per chunk.

namespace hub::memory {

void release_freed();

}  // namespace hub::memory
