#pragma once
// The fingerprint of a `state` LevelDB: what `rebuild` must reproduce byte for byte (DESIGN.md
// "The shape": a projection is rebuildable from the log, byte for byte).

#include <string>

#include "appliance/env/status.h"

namespace leveldb {
class DB;
}  // namespace leveldb

namespace lifeboat::eventlog {

// SHA-256, as 64 lower-case hex digits, over every key and value of `db` in key order, each
// written as its length (big-endian uint64) then its bytes, so that ("ab","c") and ("a","bc")
// hash differently. Reads one consistent LevelDB snapshot (an iterator pins one), so it may run
// while another thread writes. IoError or Corruption when the iteration fails.
Result<std::string> HashStateDatabase(leveldb::DB& db);

}  // namespace lifeboat::eventlog
