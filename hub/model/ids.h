#pragma once
// Record ids: every golden record is named by a random UUID, made by whichever stage creates it
// (the write pipeline, the probabilistic resolver, review merges, benchmarks). Thread-safe.

#include <string>

namespace hub {

// A random (version 4) UUID in its canonical text form.
std::string new_uuid();

}  // namespace hub
