// lifeboat directory status|sync|import|show|search: the directory the appliance serves from.
//
//   lifeboat directory status [--json] [--config FILE]
//   lifeboat directory sync --now [--full] [--confirm-mass-deprovision] [--config FILE]
//   lifeboat directory import [--confirm-mass-deprovision] [--config FILE]
//   lifeboat directory show ADDRESS_OR_ID [--config FILE]
//   lifeboat directory search TEXT [--limit N] [--json] [--config FILE]
//
// Reads (status, show, search) go through the admin API when the node runs and to the data dir
// when it is stopped. Actions (sync, import) run in the node: the API answers 202 with an action
// id at once and this command polls GET /v1/directory/action until the action is done, for at
// most kActionWaitSeconds (admin/directory_actions.h says why it is not one long request).
#include <charconv>
#include <chrono>
#include <cstdio>
#include <thread>

#include "appliance/admin/admin_client.h"
#include "appliance/admin/directory_queries.h"
#include "appliance/admin/query_string.h"
#include "appliance/cli/cli.h"
#include "appliance/cli/json_fields.h"
#include "appliance/cli/offline_state.h"
#include "appliance/cli/progress_line.h"
#include "appliance/env/libevent_env.h"
#include "appliance/json/json_writer.h"

namespace lifeboat::cli {
namespace {

// An LDAP full sync of a large directory takes minutes; past this the command stops waiting
// (the sync goes on in the node) and says so.
constexpr int kActionWaitSeconds = 600;
constexpr std::chrono::milliseconds kActionPollInterval{200};
constexpr int kActionPollsMax = kActionWaitSeconds * 1000 / 200;

constexpr size_t kIdColumnWidth = 24;
constexpr size_t kKindColumnWidth = 7;
constexpr size_t kAddressColumnWidth = 36;
constexpr size_t kNameColumnWidth = 28;

Result<uint64_t> ParseLimit(const std::optional<std::string>& text) {
  if (!text.has_value()) return admin::kDirectorySearchResultsDefault;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || error != std::errc() || end != text->data() + text->size() || value == 0 ||
      value > admin::kDirectorySearchResultsMax) {
    return Status::InvalidArgument("--limit " + *text + ": expected 1.." +
                                   std::to_string(admin::kDirectorySearchResultsMax));
  }
  return value;
}

// What a stopped node can say about its directory: the entries it would serve.
std::string OfflineStatusJson(const config::Config& config, const OfflineState& state) {
  json::ObjectWriter writer;
  writer.Uint("entries", state.directory().size()).Bool("node_running", false);
  if (config.directory.import_file.has_value()) {
    writer.String("import_file", *config.directory.import_file);
  }
  if (!config.directory.ldap_uris.empty()) {
    writer.String("ldap_server", config.directory.ldap_uris.front());
  }
  return writer.Finish() + "\n";
}

int StatusCommand(const config::Config& config, bool as_json) {
  auto body = AskNodeOrDataDir(config, "/v1/directory/status", [&](const OfflineState& state) {
    return Result<std::string>(OfflineStatusJson(config, state));
  });
  if (!body.ok()) return Fail("directory status: " + body.status().message());
  if (as_json) {
    std::fputs(body->c_str(), stdout);
    return kExitOk;
  }
  auto objects = ParseJsonLines(*body);
  if (!objects.ok() || objects->size() != 1) {
    return Fail("directory status: the answer is not one JSON object");
  }
  const auto& status = objects->front();
  std::string last_success;
  if (status.fields().count("last_success_unix_seconds") != 0) {
    auto seconds = static_cast<int64_t>(FieldNumber(status, "last_success_unix_seconds"));
    last_success = FormatUnixMicros(seconds * 1'000'000, true) + " UTC (" +
                   FieldText(status, "last_success_age_seconds") + " s ago)";
  }
  const std::pair<const char*, std::string> lines[] = {
      {"entries", FieldText(status, "entries")},
      {"node", FieldText(status, "node_running") == "no" ? "stopped (read from the data dir)" : ""},
      {"import file", FieldText(status, "import_file")},
      {"import", FieldText(status, "import_outcome")},
      {"ldap server", FieldText(status, "ldap_server")},
      {"ldap method", FieldText(status, "ldap_method")},
      {"syncing", FieldText(status, "running")},
      {"last sync", FieldText(status, "last_outcome")},
      {"last success", last_success},
      {"last error", FieldText(status, "last_error")},
  };
  for (const auto& [label, value] : lines) {
    if (!value.empty()) std::printf("%-13s %s\n", label, value.c_str());
  }
  return kExitOk;
}

// POSTs `target`, then polls the action until it is done. Exit 0 when its outcome is "ok". On a
// terminal, stderr shows the action's state and the time waited on one line (progress_line.h).
int RunAction(const config::Config& config, const std::string& what, const std::string& target) {
  auto started = CallNode(config, "POST", target);
  if (!started.ok()) {
    if (started.status().code() == StatusCode::kUnavailable) {
      return Fail("directory " + what + ": " + started.status().message() +
                  "; it runs in the node: start it (`lifeboat serve`), it imports and syncs at "
                  "start");
    }
    return Fail("directory " + what + ": " + started.status().message());
  }
  if (started->status / 100 != 2) {
    return Fail("directory " + what + ": " + ReplyError(*started).message());
  }
  // The CLI's clock is the production Env's, for the progress line only (env.h).
  auto env = LibeventEnv::Create();
  if (!env.ok()) return Fail("directory " + what + ": " + env.status().ToString());
  ProgressLine progress = ProgressLine::ForTerminal(stderr, **env);
  auto fail = [&](const std::string& message) {
    progress.Clear();
    return Fail("directory " + what + ": " + message);
  };
  std::string body = started->body;
  for (int poll = 0;; ++poll) {
    auto action = ParseJsonLines(body);
    if (!action.ok() || action->size() != 1) {
      return fail("the node answered something that is not JSON");
    }
    const std::string id = FieldText(action->front(), "id");
    const std::string state = FieldText(action->front(), "state");
    if (state == "done") {
      progress.Clear();
      const std::string outcome = FieldText(action->front(), "outcome");
      if (outcome != "ok") return Fail("directory " + what + " failed: " + outcome);
      std::printf("directory %s done (action %s)\n", what.c_str(), id.c_str());
      return kExitOk;
    }
    if (poll == kActionPollsMax) {
      return fail("still running after " + std::to_string(kActionWaitSeconds) +
                  " s; it goes on in the node (`lifeboat directory status`)");
    }
    progress.Update("directory " + what + " (action " + id + "): " + state + ", " +
                    HumanDuration(progress.Elapsed()) + " elapsed");
    std::this_thread::sleep_for(kActionPollInterval);
    auto reply = CallNode(config, "GET", "/v1/directory/action?id=" + id);
    if (!reply.ok()) return fail(reply.status().message());
    if (reply->status != 200) return fail(ReplyError(*reply).message());
    body = reply->body;
  }
}

int ShowCommand(const config::Config& config, const std::string& key) {
  auto body = AskNodeOrDataDir(config, "/v1/directory/entry?id=" + admin::PercentEncode(key),
                               [&](const OfflineState& state) {
                                 return admin::DirectoryEntryQuery(state.directory(), key);
                               });
  if (!body.ok()) return Fail("directory show: " + body.status().message());
  std::fputs(body->c_str(), stdout);
  if (body->empty() || body->back() != '\n') std::fputc('\n', stdout);
  return kExitOk;
}

int SearchCommand(const config::Config& config, const std::string& text, uint64_t limit,
                  bool as_json) {
  auto body = AskNodeOrDataDir(
      config,
      "/v1/directory/search?q=" + admin::PercentEncode(text) + "&limit=" + std::to_string(limit),
      [&](const OfflineState& state) {
        return admin::DirectorySearchQuery(state.directory(), text, limit);
      });
  if (!body.ok()) return Fail("directory search: " + body.status().message());
  if (as_json) {
    std::fputs(body->c_str(), stdout);
    return kExitOk;
  }
  auto rows = ParseJsonLines(*body);
  if (!rows.ok()) return Fail("directory search: " + rows.status().message());
  if (rows->empty()) {
    std::printf("no entries match \"%s\"\n", text.c_str());
    return kExitOk;
  }
  std::printf("%s  %s  %s  %s  %s\n", FitColumn("ID", kIdColumnWidth).c_str(),
              FitColumn("KIND", kKindColumnWidth).c_str(),
              FitColumn("ADDRESS", kAddressColumnWidth).c_str(),
              FitColumn("NAME", kNameColumnWidth).c_str(), "ACCOUNT");
  for (const auto& row : *rows) {
    std::string kind = FieldText(row, "kind");
    if (FieldText(row, "disabled") == "yes") kind += "*";
    std::printf("%s  %s  %s  %s  %s\n", FitColumn(FieldText(row, "id"), kIdColumnWidth).c_str(),
                FitColumn(kind, kKindColumnWidth).c_str(),
                FitColumn(FieldText(row, "primary_address"), kAddressColumnWidth).c_str(),
                FitColumn(FieldText(row, "display_name"), kNameColumnWidth).c_str(),
                FieldText(row, "sam_account_name").c_str());
  }
  if (rows->size() == limit) {
    std::printf("(first %llu matches shown: --limit N shows up to %llu)\n",
                static_cast<unsigned long long>(limit),
                static_cast<unsigned long long>(admin::kDirectorySearchResultsMax));
  }
  return kExitOk;
}

}  // namespace

int DirectoryCommand(const Args& arguments) {
  Args args = arguments;
  const bool as_json = TakeFlag(args, "--json");
  const bool now = TakeFlag(args, "--now");
  const bool full = TakeFlag(args, "--full");
  const bool confirm = TakeFlag(args, "--confirm-mass-deprovision");
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  auto limit_flag = TakeOption(args, "--limit");
  if (!limit_flag.ok()) return UsageError(limit_flag.status().message());
  if (args.empty()) {
    return UsageError("directory: expected `status`, `sync`, `import`, `show` or `search`");
  }
  const std::string verb = args[0];
  const bool action_flags = now || full || confirm;
  const bool read_only_verb = verb == "status" || verb == "show" || verb == "search";
  if (read_only_verb && action_flags) {
    return UsageError("directory " + verb +
                      ": --now, --full and --confirm-mass-deprovision "
                      "belong to `sync` and `import`");
  }
  if (verb != "search" && limit_flag->has_value()) {
    return UsageError("directory " + verb + ": --limit belongs to `search`");
  }
  auto load = [&]() { return LoadConfig(*config_flag); };
  if (verb == "status" && args.size() == 1) {
    auto config = load();
    if (!config.ok()) return Fail(config.status().message());
    return StatusCommand(*config, as_json);
  }
  if (verb == "sync" && args.size() == 1 && !as_json) {
    // --now is required: a sync is an explicit operator act, the periodic loop does the rest.
    if (!now) return UsageError("directory sync: say --now (the node also syncs periodically)");
    auto config = load();
    if (!config.ok()) return Fail(config.status().message());
    std::string target = "/v1/directory/sync?full=" + std::string(full ? "1" : "0") +
                         "&confirm_mass_deprovision=" + (confirm ? "1" : "0");
    return RunAction(*config, full ? "full sync" : "sync", target);
  }
  if (verb == "import" && args.size() == 1 && !as_json && !now && !full) {
    auto config = load();
    if (!config.ok()) return Fail(config.status().message());
    return RunAction(
        *config, "import",
        "/v1/directory/import?confirm_mass_deprovision=" + std::string(confirm ? "1" : "0"));
  }
  if (verb == "show" && args.size() == 2) {
    auto config = load();
    if (!config.ok()) return Fail(config.status().message());
    return ShowCommand(*config, args[1]);
  }
  if (verb == "search" && args.size() == 2) {
    auto limit = ParseLimit(*limit_flag);
    if (!limit.ok()) return UsageError(limit.status().message());
    auto config = load();
    if (!config.ok()) return Fail(config.status().message());
    return SearchCommand(*config, args[1], *limit, as_json);
  }
  return UsageError(
      "directory: expected `status [--json]`, `sync --now [--full] "
      "[--confirm-mass-deprovision]`, `import [--confirm-mass-deprovision]`, "
      "`show ADDRESS_OR_ID` or `search TEXT [--limit N] [--json]`");
}

}  // namespace lifeboat::cli
