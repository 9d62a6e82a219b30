// lifeboat status [--json] [--wait-applied] [--config FILE]: asks the running node's admin API;
// when the node is stopped, reads its data dir (identity, log range, the projections' applied
// index, directory entries) and says "running: no".
// --wait-applied answers once the mailbox and directory views hold everything the log held when
// asked (read your writes after sending mail or importing users), or fails after
// kAdminWaitMillisecondsMax. It needs the running node: a stopped one applies nothing.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "appliance/admin/admin_client.h"
#include "appliance/cli/cli.h"
#include "appliance/cli/json_fields.h"
#include "appliance/cli/offline_state.h"
#include "appliance/json/json_writer.h"
#include "appliance/node_identity.h"
#include "appliance/version.h"

namespace lifeboat::cli {
namespace {

// What a stopped node's data dir says, as JSON with the running node's field names where they
// mean the same. projection_applied_index is what the state on disk had applied (the node folds
// the rest when it starts; so does this read, offline_state.h).
Result<std::string> OfflineStatusJson(const config::Config& config, const OfflineState& state) {
  const eventlog::LogStore& log = state.log();
  auto stored = log.GetMeta(kIdentityMetaName);
  if (!stored.ok()) return stored.status();
  NodeIdentity identity;
  if (stored->has_value()) {
    auto decoded = DecodeIdentity(**stored);
    if (!decoded.ok()) return decoded.status();
    identity = *decoded;
  }
  const uint64_t last = log.last_index();
  const uint64_t applied = state.applied_index_on_disk();
  return json::ObjectWriter()
             .Bool("running", false)
             .String("node_id", identity.node_id)
             .String("cluster_id", identity.cluster_id)
             .Uint("schema_version", identity.schema_version)
             .String("version", kLifeboatVersion)
             .Uint("log_first_index", log.first_index())
             .Uint("log_last_index", last)
             .Uint("projection_applied_index", applied)
             .Uint("projection_lag", last > applied ? last - applied : 0)
             .String("data_dir", config.node.data_dir)
             .Uint("directory_entries", state.directory().size())
             .Finish() +
         "\n";
}

// Prints `body` as it is with --json, else the labelled lines `lines_of` makes of it. `what`
// names the body in the error when it does not parse.
int PrintStatus(const std::string& body, bool as_json, const char* what,
                std::vector<std::pair<const char*, std::string>> (*lines_of)(
                    const google::protobuf::Struct& status)) {
  if (as_json) {
    std::fputs(body.c_str(), stdout);
    return kExitOk;
  }
  google::protobuf::Struct status;
  if (!google::protobuf::util::JsonStringToMessage(body, &status).ok()) {
    return Fail(std::string("status: ") + what + " is not JSON");
  }
  for (const auto& [label, value] : lines_of(status)) {
    std::printf("%-10s %s\n", label, value.c_str());
  }
  return kExitOk;
}

std::vector<std::pair<const char*, std::string>> OfflineLines(
    const google::protobuf::Struct& status) {
  return {
      {"running", "no (read from the data dir)"},
      {"node", FieldText(status, "node_id") + " in cluster " + FieldText(status, "cluster_id")},
      {"version", FieldText(status, "version") + " (data dir schema " +
                      FieldText(status, "schema_version") + ")"},
      {"log", FieldText(status, "log_first_index") + ".." + FieldText(status, "log_last_index")},
      {"applied", FieldText(status, "projection_applied_index") + " (lag " +
                      FieldText(status, "projection_lag") + "; folded at the next start)"},
      {"directory", FieldText(status, "directory_entries") + " entries"},
      {"data dir", FieldText(status, "data_dir")},
  };
}

// One line an operator reads at 3 a.m.: is the disk why mail is refused, and is the ballast back?
std::string DiskLine(const google::protobuf::Struct& status) {
  auto found = status.fields().find("disk");
  if (found == status.fields().end() || !found->second.has_struct_value()) return "unknown";
  const google::protobuf::Struct& disk = found->second.struct_value();
  std::string line =
      HumanBytes(static_cast<uint64_t>(FieldNumber(disk, "free_bytes"))) + " free, reserve " +
      HumanBytes(static_cast<uint64_t>(FieldNumber(disk, "reserve_bytes"))) + ", ballast " +
      (FieldText(disk, "ballast_present") == "yes" ? "kept" : "released");
  if (FieldText(disk, "accepting") == "yes") return line + ": accepting mail";
  return "FULL, refusing new mail with 452 4.3.1 (" + FieldText(disk, "refusing_because") +
         "): " + line;
}

std::vector<std::pair<const char*, std::string>> RunningLines(
    const google::protobuf::Struct& status) {
  return {
      {"running", "yes"},
      {"node", FieldText(status, "node_id") + " in cluster " + FieldText(status, "cluster_id")},
      {"version", FieldText(status, "version")},
      {"uptime", FieldText(status, "uptime_seconds") + " s"},
      {"log", FieldText(status, "log_first_index") + ".." + FieldText(status, "log_last_index") +
                  " (committed through " + FieldText(status, "commit_index") + ")"},
      {"applied", FieldText(status, "projection_applied_index") + " (lag " +
                      FieldText(status, "projection_lag") + ")"},
      {"read-only", FieldText(status, "read_only")},
      {"disk", DiskLine(status)},
      {"data dir", FieldText(status, "data_dir")},
      {"listeners", FieldText(status, "listeners")},
      {"smtp", FieldText(status, "smtp")},
      {"directory", FieldText(status, "directory")},
  };
}

int PrintOffline(const config::Config& config, bool as_json) {
  auto opened = OfflineState::Open(config);
  if (!opened.ok()) return Fail("status: " + opened.status().message());
  auto body = OfflineStatusJson(config, **opened);
  if (!body.ok()) return Fail("status: " + body.status().message());
  return PrintStatus(*body, as_json, "the data dir's status", OfflineLines);
}

}  // namespace

int StatusCommand(const Args& arguments) {
  Args args = arguments;
  bool as_json = TakeFlag(args, "--json");
  bool wait_applied = TakeFlag(args, "--wait-applied");
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  if (!args.empty()) return UsageError("status: unexpected argument \"" + args.front() + "\"");
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  // CallNode is Unavailable only when no node runs; a running node's error reply (a 503 when
  // the wait's bound passed, a 401 for a stale token) is reported as it is, never as "stopped".
  auto reply =
      CallNode(*config, "GET", wait_applied ? "/v1/status?wait_applied=last" : "/v1/status");
  if (!reply.ok() && reply.status().code() == StatusCode::kUnavailable) {
    if (wait_applied) {
      return Fail("status --wait-applied: " + reply.status().message() +
                  "; it waits for a running node's projections (a stopped node applies "
                  "nothing): start it, or drop --wait-applied to read the data dir");
    }
    return PrintOffline(*config, as_json);
  }
  if (!reply.ok()) return Fail("status: " + reply.status().message());
  if (reply->status != 200) return Fail("status: " + ReplyError(*reply).ToString());
  return PrintStatus(reply->body, as_json, "the node's answer", RunningLines);
}

}  // namespace lifeboat::cli
