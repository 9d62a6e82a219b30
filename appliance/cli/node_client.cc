// How commands reach a running node: its admin API, authenticated with the data dir's token.
#include "appliance/admin/admin_client.h"
#include "appliance/admin/admin_token.h"
#include "appliance/cli/cli.h"

namespace lifeboat::cli {

Result<std::string> QueryNode(const config::Config& config, const std::string& target) {
  std::string token_path = config.node.data_dir + "/" + std::string(admin::kAdminTokenFileName);
  auto token = admin::ReadAdminToken(token_path);
  if (!token.ok()) {
    // No token yet means the node never started on this data dir.
    if (token.status().code() == StatusCode::kNotFound) {
      return Status::Unavailable("the node has never run on " + config.node.data_dir + " (" +
                                 token.status().message() + ")");
    }
    return Status(token.status().code(),
                  token.status().message() + " (run as the lifeboat user or root)");
  }
  auto reply = admin::AdminGet(config.admin.host, config.admin.port, target, *token);
  if (!reply.ok() && reply.status().code() == StatusCode::kUnavailable) {
    return Status::Unavailable("the node is not running (" + reply.status().message() + ")");
  }
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return Status::Unavailable("admin API " + target + ": HTTP " + std::to_string(reply->status) +
                               ": " + reply->body);
  }
  return std::move(reply->body);
}

}  // namespace lifeboat::cli
