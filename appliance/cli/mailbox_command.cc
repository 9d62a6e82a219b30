// lifeboat mailbox list|show|ls: what the appliance holds for a mailbox, for the operator.
// Through the admin API when the node runs, else from its data dir (offline_state.h); both run
// the same queries (appliance/admin/mailbox_queries.h) and print the same lines.
//
//   lifeboat mailbox list ADDRESS [--folder NAME] [--limit N] [--after ID] [--json]
//                        [--config FILE]
//     newest first, a page at a time: when more remain, the last line is the command for the
//     next page ("more: ... --after ID"; with --json a last {"next_after":ID} line)
//   lifeboat mailbox show ADDRESS MESSAGE_ID [--raw] [--json] [--config FILE]
//   lifeboat mailbox ls [--limit N] [--json] [--config FILE]
//
// ADDRESS is any address of the owner in the directory, or a mailbox id. `show --raw` prints the
// message exactly as received after its metadata: an operator tool on the appliance, not an
// export path (DESIGN.md "Webmail and access": no bulk export).
#include <charconv>
#include <cstdio>

#include "appliance/admin/admin_client.h"
#include "appliance/admin/mailbox_queries.h"
#include "appliance/admin/query_string.h"
#include "appliance/cli/cli.h"
#include "appliance/cli/json_fields.h"
#include "appliance/cli/offline_state.h"

namespace lifeboat::cli {
namespace {

// Column widths of `mailbox list` and `mailbox ls`, in characters.
constexpr size_t kDateColumnWidth = 16;
constexpr size_t kFromColumnWidth = 30;
constexpr size_t kSubjectColumnWidth = 40;
constexpr size_t kSizeColumnWidth = 7;
constexpr size_t kFolderColumnWidth = 10;
constexpr size_t kMailboxIdColumnWidth = 36;
constexpr size_t kAddressColumnWidth = 36;

Result<uint64_t> ParseLimit(const std::optional<std::string>& text, uint64_t fallback,
                            uint64_t max) {
  if (!text.has_value()) return fallback;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || error != std::errc() || end != text->data() + text->size() || value == 0 ||
      value > max) {
    return Status::InvalidArgument("--limit " + *text + ": expected 1.." + std::to_string(max));
  }
  return value;
}

void PrintMessageRows(const std::vector<google::protobuf::Struct>& rows) {
  std::printf("%s  %s  %s  %*s  %s  %s\n", FitColumn("DATE (UTC)", kDateColumnWidth).c_str(),
              FitColumn("FROM", kFromColumnWidth).c_str(),
              FitColumn("SUBJECT", kSubjectColumnWidth).c_str(), static_cast<int>(kSizeColumnWidth),
              "SIZE", FitColumn("FOLDER", kFolderColumnWidth).c_str(), "ID");
  for (const auto& row : rows) {
    auto received = static_cast<int64_t>(FieldNumber(row, "received_unix_micros"));
    std::string from = FieldText(row, "from");
    if (from.empty()) from = "<>";
    std::string subject = FieldText(row, "subject");
    if (subject.empty()) subject = "(no subject)";
    std::printf("%s  %s  %s  %*s  %s  %s\n",
                FitColumn(FormatUnixMicros(received), kDateColumnWidth).c_str(),
                FitColumn(from, kFromColumnWidth).c_str(),
                FitColumn(subject, kSubjectColumnWidth).c_str(), static_cast<int>(kSizeColumnWidth),
                HumanBytes(static_cast<uint64_t>(FieldNumber(row, "size_bytes"))).c_str(),
                FitColumn(FieldText(row, "folder"), kFolderColumnWidth).c_str(),
                FieldText(row, "message_id").c_str());
  }
}

std::string AddressListText(const google::protobuf::Struct& message, const std::string& key) {
  auto it = message.fields().find(key);
  if (it == message.fields().end()) return "";
  std::string out;
  for (const auto& item : it->second.list_value().values()) {
    std::string name = FieldText(item.struct_value(), "name");
    std::string address = FieldText(item.struct_value(), "address");
    out += (out.empty() ? "" : ", ") + (name.empty() ? address : name + " <" + address + ">");
  }
  return out;
}

void PrintMessageDetail(const google::protobuf::Struct& message) {
  std::string from = FieldText(message, "from");
  std::string from_name = FieldText(message, "from_name");
  std::string attachments;
  auto it = message.fields().find("attachments");
  if (it != message.fields().end()) {
    for (const auto& item : it->second.list_value().values()) {
      const auto& attachment = item.struct_value();
      attachments += (attachments.empty() ? "" : ", ") + FieldText(attachment, "name") + " (" +
                     FieldText(attachment, "content_type") + ", " +
                     HumanBytes(static_cast<uint64_t>(FieldNumber(attachment, "decoded_bytes"))) +
                     ")";
    }
  }
  auto received = static_cast<int64_t>(FieldNumber(message, "received_unix_micros"));
  auto date = static_cast<int64_t>(FieldNumber(message, "date_unix_seconds"));
  const std::pair<const char*, std::string> lines[] = {
      {"message", FieldText(message, "message_id")},
      {"mailbox", FieldText(message, "mailbox_id")},
      {"folder", FieldText(message, "folder")},
      {"received", FormatUnixMicros(received, true) + " UTC (log index " +
                       FieldText(message, "event_index") + ", mail " +
                       FieldText(message, "mail_id") + ")"},
      {"envelope", "MAIL FROM:<" + FieldText(message, "mail_from") + ">"},
      {"from", from_name.empty() ? from : from_name + " <" + from + ">"},
      {"to", AddressListText(message, "to")},
      {"cc", AddressListText(message, "cc")},
      {"subject", FieldText(message, "subject")},
      {"date", FormatUnixMicros(date * 1'000'000, true) + " UTC" +
                   (FieldText(message, "date_from_header") == "yes" ? "" : " (no valid Date)")},
      {"message-id", FieldText(message, "message_id_header")},
      {"size", FieldText(message, "size_bytes") + " bytes"},
      {"flags", FieldText(message, "flags")},
      {"attachments", attachments},
      {"preview", FieldText(message, "preview")},
      {"problems", FieldText(message, "problems")},
  };
  for (const auto& [label, value] : lines) {
    if (!value.empty()) std::printf("%-11s %s\n", label, value.c_str());
  }
}

// What `mailbox list` was asked, so the next page's command can be printed in full.
struct ListRequest {
  std::string address;
  std::optional<std::string> folder;
  std::optional<std::string> limit_text;  // as typed, when given
  uint64_t limit = admin::kMailboxMessagesDefault;
  std::optional<std::string> after;
  std::optional<std::string> config_path;  // --config as typed, when given
};

std::string NextPageCommand(const ListRequest& request, const std::string& next_after) {
  std::string command = "lifeboat mailbox list " + ShellWord(request.address);
  if (request.folder.has_value()) command += " --folder " + ShellWord(*request.folder);
  if (request.limit_text.has_value()) command += " --limit " + ShellWord(*request.limit_text);
  command += " --after " + ShellWord(next_after);
  if (request.config_path.has_value()) command += " --config " + ShellWord(*request.config_path);
  return command;
}

int ListCommand(const config::Config& config, const ListRequest& request, bool as_json) {
  std::string target = "/v1/mailbox?address=" + admin::PercentEncode(request.address) +
                       "&limit=" + std::to_string(request.limit);
  if (request.folder.has_value()) target += "&folder=" + admin::PercentEncode(*request.folder);
  if (request.after.has_value()) target += "&after=" + admin::PercentEncode(*request.after);
  auto body = AskNodeOrDataDir(config, target, [&](const OfflineState& state) {
    return admin::MailboxQueries(state.directory(), state.state(), state.bodies())
        .Messages(request.address, request.folder.value_or(""), request.limit,
                  request.after.value_or(""));
  });
  if (!body.ok()) return Fail("mailbox list: " + body.status().message());
  if (as_json) {
    std::fputs(body->c_str(), stdout);
    return kExitOk;
  }
  auto rows = ParseJsonLines(*body);
  if (!rows.ok()) return Fail("mailbox list: " + rows.status().message());
  // The last line names the next page when more remain (MailboxQueries::Messages).
  std::string next_after;
  if (!rows->empty() && rows->back().fields().count("next_after") != 0) {
    next_after = FieldText(rows->back(), "next_after");
    rows->pop_back();
  }
  if (rows->empty()) {
    std::fputs(request.after.has_value() ? "no more messages\n" : "no messages\n", stdout);
    return kExitOk;
  }
  PrintMessageRows(*rows);
  if (!next_after.empty()) {
    std::printf("more: %s\n", NextPageCommand(request, next_after).c_str());
  }
  return kExitOk;
}

int ShowCommand(const config::Config& config, const std::string& address,
                const std::string& message_id, bool raw, bool as_json) {
  std::string target = "/v1/message?mailbox=" + admin::PercentEncode(address) +
                       "&id=" + admin::PercentEncode(message_id);
  auto body = AskNodeOrDataDir(config, target, [&](const OfflineState& state) {
    return admin::MailboxQueries(state.directory(), state.state(), state.bodies())
        .Message(address, message_id);
  });
  if (!body.ok()) return Fail("mailbox show: " + body.status().message());
  if (as_json) {
    std::fputs(body->c_str(), stdout);
    if (body->empty() || body->back() != '\n') std::fputc('\n', stdout);
  } else {
    auto message = ParseJsonLines(*body);
    if (!message.ok() || message->size() != 1) {
      return Fail("mailbox show: the answer is not one JSON object");
    }
    PrintMessageDetail(message->front());
  }
  if (!raw) return kExitOk;
  auto bytes = AskNodeOrDataDir(config, target + "&raw=1", [&](const OfflineState& state) {
    return admin::MailboxQueries(state.directory(), state.state(), state.bodies())
        .RawMessage(address, message_id);
  });
  if (!bytes.ok()) return Fail("mailbox show: " + bytes.status().message());
  std::printf("\n");
  std::fwrite(bytes->data(), 1, bytes->size(), stdout);
  return kExitOk;
}

int LsCommand(const config::Config& config, uint64_t limit, bool as_json) {
  auto body = AskNodeOrDataDir(
      config, "/v1/mailboxes?limit=" + std::to_string(limit), [&](const OfflineState& state) {
        return admin::MailboxQueries(state.directory(), state.state(), state.bodies())
            .Mailboxes(limit);
      });
  if (!body.ok()) return Fail("mailbox ls: " + body.status().message());
  if (as_json) {
    std::fputs(body->c_str(), stdout);
    return kExitOk;
  }
  auto rows = ParseJsonLines(*body);
  if (!rows.ok()) return Fail("mailbox ls: " + rows.status().message());
  if (rows->empty()) {
    std::printf("no mailboxes\n");
    return kExitOk;
  }
  std::printf("%s  %s  %-11s  %8s  %s\n", FitColumn("MAILBOX ID", kMailboxIdColumnWidth).c_str(),
              FitColumn("PRIMARY ADDRESS", kAddressColumnWidth).c_str(), "PROVISIONED", "MESSAGES",
              "FOLDERS");
  for (const auto& row : *rows) {
    std::string count = FieldText(row, "message_count");
    if (FieldText(row, "message_count_capped") == "yes") count = ">=" + count;
    std::printf("%s  %s  %-11s  %8s  %s\n",
                FitColumn(FieldText(row, "mailbox_id"), kMailboxIdColumnWidth).c_str(),
                FitColumn(FieldText(row, "primary_address"), kAddressColumnWidth).c_str(),
                FieldText(row, "provisioned").c_str(), count.c_str(),
                FieldText(row, "folders").c_str());
  }
  if (rows->size() == limit) {
    std::printf("(first %llu shown: --limit N shows up to %llu)\n",
                static_cast<unsigned long long>(limit),
                static_cast<unsigned long long>(admin::kMailboxesMax));
  }
  return kExitOk;
}

}  // namespace

int MailboxCommand(const Args& arguments) {
  Args args = arguments;
  bool as_json = TakeFlag(args, "--json");
  bool raw = TakeFlag(args, "--raw");
  auto config_flag = TakeOption(args, "--config");
  if (!config_flag.ok()) return UsageError(config_flag.status().message());
  auto folder = TakeOption(args, "--folder");
  if (!folder.ok()) return UsageError(folder.status().message());
  auto limit_flag = TakeOption(args, "--limit");
  if (!limit_flag.ok()) return UsageError(limit_flag.status().message());
  auto after = TakeOption(args, "--after");
  if (!after.ok()) return UsageError(after.status().message());
  if (args.empty()) return UsageError("mailbox: expected `list`, `show` or `ls`");
  if (args[0] != "list" && after->has_value()) {
    return UsageError("mailbox " + args[0] + ": --after belongs to `list`");
  }
  const std::string verb = args[0];
  if (verb == "list" && args.size() == 2 && !raw) {
    auto limit =
        ParseLimit(*limit_flag, admin::kMailboxMessagesDefault, admin::kMailboxMessagesMax);
    if (!limit.ok()) return UsageError(limit.status().message());
    if (folder->has_value() && (*folder)->empty()) return UsageError("--folder: empty name");
    if (after->has_value() && (*after)->empty()) {
      return UsageError("--after: empty; give the ID of the last message of the previous page");
    }
    auto config = LoadConfig(*config_flag);
    if (!config.ok()) return Fail(config.status().message());
    ListRequest request{args[1], *folder, *limit_flag, *limit, *after, *config_flag};
    return ListCommand(*config, request, as_json);
  }
  if (verb == "show" && args.size() == 3 && !folder->has_value() && !limit_flag->has_value()) {
    auto config = LoadConfig(*config_flag);
    if (!config.ok()) return Fail(config.status().message());
    return ShowCommand(*config, args[1], args[2], raw, as_json);
  }
  if (verb == "ls" && args.size() == 1 && !folder->has_value() && !raw) {
    auto limit = ParseLimit(*limit_flag, admin::kMailboxesDefault, admin::kMailboxesMax);
    if (!limit.ok()) return UsageError(limit.status().message());
    auto config = LoadConfig(*config_flag);
    if (!config.ok()) return Fail(config.status().message());
    return LsCommand(*config, *limit, as_json);
  }
  return UsageError(
      "mailbox: expected `list ADDRESS [--folder NAME] [--limit N] [--after ID] [--json]`, "
      "`show ADDRESS MESSAGE_ID [--raw] [--json]` or `ls [--limit N] [--json]`");
}

}  // namespace lifeboat::cli
