// lifeboat status [--json] [--wait-applied] [--config FILE]: asks the running node's admin API.
// --wait-applied answers once the mailbox and directory views hold everything the log held when
// asked (read your writes after sending mail or importing users), or fails after
// kAdminWaitMillisecondsMax.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "appliance/cli/cli.h"
#include "appliance/cli/json_fields.h"

namespace lifeboat::cli {

int StatusCommand(const Args& arguments) {
  Args args = arguments;
  bool as_json = TakeFlag(args, "--json");
  bool wait_applied = TakeFlag(args, "--wait-applied");
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  if (!args.empty()) return UsageError("status: unexpected argument \"" + args.front() + "\"");
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  auto body = QueryNode(*config, wait_applied ? "/v1/status?wait_applied=last" : "/v1/status");
  if (!body.ok()) return Fail("status: " + body.status().message());
  if (as_json) {
    std::fputs(body->c_str(), stdout);
    return kExitOk;
  }
  google::protobuf::Struct status;
  if (!google::protobuf::util::JsonStringToMessage(*body, &status).ok()) {
    return Fail("status: the node answered something that is not JSON");
  }
  std::string log_range =
      FieldText(status, "log_first_index") + ".." + FieldText(status, "log_last_index");
  std::string applied = FieldText(status, "projection_applied_index") + " (lag " +
                        FieldText(status, "projection_lag") + ")";
  const std::pair<const char*, std::string> lines[] = {
      {"node", FieldText(status, "node_id") + " in cluster " + FieldText(status, "cluster_id")},
      {"version", FieldText(status, "version")},
      {"uptime", FieldText(status, "uptime_seconds") + " s"},
      {"log", log_range},
      {"applied", applied},
      {"read-only", FieldText(status, "read_only")},
      {"data dir", FieldText(status, "data_dir")},
      {"listeners", FieldText(status, "listeners")},
      {"smtp", FieldText(status, "smtp")},
      {"directory", FieldText(status, "directory")},
  };
  for (const auto& [label, value] : lines) std::printf("%-10s %s\n", label, value.c_str());
  return kExitOk;
}

}  // namespace lifeboat::cli
