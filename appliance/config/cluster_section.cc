// [cluster]: Raft replication between nodes (issue #13). Absent: the node runs alone.
//
//   [cluster]
//   node_id = 1
//   listen = "10.0.0.1:9026"
//   members = ["1@10.0.0.1:9026", "2@10.0.0.2:9026", "3@10.0.0.3:9026/standby"]
//   ca_certificate = "/etc/lifeboat/cluster/ca.pem"
//   certificate = "/etc/lifeboat/cluster/node-1.pem"
//   private_key = "/etc/lifeboat/cluster/node-1.key"
//
// A member marked "/standby" replicates the log but does not vote (the DR standby of DESIGN.md
// "Deployment shapes"). The list is the same in every member's file: Raft's configuration is one.
#include <charconv>

#include "appliance/config/sections.h"

namespace lifeboat::config {
namespace {

constexpr std::string_view kNodeIdExpected = "an integer from 1";
constexpr std::string_view kAddressExpected = "a numeric \"host:port\"";
constexpr std::string_view kMembersExpected =
    "a list of \"id@host:port\" or \"id@host:port/standby\"";
constexpr std::string_view kStandbySuffix = "/standby";
constexpr std::string_view kPathExpected = "a path to a PEM file";

Result<ClusterMember> ParseMember(std::string_view text) {
  const size_t at = text.find('@');
  if (at == std::string_view::npos) return Status::InvalidArgument("no '@'");
  ClusterMember member;
  const std::string_view id = text.substr(0, at);
  auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), member.id);
  if (error != std::errc() || end != id.data() + id.size() || member.id == 0) {
    return Status::InvalidArgument("id '" + std::string(id) + "' is not an integer from 1");
  }
  std::string_view address = text.substr(at + 1);
  if (address.ends_with(kStandbySuffix)) {
    member.voter = false;
    address.remove_suffix(kStandbySuffix.size());
  }
  member.address = std::string(address);
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(member.address, host, port)) {
    return Status::InvalidArgument("address '" + member.address + "' is not host:port");
  }
  return member;
}

}  // namespace

Status ParseClusterSection(ConfigSection& section, Config& config) {
  auto node_id = section.TakeInteger("node_id", kNodeIdExpected);
  if (!node_id.ok()) return node_id.status();
  auto listen = section.TakeString("listen", kAddressExpected);
  if (!listen.ok()) return listen.status();
  auto members = section.TakeStringList("members", kMembersExpected);
  if (!members.ok()) return members.status();
  auto ca = section.TakeString("ca_certificate", kPathExpected);
  if (!ca.ok()) return ca.status();
  auto certificate = section.TakeString("certificate", kPathExpected);
  if (!certificate.ok()) return certificate.status();
  auto key = section.TakeString("private_key", kPathExpected);
  if (!key.ok()) return key.status();
  const bool any = node_id->has_value() || listen->has_value() || members->has_value() ||
                   ca->has_value() || certificate->has_value() || key->has_value();
  if (!any) return Status::Ok();  // no [cluster]: a single node

  ClusterConfig& cluster = config.cluster;
  cluster.enabled = true;
  if (!node_id->has_value()) return section.Missing("node_id", kNodeIdExpected);
  if (**node_id < 1) return section.Invalid("node_id", kNodeIdExpected);
  cluster.node_id = static_cast<uint64_t>(**node_id);
  if (!listen->has_value()) return section.Missing("listen", kAddressExpected);
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(**listen, host, port)) return section.Invalid("listen", kAddressExpected);
  cluster.listen = **listen;
  if (!members->has_value()) return section.Missing("members", kMembersExpected);
  bool self_listed = false;
  for (const std::string& text : **members) {
    Result<ClusterMember> member = ParseMember(text);
    if (!member.ok()) {
      return section.Invalid("members", kMembersExpected, text + ": " + member.status().message());
    }
    for (const ClusterMember& earlier : cluster.members) {
      if (earlier.id == member->id) {
        return section.Invalid("members", kMembersExpected,
                               "id " + std::to_string(member->id) + " listed twice");
      }
    }
    self_listed = self_listed || member->id == cluster.node_id;
    cluster.members.push_back(*member);
  }
  if (!self_listed) {
    return section.Invalid("members", kMembersExpected, "node_id is not among the members");
  }
  if (!ca->has_value()) return section.Missing("ca_certificate", kPathExpected);
  if (!certificate->has_value()) return section.Missing("certificate", kPathExpected);
  if (!key->has_value()) return section.Missing("private_key", kPathExpected);
  cluster.ca_certificate = **ca;
  cluster.certificate = **certificate;
  cluster.private_key = **key;
  return Status::Ok();
}

}  // namespace lifeboat::config
