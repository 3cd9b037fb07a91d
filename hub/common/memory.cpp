#include "hub/common/memory.h"

#include <cstddef>

extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen)
    __attribute__((weak));

namespace hub::memory {

void release_freed() {
  if (mallctl == nullptr) return;
  // "arena.<MALLCTL_ARENAS_ALL>.purge": every arena's unused dirty pages back to the system now.
  mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
}

}  // namespace hub::memory
