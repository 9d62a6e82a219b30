// lifeboat log tail [-n N] | log show INDEX: events as JSON lines. Through the admin API when the
// node runs; otherwise straight from the log (which the node would hold locked).
#include <charconv>
#include <cstdio>

#include "appliance/admin/admin_router.h"
#include "appliance/admin/event_json.h"
#include "appliance/cli/cli.h"
#include "eventlog/log_store.h"

namespace lifeboat::cli {

namespace {

constexpr uint64_t kTailCountDefault = 10;

Result<uint64_t> ParseCount(const std::string& text, const std::string& what) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(what + " \"" + text + "\": expected a decimal integer");
  }
  return value;
}

// JSON lines for [from, from + count) read directly from the log.
Result<std::string> ReadOffline(const config::Config& config, std::optional<uint64_t> from,
                                uint64_t count) {
  auto log = OpenLogOffline(config);
  if (!log.ok()) return log.status();
  uint64_t first = (*log)->first_index();
  uint64_t last = (*log)->last_index();
  if (last < first) return std::string();
  uint64_t start = from.has_value() ? *from : (last - first + 1 > count ? last - count + 1 : first);
  if (start > last) return std::string();
  uint64_t through = count - 1 > last - start ? last : start + count - 1;
  std::string out;
  for (uint64_t next = start; next <= through;) {
    auto records = (*log)->Read(next, through);
    if (!records.ok()) return records.status();
    for (const auto& record : *records) {
      auto json = admin::RecordToJson(record);
      if (!json.ok()) return json.status();
      out += *json + "\n";
      next = record.index + 1;
    }
  }
  return out;
}

// The same through the running node. Unavailable when it does not run.
Result<std::string> ReadOnline(const config::Config& config, std::optional<uint64_t> from,
                               uint64_t count) {
  if (!from.has_value()) {
    // The tail needs the last index first: ask the status endpoint.
    auto status = QueryNode(config, "/v1/status");
    if (!status.ok()) return status.status();
    constexpr std::string_view kKey = "\"log_last_index\":";
    size_t at = status->find(kKey);
    if (at == std::string::npos) return Status::Corruption("status has no log_last_index");
    uint64_t last = 0;
    const char* begin = status->data() + at + kKey.size();
    std::from_chars(begin, status->data() + status->size(), last);
    from = last >= count ? last - count + 1 : 1;
    if (last == 0) return std::string();
  }
  return QueryNode(config,
                   "/v1/log?from=" + std::to_string(*from) + "&count=" + std::to_string(count));
}

}  // namespace

int LogCommand(const Args& arguments) {
  Args args = arguments;
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  auto n_flag = TakeOption(args, "-n");
  if (!n_flag.ok()) return UsageError(n_flag.status().message());
  if (args.empty()) return UsageError("log: expected `tail` or `show INDEX`");
  std::optional<uint64_t> from;
  uint64_t count = kTailCountDefault;
  if (args[0] == "tail" && args.size() == 1) {
    if (n_flag->has_value()) {
      auto n = ParseCount(**n_flag, "-n");
      if (!n.ok()) return UsageError(n.status().message());
      count = *n;
    }
    if (count == 0 || count > admin::kAdminLogCountMax) {
      return UsageError("-n " + std::to_string(count) + ": expected 1.." +
                        std::to_string(admin::kAdminLogCountMax));
    }
  } else if (args[0] == "show" && args.size() == 2 && !n_flag->has_value()) {
    auto index = ParseCount(args[1], "INDEX");
    if (!index.ok()) return UsageError(index.status().message());
    from = *index;
    count = 1;
  } else {
    return UsageError("log: expected `tail [-n N]` or `show INDEX`");
  }
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  auto text = ReadOnline(*config, from, count);
  if (!text.ok() && text.status().code() == StatusCode::kUnavailable) {
    text = ReadOffline(*config, from, count);
  }
  if (!text.ok()) return Fail("log: " + text.status().message());
  if (from.has_value() && text->empty()) {
    return Fail("log: no event at index " + std::to_string(*from));
  }
  std::fputs(text->c_str(), stdout);
  return kExitOk;
}

}  // namespace lifeboat::cli
