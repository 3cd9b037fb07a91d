#pragma once
// Allowed: resolve may use store.
#include "hub/store/writer.h"
