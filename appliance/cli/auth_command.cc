// lifeboat auth codes: break-glass activation codes (issue 12), printed for an administrator to
// hand out on paper to users who never logged in while the directory is down.
//
//   lifeboat auth codes --user ADDRESS [--count N] [--json] [--config FILE]
//
// The node generates the codes and proposes only their SHA-256 (ActivationCodeIssued); the codes
// themselves exist only in this command's output. It answers once the codes are applied, so each
// one works when printed. Needs the running node: a stopped node cannot propose.
#include <cstdio>

#include "appliance/admin/admin_client.h"
#include "appliance/admin/query_string.h"
#include "appliance/cli/cli.h"
#include "appliance/cli/json_fields.h"

namespace lifeboat::cli {
namespace {

int CodesCommand(const config::Config& config, const std::string& user,
                 const std::optional<std::string>& count, bool as_json) {
  std::string target = "/v1/auth/codes?user=" + admin::PercentEncode(user);
  if (count.has_value()) target += "&count=" + admin::PercentEncode(*count);
  auto reply = CallNode(config, "POST", target);
  if (!reply.ok()) {
    if (reply.status().code() == StatusCode::kUnavailable) {
      return Fail("auth codes: " + reply.status().message() +
                  "; codes are issued by the running node: start it (`lifeboat serve`)");
    }
    return Fail("auth codes: " + reply.status().message());
  }
  if (reply->status != 200) return Fail("auth codes: " + ReplyError(*reply).message());
  if (as_json) {
    std::fputs(reply->body.c_str(), stdout);
    return kExitOk;
  }
  auto lines = ParseJsonLines(reply->body);
  if (!lines.ok()) return Fail("auth codes: the answer is not JSON lines");
  for (const auto& line : *lines) {
    std::printf("%s  %s\n", FieldText(line, "user").c_str(), FieldText(line, "code").c_str());
  }
  return kExitOk;
}

}  // namespace

int AuthCommand(const Args& arguments) {
  Args args = arguments;
  const bool as_json = TakeFlag(args, "--json");
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  auto user = TakeOption(args, "--user");
  if (!user.ok()) return UsageError(user.status().message());
  auto count = TakeOption(args, "--count");
  if (!count.ok()) return UsageError(count.status().message());
  if (args.size() != 1 || args.front() != "codes") {
    return UsageError("expected `auth codes --user ADDRESS [--count N]`");
  }
  if (!user->has_value() || (*user)->empty()) return UsageError("auth codes: --user is required");
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  return CodesCommand(*config, **user, *count, as_json);
}

}  // namespace lifeboat::cli
