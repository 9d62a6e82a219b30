#pragma once
// The LevelDB Env the node's databases use by default: LevelDB's own POSIX Env, except that its
// background thread (memtable flushes and compactions of both the log and the state database)
// is named "lb-leveldb". LevelDB starts that thread from whichever thread first schedules work,
// and a new thread inherits its creator's name, so without this `top -H` showed it as
// "lb-log-commit" or "lb-projections".

#include <leveldb/env.h>

namespace lifeboat::eventlog {

inline constexpr char kLevelDbThreadName[] = "lb-leveldb";

// Process-wide, never destroyed (as leveldb::Env::Default()).
leveldb::Env* DefaultLevelDbEnv();

}  // namespace lifeboat::eventlog
