// lifeboat route status|force|auto: continuity routing (issue #11 Build 6).
//
//   lifeboat route status [--json] [--config FILE]
//   lifeboat route force continuity|normal --reason TEXT [--scope SCOPE] [--operator NAME]
//   lifeboat route auto --reason TEXT [--scope SCOPE] [--operator NAME]
//
// SCOPE: all (default), domain:X, group:ID. A force or an auto is one RoutingChanged event, with
// the operator and the reason: the command returns once it is durable and prints its log index.
// Everything goes through the running node (the routing service decides and proposes).
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "appliance/admin/admin_client.h"
#include "appliance/admin/query_string.h"
#include "appliance/cli/cli.h"
#include "appliance/cli/json_fields.h"

namespace lifeboat::cli {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// The newest probes `route status` shows per primary (the API keeps kProbeHistoryMax).
constexpr int kProbesShown = 5;
constexpr size_t kScopeColumnWidth = 28;
constexpr size_t kModeColumnWidth = 20;  // "continuity (forced)"

const google::protobuf::ListValue* ListField(const Struct& object, const std::string& key) {
  auto found = object.fields().find(key);
  if (found == object.fields().end() || !found->second.has_list_value()) return nullptr;
  return &found->second.list_value();
}

std::string SinceText(const Struct& scope) {
  auto micros = static_cast<int64_t>(FieldNumber(scope, "since_unix_micros"));
  if (micros == 0) return "";
  std::string text = FormatUnixMicros(micros, true) + " UTC";
  if (FieldText(scope, "since_node_start") == "yes") text = "at least since " + text;
  return text;
}

int Status(const config::Config& config, bool as_json) {
  auto body = QueryNode(config, "/v1/routing/status");
  if (!body.ok()) return Fail("route status: " + body.status().message());
  if (as_json) {
    std::fputs(body->c_str(), stdout);
    return kExitOk;
  }
  auto objects = ParseJsonLines(*body);
  if (!objects.ok() || objects->size() != 1) {
    return Fail("route status: the answer is not one JSON object");
  }
  const Struct& status = objects->front();
  if (FieldText(status, "configured") != "yes") {
    std::printf("routing: not configured (no [routing] primaries): nothing is probed\n");
  } else {
    std::printf("automatic mode: %s\n", FieldText(status, "automatic_mode").c_str());
  }
  std::printf("%s  %s  %s\n", FitColumn("SCOPE", kScopeColumnWidth).c_str(),
              FitColumn("MODE", kModeColumnWidth).c_str(), "SINCE");
  if (const auto* scopes = ListField(status, "scopes")) {
    for (const Value& value : scopes->values()) {
      const Struct& scope = value.struct_value();
      std::string mode = FieldText(scope, "mode");
      if (FieldText(scope, "forced") == "yes") mode += " (forced)";
      std::printf("%s  %s  %s\n", FitColumn(FieldText(scope, "scope"), kScopeColumnWidth).c_str(),
                  FitColumn(mode, kModeColumnWidth).c_str(), SinceText(scope).c_str());
    }
  }
  if (const auto* primaries = ListField(status, "primaries")) {
    for (const Value& value : primaries->values()) {
      const Struct& primary = value.struct_value();
      std::printf("primary %s: %s\n", FieldText(primary, "address").c_str(),
                  FieldText(primary, "up") == "yes" ? "up" : "down");
      const auto* probes = ListField(primary, "probes");
      if (probes == nullptr) continue;
      const int first = std::max(0, probes->values_size() - kProbesShown);
      for (int i = first; i < probes->values_size(); ++i) {
        const Struct& probe = probes->values(i).struct_value();
        std::printf(
            "  %s  %-11s %-4s %s\n",
            FormatUnixMicros(static_cast<int64_t>(FieldNumber(probe, "at_unix_micros")), true)
                .c_str(),
            FieldText(probe, "kind").c_str(), FieldText(probe, "success") == "yes" ? "ok" : "FAIL",
            FieldText(probe, "detail").c_str());
      }
    }
  }
  auto delivery = status.fields().find("delivery");
  if (delivery != status.fields().end() && delivery->second.has_struct_value()) {
    const Struct& queue = delivery->second.struct_value();
    std::printf("delivery to %s: %s mails queued (%s recipients, %s held), %s connections\n",
                FieldText(queue, "destination").c_str(), FieldText(queue, "queued_mails").c_str(),
                FieldText(queue, "queued_recipients").c_str(),
                FieldText(queue, "held_recipients").c_str(),
                FieldText(queue, "connections").c_str());
  }
  return kExitOk;
}

int Override(const config::Config& config, const std::string& mode, const std::string& scope,
             const std::string& operator_name, const std::string& reason) {
  const std::string target = "/v1/routing/override?scope=" + admin::PercentEncode(scope) +
                             "&mode=" + mode + "&operator=" + admin::PercentEncode(operator_name) +
                             "&reason=" + admin::PercentEncode(reason);
  auto reply = CallNode(config, "POST", target);
  if (!reply.ok()) return Fail("route: " + reply.status().message());
  if (reply->status != 200) return Fail("route: " + ReplyError(*reply).message());
  auto objects = ParseJsonLines(reply->body);
  if (!objects.ok() || objects->size() != 1) return Fail("route: the answer is not JSON");
  std::printf("%s: %s (log index %s)\n", scope.c_str(),
              mode == "auto" ? "automatic" : ("forced " + mode).c_str(),
              FieldText(objects->front(), "index").c_str());
  return kExitOk;
}

std::string DefaultOperator() {
  // The operator's login names who forced the switch in the event; the CLI runs as the operator.
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "unknown";
}

}  // namespace

int RouteCommand(const Args& arguments) {
  Args args = arguments;
  const bool as_json = TakeFlag(args, "--json");
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  auto scope = TakeOption(args, "--scope");
  if (!scope.ok()) return UsageError(scope.status().message());
  auto reason = TakeOption(args, "--reason");
  if (!reason.ok()) return UsageError(reason.status().message());
  auto operator_name = TakeOption(args, "--operator");
  if (!operator_name.ok()) return UsageError(operator_name.status().message());
  if (args.empty()) return UsageError("route: expected `status`, `force` or `auto`");
  const std::string verb = args[0];
  const bool override_flags =
      scope->has_value() || reason->has_value() || operator_name->has_value();
  if (verb == "status" && args.size() == 1 && !override_flags) {
    auto config = LoadConfig(*config_flag);
    if (!config.ok()) return Fail(config.status().message());
    return Status(*config, as_json);
  }
  std::string mode;
  if (verb == "force" && args.size() == 2 && (args[1] == "continuity" || args[1] == "normal")) {
    mode = args[1];
  } else if (verb == "auto" && args.size() == 1) {
    mode = "auto";
  } else if (verb == "force") {
    return UsageError("route force: expected `continuity` or `normal`");
  } else {
    return UsageError("route: expected `status`, `force continuity|normal` or `auto`");
  }
  if (as_json) return UsageError("route " + verb + ": --json belongs to `status`");
  // The reason is the audit trail of a switch: `lifeboat log` shows it in the event.
  if (!reason->has_value() || (*reason)->empty()) {
    return UsageError("route " + verb + ": say why with --reason TEXT (it goes into the log)");
  }
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  return Override(*config, mode, scope->value_or("all"), operator_name->value_or(DefaultOperator()),
                  **reason);
}

}  // namespace lifeboat::cli
