#include "appliance/node_identity.h"

#include <charconv>

#include "eventlog/log_store.h"

namespace lifeboat {

std::string EncodeIdentity(const NodeIdentity& identity) {
  return "cluster_id=" + identity.cluster_id + "\nnode_id=" + identity.node_id +
         "\nschema_version=" + std::to_string(identity.schema_version) + "\n";
}

Result<NodeIdentity> DecodeIdentity(std::string_view text) {
  NodeIdentity identity;
  bool has_cluster = false;
  bool has_node = false;
  bool has_schema = false;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      return Status::Corruption("identity: malformed line \"" + std::string(line) + "\"");
    }
    std::string_view key = line.substr(0, equals);
    std::string_view value = line.substr(equals + 1);
    if (key == "cluster_id") {
      identity.cluster_id = std::string(value);
      has_cluster = true;
    } else if (key == "node_id") {
      identity.node_id = std::string(value);
      has_node = true;
    } else if (key == "schema_version") {
      auto [ptr, error] =
          std::from_chars(value.data(), value.data() + value.size(), identity.schema_version);
      if (error != std::errc() || ptr != value.data() + value.size()) {
        return Status::Corruption("identity: bad schema_version \"" + std::string(value) + "\"");
      }
      has_schema = true;
    }
    // Other keys: written by a newer version; schema_version decides whether we may run.
  }
  if (!has_cluster || !has_node || !has_schema) {
    return Status::Corruption("identity: cluster_id, node_id or schema_version missing");
  }
  return identity;
}

Status CheckIdentity(const NodeIdentity& stored, const NodeIdentity& configured,
                     std::string_view data_dir) {
  if (stored.schema_version > configured.schema_version) {
    return Status::FailedPrecondition(
        "data dir " + std::string(data_dir) + ": data dir schema " +
        std::to_string(stored.schema_version) + " is newer than this lifeboat's " +
        std::to_string(configured.schema_version) + ": upgrade lifeboat");
  }
  if (stored.cluster_id != configured.cluster_id) {
    return Status::FailedPrecondition(
        "data dir " + std::string(data_dir) + " belongs to cluster \"" + stored.cluster_id +
        "\", but the config says cluster_id \"" + configured.cluster_id +
        "\": refusing to mix two clusters' logs (fix node.cluster_id or node.data_dir)");
  }
  if (stored.node_id != configured.node_id) {
    return Status::FailedPrecondition(
        "data dir " + std::string(data_dir) + " belongs to node \"" + stored.node_id +
        "\", but the config says id \"" + configured.node_id +
        "\": refusing to run one node's log under another name (fix node.id or node.data_dir)");
  }
  return Status::Ok();
}

Status EnsureIdentity(eventlog::LogStore& log, const NodeIdentity& configured,
                      std::string_view data_dir) {
  auto stored = log.GetMeta(kIdentityMetaName);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return log.PutMeta(kIdentityMetaName, EncodeIdentity(configured));
  Result<NodeIdentity> identity = DecodeIdentity(**stored);
  if (!identity.ok()) return identity.status();
  return CheckIdentity(*identity, configured, data_dir);
}

}  // namespace lifeboat
