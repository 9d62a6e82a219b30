// lifeboat status [--json] [--config FILE]: asks the running node's admin API.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "appliance/cli/cli.h"

namespace lifeboat::cli {

namespace {

std::string FieldText(const google::protobuf::Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  if (it == object.fields().end()) return "-";
  const google::protobuf::Value& value = it->second;
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kNumberValue: {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.0f", value.number_value());
      return buffer;
    }
    case google::protobuf::Value::kBoolValue:
      return value.bool_value() ? "yes" : "no";
    case google::protobuf::Value::kStructValue: {
      std::string out;
      for (const auto& [name, inner] : value.struct_value().fields()) {
        out += (out.empty() ? "" : ", ") + name + " " + inner.string_value();
      }
      return out;
    }
    default:
      return "-";
  }
}

}  // namespace

int StatusCommand(const Args& arguments) {
  Args args = arguments;
  bool as_json = TakeFlag(args, "--json");
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  if (!args.empty()) return UsageError("status: unexpected argument \"" + args.front() + "\"");
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  auto body = QueryNode(*config, "/v1/status");
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
  };
  for (const auto& [label, value] : lines) std::printf("%-10s %s\n", label, value.c_str());
  return kExitOk;
}

}  // namespace lifeboat::cli
