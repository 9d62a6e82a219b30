// lifeboat cluster init|status: a Raft cluster of nodes (issue #13 item 4).
//
//   lifeboat cluster init --dir DIR --nodes N --addresses HOST:PORT,HOST:PORT,...
//   lifeboat cluster status [--json] [--config FILE]
//
// `init` makes the cluster CA and one certificate per node in DIR (cluster_certificates.h) and
// prints the [cluster] section of each node's config. `status` shows this node's view: role,
// term, leader, commit and applied indices. `join` with a one-time token, `remove`, `transfer`
// and `promote` come later (issue #13 item 4).
#include <charconv>
#include <cstdio>

#include "appliance/cli/cli.h"
#include "appliance/cli/json_fields.h"
#include "appliance/env/libevent_env.h"
#include "appliance/node_storage.h"
#include "appliance/tls/cluster_certificates.h"

namespace lifeboat::cli {
namespace {

constexpr uint64_t kClusterInitNodesMax = 9;  // Raft clusters stay small: 3 or 5 voters

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const size_t end = comma == std::string::npos ? text.size() : comma;
    if (end > start) parts.push_back(text.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

int Init(Args& args) {
  auto dir = TakeOption(args, "--dir");
  auto nodes_text = TakeOption(args, "--nodes");
  auto addresses_text = TakeOption(args, "--addresses");
  if (!dir.ok() || !nodes_text.ok() || !addresses_text.ok()) {
    return UsageError("cluster init: an option lacks its value");
  }
  if (!args.empty()) return UsageError("cluster init: unexpected \"" + args.front() + "\"");
  if (!dir->has_value() || (*dir)->empty() || (*dir)->front() != '/') {
    return UsageError("cluster init: --dir DIR (an absolute path) is required");
  }
  uint64_t nodes = 0;
  const std::string count = nodes_text->value_or("");
  auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), nodes);
  if (error != std::errc() || end != count.data() + count.size() || nodes == 0 ||
      nodes > kClusterInitNodesMax) {
    return UsageError("cluster init: --nodes N, N from 1 to " +
                      std::to_string(kClusterInitNodesMax));
  }
  const std::vector<std::string> addresses = SplitCommas(addresses_text->value_or(""));
  if (addresses.size() != nodes) {
    return UsageError("cluster init: --addresses needs one HOST:PORT per node (" +
                      std::to_string(nodes) + ")");
  }
  Status made = CreatePrivateDirectory(**dir);
  if (!made.ok()) return Fail("cluster init: " + made.message());
  auto env = LibeventEnv::Create();
  if (!env.ok()) return Fail("cluster init: " + env.status().message());
  made = tls::CreateClusterCa(**env, **dir);
  if (!made.ok()) return Fail("cluster init: " + made.message());
  for (uint64_t id = 1; id <= nodes; ++id) {
    made = tls::IssueClusterNodeCertificate(**env, **dir, id);
    if (!made.ok()) return Fail("cluster init: " + made.message());
  }
  std::string members;
  for (uint64_t id = 1; id <= nodes; ++id) {
    members += std::string(id > 1 ? ", " : "") + "\"" + std::to_string(id) + "@" +
               addresses[id - 1] + "\"";
  }
  std::printf("# cluster CA: %s (keep %s off the nodes)\n",
              tls::ClusterCaCertificatePath(**dir).c_str(), tls::ClusterCaKeyPath(**dir).c_str());
  for (uint64_t id = 1; id <= nodes; ++id) {
    std::printf(
        "\n# node %llu: copy ca.pem, node-%llu.pem and node-%llu.key to it\n"
        "[cluster]\nnode_id = %llu\nlisten = \"%s\"\nmembers = [%s]\n"
        "ca_certificate = \"%s\"\ncertificate = \"%s\"\nprivate_key = \"%s\"\n",
        static_cast<unsigned long long>(id), static_cast<unsigned long long>(id),
        static_cast<unsigned long long>(id), static_cast<unsigned long long>(id),
        addresses[id - 1].c_str(), members.c_str(), tls::ClusterCaCertificatePath(**dir).c_str(),
        tls::ClusterNodeCertificatePath(**dir, id).c_str(),
        tls::ClusterNodeKeyPath(**dir, id).c_str());
  }
  return kExitOk;
}

int ShowStatus(Args& args) {
  const bool as_json = TakeFlag(args, "--json");
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError("cluster status: --config lacks its value");
  if (!args.empty()) return UsageError("cluster status: unexpected \"" + args.front() + "\"");
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  auto body = QueryNode(*config, "/v1/cluster/status");
  if (!body.ok()) return Fail("cluster status: " + body.status().message());
  if (as_json) {
    std::fputs(body->c_str(), stdout);
    std::fputs("\n", stdout);
    return kExitOk;
  }
  auto objects = ParseJsonLines(*body);
  if (!objects.ok() || objects->size() != 1) {
    return Fail("cluster status: the answer is not one JSON object");
  }
  const auto& status = objects->front();
  if (FieldText(status, "cluster") != "yes") {
    std::printf("cluster: none (a single node: no [cluster] section)\n");
    return kExitOk;
  }
  std::printf("node %s (%s): %s, term %s, leader %s\n", FieldText(status, "node_id").c_str(),
              FieldText(status, "address").c_str(), FieldText(status, "role").c_str(),
              FieldText(status, "term").c_str(), FieldText(status, "leader_id").c_str());
  std::printf("commit index %s, applied %s (projections %s), log last index %s\n",
              FieldText(status, "commit_index").c_str(),
              FieldText(status, "raft_applied_index").c_str(),
              FieldText(status, "projection_applied_index").c_str(),
              FieldText(status, "log_last_index").c_str());
  return kExitOk;
}

}  // namespace

int ClusterCommand(const Args& args) {
  if (args.empty()) return UsageError("cluster: expected init or status");
  Args rest(args.begin() + 1, args.end());
  if (args.front() == "init") return Init(rest);
  if (args.front() == "status") return ShowStatus(rest);
  return UsageError("cluster: unknown subcommand \"" + args.front() + "\"");
}

}  // namespace lifeboat::cli
