// How reading commands GET from a running node: CallNode (node_call.cc), 200 or an error.
#include <utility>

#include "appliance/admin/admin_client.h"
#include "appliance/cli/cli.h"

namespace lifeboat::cli {

Result<std::string> QueryNode(const config::Config& config, const std::string& target) {
  auto reply = CallNode(config, "GET", target);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) return ReplyError(*reply);
  return std::move(reply->body);
}

}  // namespace lifeboat::cli
