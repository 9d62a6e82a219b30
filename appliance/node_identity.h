#pragma once
// Which cluster a data dir belongs to. Written into the log's metadata at first start; every
// later start compares it with the configuration and refuses to run on another cluster's data
// (pointing a node at the wrong disk after a restore must not mix two clusters' logs) or on a data
// dir written by a newer lifeboat whose format this one does not know.

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/env/status.h"

namespace lifeboat::eventlog {
class LogStore;
}  // namespace lifeboat::eventlog

namespace lifeboat {

// Bump when the on-disk layout of log/ or state/ changes incompatibly.
inline constexpr uint32_t kDataDirSchemaVersion = 1;
inline constexpr std::string_view kIdentityMetaName = "identity";

struct NodeIdentity {
  std::string cluster_id;
  std::string node_id;
  uint32_t schema_version = kDataDirSchemaVersion;
};

// "cluster_id=acme\nnode_id=n1\nschema_version=1\n": text, so an operator can read it with
// `lifeboat log` tools or ldb.
std::string EncodeIdentity(const NodeIdentity& identity);
Result<NodeIdentity> DecodeIdentity(std::string_view text);

// OK when `stored` may be run with `configured`; FailedPrecondition naming both ids or both
// schema versions otherwise. `data_dir` is named in the message.
Status CheckIdentity(const NodeIdentity& stored, const NodeIdentity& configured,
                     std::string_view data_dir);

// First start: writes `configured` (synced). Later starts: reads and checks it.
Status EnsureIdentity(eventlog::LogStore& log, const NodeIdentity& configured,
                      std::string_view data_dir);

}  // namespace lifeboat
