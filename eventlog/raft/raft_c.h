#pragma once
// libraft 0.15's header declares its functions without extern "C": every C++ file includes it
// through this one.

extern "C" {
#include <raft.h>
}
