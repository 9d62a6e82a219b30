#pragma once
// LevelDB's Status as ours (appliance/env/status.h), for the log and the state databases alike.
// LevelDB reports both media damage and our own structural problems as Corruption; everything
// else from the filesystem is an I/O error.

#include <leveldb/status.h>

#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::eventlog {

// OK, or the same kind of error with `what` ("appending to log") before LevelDB's message.
Status FromLevelDb(const leveldb::Status& status, std::string_view what);

}  // namespace lifeboat::eventlog
