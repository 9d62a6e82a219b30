// lifeboat log tail [-n N] [--before INDEX] | log show INDEX: events as JSON lines. Through the
// admin API when the node runs; otherwise straight from the log (which the node would hold
// locked).
//
// `tail` pages backwards, the way one reads a log: the last N events, then the N before the
// oldest shown (--before INDEX), and so on. Each page prints oldest first. stdout carries only
// events (for jq); when older events remain, stderr ends with the next page's command
// ("more: lifeboat log tail -n N --before INDEX").
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "appliance/admin/admin_router.h"
#include "appliance/admin/event_json.h"
#include "appliance/cli/cli.h"
#include "appliance/cli/json_fields.h"
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

// The indices the log holds: first..last (last < first when it is empty).
struct LogRange {
  uint64_t first = 1;
  uint64_t last = 0;
};

// The events a read covers: [from, through]. A tail page is the `count` events just before
// `before` (clamped to the log); `show` is one index.
struct Page {
  uint64_t from = 1;
  uint64_t through = 0;  // < from: nothing to read
};

Page TailPage(const LogRange& range, uint64_t before, uint64_t count) {
  before = std::min(before, range.last + 1);
  Page page;
  page.from = std::max(range.first, before > count ? before - count : 1);
  page.through = before - 1;
  return page;
}

// JSON lines for `page`, read directly from the log.
Result<std::string> ReadOffline(eventlog::LogStore& log, const Page& page) {
  std::string out;
  for (uint64_t next = page.from; next <= page.through;) {
    auto records = log.Read(next, page.through);
    if (!records.ok()) return records.status();
    if (records->empty()) break;
    for (const auto& record : *records) {
      auto json = admin::RecordToJson(record);
      if (!json.ok()) return json.status();
      out += *json + "\n";
      next = record.index + 1;
    }
  }
  return out;
}

// The log's range as the running node reports it. Unavailable when it does not run.
Result<LogRange> RangeOnline(const config::Config& config) {
  auto body = QueryNode(config, "/v1/status");
  if (!body.ok()) return body.status();
  google::protobuf::Struct status;
  if (!google::protobuf::util::JsonStringToMessage(*body, &status).ok() ||
      status.fields().count("log_last_index") == 0) {
    return Status::Corruption("the node's status has no log_last_index");
  }
  LogRange range;
  range.first = static_cast<uint64_t>(FieldNumber(status, "log_first_index"));
  range.last = static_cast<uint64_t>(FieldNumber(status, "log_last_index"));
  if (range.first == 0) range.first = 1;
  return range;
}

struct Request {
  bool tail = true;
  uint64_t count = kTailCountDefault;
  std::optional<uint64_t> before;  // tail: the page before this index; else the last page
  uint64_t index = 0;              // show
};

Page PageFor(const Request& request, const LogRange& range) {
  if (!request.tail) return Page{request.index, request.index};
  return TailPage(range, request.before.value_or(range.last + 1), request.count);
}

// The events and the range they were read from; through the node, else from the data dir.
Result<std::pair<std::string, Page>> Read(const config::Config& config, const Request& request,
                                          LogRange& range) {
  auto online = RangeOnline(config);
  if (online.ok()) {
    range = *online;
    Page page = PageFor(request, range);
    if (page.through < page.from) return std::pair{std::string(), page};
    auto text = QueryNode(config, "/v1/log?from=" + std::to_string(page.from) +
                                      "&count=" + std::to_string(page.through - page.from + 1));
    if (!text.ok()) return text.status();
    return std::pair{std::move(text).value(), page};
  }
  if (online.status().code() != StatusCode::kUnavailable) return online.status();
  auto log = OpenLogOffline(config);
  if (!log.ok()) return log.status();
  range = LogRange{(*log)->first_index(), (*log)->last_index()};
  Page page = PageFor(request, range);
  if (request.tail && page.through < page.from) return std::pair{std::string(), page};
  if (!request.tail && (page.from < range.first || page.from > range.last)) {
    return std::pair{std::string(), page};
  }
  auto text = ReadOffline(**log, page);
  if (!text.ok()) return text.status();
  return std::pair{std::move(text).value(), page};
}

}  // namespace

int LogCommand(const Args& arguments) {
  Args args = arguments;
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  auto n_flag = TakeOption(args, "-n");
  if (!n_flag.ok()) return UsageError(n_flag.status().message());
  auto before_flag = TakeOption(args, "--before");
  if (!before_flag.ok()) return UsageError(before_flag.status().message());
  if (args.empty()) return UsageError("log: expected `tail` or `show INDEX`");
  Request request;
  if (args[0] == "tail" && args.size() == 1) {
    if (n_flag->has_value()) {
      auto n = ParseCount(**n_flag, "-n");
      if (!n.ok()) return UsageError(n.status().message());
      request.count = *n;
    }
    if (request.count == 0 || request.count > admin::kAdminLogCountMax) {
      return UsageError("-n " + std::to_string(request.count) + ": expected 1.." +
                        std::to_string(admin::kAdminLogCountMax));
    }
    if (before_flag->has_value()) {
      auto before = ParseCount(**before_flag, "--before");
      if (!before.ok()) return UsageError(before.status().message());
      if (*before == 0) return UsageError("--before 0: expected a log index, 1 or more");
      request.before = *before;
    }
  } else if (args[0] == "show" && args.size() == 2 && !n_flag->has_value() &&
             !before_flag->has_value()) {
    auto index = ParseCount(args[1], "INDEX");
    if (!index.ok()) return UsageError(index.status().message());
    request.tail = false;
    request.index = *index;
  } else {
    return UsageError("log: expected `tail [-n N] [--before INDEX]` or `show INDEX`");
  }
  auto config = LoadConfig(*config_flag);
  if (!config.ok()) return Fail(config.status().message());
  LogRange range;
  auto read = Read(*config, request, range);
  if (!read.ok()) return Fail("log: " + read.status().message());
  const auto& [text, page] = *read;
  if (!request.tail && text.empty()) {
    return Fail("log: no event at index " + std::to_string(request.index));
  }
  std::fputs(text.c_str(), stdout);
  if (request.tail && page.from <= page.through && page.from > range.first) {
    std::fflush(stdout);
    std::string next = "lifeboat log tail -n " + std::to_string(request.count) + " --before " +
                       std::to_string(page.from);
    if (config_flag->has_value()) next += " --config " + ShellWord(**config_flag);
    std::fprintf(stderr, "more: %s\n", next.c_str());
  }
  return kExitOk;
}

}  // namespace lifeboat::cli
