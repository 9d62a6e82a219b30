#pragma once
// The LevelDB Env the node's databases use by default: LevelDB's own POSIX Env, except that
//  * its background thread (memtable flushes and compactions of both the log and the state
//    database) is named "lb-leveldb". LevelDB starts that thread from whichever thread first
//    schedules work, and a new thread inherits its creator's name, so without this `top -H`
//    showed it as "lb-log-commit" or "lb-projections";
//  * table files are read with pread(2), not mmap(2). LevelDB maps up to 1,000 table files on a
//    64-bit system and every page a read touches stays in the process's resident set (RssFile)
//    while the table is open: a rebuild that scans the whole log grew RSS with the log's size
//    (rebuild of 1M mails: peak RSS 978 MiB with mmap, 101 MiB with pread; README
//    "Performance"). Read through pread, the pages live only in the page cache, which the kernel
//    reclaims, and LevelDB copies each block it needs into its own buffer (or its block cache,
//    which is bounded).

#include <leveldb/env.h>

namespace lifeboat::eventlog {

inline constexpr char kLevelDbThreadName[] = "lb-leveldb";

// Process-wide, never destroyed (as leveldb::Env::Default()).
leveldb::Env* DefaultLevelDbEnv();

}  // namespace lifeboat::eventlog
