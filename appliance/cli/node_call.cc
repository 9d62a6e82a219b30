// Commands that read through the running node's admin API and, when it is stopped, from its data
// dir; and commands that ask the node to act (POST).
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "appliance/admin/admin_client.h"
#include "appliance/admin/admin_token.h"
#include "appliance/cli/cli.h"
#include "appliance/cli/offline_state.h"

namespace lifeboat::cli {

Result<admin::HttpReply> CallNode(const config::Config& config, const std::string& method,
                                  const std::string& target) {
  std::string token_path = config.node.data_dir + "/" + std::string(admin::kAdminTokenFileName);
  auto token = admin::ReadAdminToken(token_path);
  if (!token.ok()) {
    if (token.status().code() == StatusCode::kNotFound) {
      return Status::Unavailable("the node has never run on " + config.node.data_dir + " (" +
                                 token.status().message() + ")");
    }
    return Status(token.status().code(),
                  token.status().message() + " (run as the lifeboat user or root)");
  }
  auto reply = admin::AdminCall(config.admin.host, config.admin.port, method, target, *token);
  if (!reply.ok() && reply.status().code() == StatusCode::kUnavailable) {
    return Status::Unavailable("the node is not running (" + reply.status().message() + ")");
  }
  return reply;
}

Status ReplyError(const admin::HttpReply& reply) {
  std::string message = reply.body;
  google::protobuf::Struct body;
  if (google::protobuf::util::JsonStringToMessage(reply.body, &body).ok()) {
    auto it = body.fields().find("error");
    if (it != body.fields().end()) message = it->second.string_value();
  }
  while (!message.empty() && message.back() == '\n') message.pop_back();
  switch (reply.status) {
    case 400:
      return Status::InvalidArgument(message);
    case 404:
      return Status::NotFound(message);
    case 409:
      return Status::FailedPrecondition(message);
    case 503:
      return Status::Unavailable(message);
    default:
      return Status::IoError("admin API: HTTP " + std::to_string(reply.status) + ": " + message);
  }
}

Result<std::string> AskNodeOrDataDir(
    const config::Config& config, const std::string& target,
    const std::function<Result<std::string>(const OfflineState&)>& offline) {
  auto reply = CallNode(config, "GET", target);
  if (reply.ok()) {
    if (reply->status / 100 != 2) return ReplyError(*reply);
    return std::move(reply->body);
  }
  if (reply.status().code() != StatusCode::kUnavailable) return reply.status();
  auto state = OfflineState::Open(config);
  if (!state.ok()) return state.status();
  return offline(**state);
}

}  // namespace lifeboat::cli
