// The mail routes: matching, and the reads (folders, lists, one message, one attachment, the
// directory). State changes and sending are in mail_changes.cc.
#include "modules/webmail/mail_routes.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <tuple>

#include "appliance/env/check.h"
#include "modules/ascii/ascii_case.h"
#include "modules/mailbox/mailbox_keys.h"
#include "modules/mailbox/message_content.h"
#include "modules/mailbox/message_parser.h"
#include "modules/webmail/attachment_disposition.h"
#include "modules/webmail/mail_api.pb.h"
#include "modules/webmail/mail_limits.h"
#include "modules/webmail/mail_routes_internal.h"
#include "modules/webmail/query_params.h"
#include "modules/webmail/reply.h"
#include "modules/webmail/security_headers.h"

namespace lifeboat::webmail {
namespace internal {

Reply MailJsonReply(int status, const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;  // "seen": false, "next": "" are answers too
  std::string json;
  LB_CHECK(google::protobuf::util::MessageToJsonString(message, &json, options).ok());
  Reply reply;
  reply.response.status = status;
  reply.response.SetHeader("Content-Type", "application/json; charset=utf-8");
  reply.response.body = std::move(json);
  AddSecurityHeaders(reply.response);
  return reply;
}

// protobuf's JSON parser is lenient about scalar types (a string where a bool is expected
// passes), so each top-level value's JSON type is checked against its field first.
bool TopLevelTypesMatch(std::string_view body, const google::protobuf::Message& message) {
  google::protobuf::Struct shape;
  if (!google::protobuf::util::JsonStringToMessage(std::string(body), &shape).ok()) return false;
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  for (const auto& [key, value] : shape.fields()) {
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName(key);
    if (field == nullptr) return false;
    google::protobuf::Value::KindCase kind = value.kind_case();
    if (field->is_repeated()) {
      if (kind != google::protobuf::Value::kListValue) return false;
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL) {
      if (kind != google::protobuf::Value::kBoolValue) return false;
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      if (kind != google::protobuf::Value::kStringValue) return false;
    }
  }
  return true;
}

bool ParseJsonBody(std::string_view body, google::protobuf::Message& message) {
  if (!TopLevelTypesMatch(body, message)) return false;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  return google::protobuf::util::JsonStringToMessage(std::string(body), &message, options).ok();
}

Reply StoreError(const Status& status) {
  if (status.code() == StatusCode::kNotFound) {
    return ErrorResponse(404, "not_found", "no such message");
  }
  return ErrorResponse(503, "unavailable", "the mailbox cannot be read now; try again");
}

bool ValidMessageId(std::string_view id) {
  if (id.empty() || id.size() > kMessageIdBytesMax) return false;
  for (unsigned char c : id) {
    // Printable ASCII without the characters that end or escape a path segment.
    if (c <= ' ' || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '%') return false;
  }
  return true;
}

bool ValidFolderName(std::string_view name) {
  if (name.empty() || name.size() > kFolderNameBytesMax) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool HasFlag(const mailbox::MessageEntry& entry, std::string_view flag) {
  return std::find(entry.flags().begin(), entry.flags().end(), flag) != entry.flags().end();
}

}  // namespace internal

namespace {

using internal::HasFlag;
using internal::kTrashFolder;
using internal::MailJsonReply;
using internal::StoreError;

constexpr std::string_view kMessagesPrefix = "/api/messages/";

// "/api/messages/<id>[/<rest>]" split into the id and the rest ("" for the message itself).
struct MessagePath {
  std::string_view id;
  std::string_view rest;
};
std::optional<MessagePath> SplitMessagePath(std::string_view path) {
  if (!path.starts_with(kMessagesPrefix)) return std::nullopt;
  path.remove_prefix(kMessagesPrefix.size());
  size_t slash = path.find('/');
  MessagePath out{path.substr(0, slash), ""};
  if (slash != std::string_view::npos) out.rest = path.substr(slash + 1);
  if (!internal::ValidMessageId(out.id)) return std::nullopt;
  return out;
}

// "attachments/<decimal index>", index below the parser's attachment limit.
std::optional<size_t> AttachmentIndex(std::string_view rest) {
  constexpr std::string_view kPrefix = "attachments/";
  if (!rest.starts_with(kPrefix)) return std::nullopt;
  rest.remove_prefix(kPrefix.size());
  if (rest.empty() || rest.size() > 4) return std::nullopt;
  size_t index = 0;
  for (char c : rest) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<size_t>(c - '0');
  }
  if (index >= mailbox::kAttachmentsMax) return std::nullopt;
  return index;
}

std::string Rfc3339(int64_t unix_seconds) {
  std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  if (gmtime_r(&time, &utc) == nullptr) return "";
  char text[32];
  if (std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) return "";
  return text;
}

std::string AddressText(const mailbox::Address& address) {
  if (address.name().empty()) return address.address();
  return address.name() + " <" + address.address() + ">";
}

MessageSummary Summary(const mailbox::MessageEntry& entry) {
  const mailbox::MessageMetadata& metadata = entry.metadata();
  MessageSummary summary;
  summary.set_id(entry.message_id());
  if (!metadata.from().empty()) summary.set_from(AddressText(metadata.from(0)));
  for (const mailbox::Address& to : metadata.to()) summary.add_to(AddressText(to));
  summary.set_subject(metadata.subject());
  summary.set_date(Rfc3339(metadata.date_unix_seconds()));
  summary.set_preview(metadata.preview());
  summary.set_seen(HasFlag(entry, "\\Seen"));
  summary.set_flagged(HasFlag(entry, "\\Flagged"));
  summary.set_has_attachments(metadata.has_attachments());
  summary.set_size(static_cast<uint32_t>(std::min<uint64_t>(metadata.size_bytes(), UINT32_MAX)));
  return summary;
}

// Inbox, Sent, then the others by name; Trash is always offered (delete moves there).
std::vector<std::string> FolderOrder(const mailbox::MailboxRecord* record) {
  std::vector<std::string> names = {std::string(mailbox::kInboxFolder),
                                    std::string(mailbox::kSentFolder)};
  std::vector<std::string> others;
  if (record != nullptr) {
    for (const std::string& folder : record->folders()) {
      if (std::find(names.begin(), names.end(), folder) == names.end()) others.push_back(folder);
    }
  }
  if (std::find(others.begin(), others.end(), kTrashFolder) == others.end()) {
    others.emplace_back(kTrashFolder);
  }
  std::sort(others.begin(), others.end());
  names.insert(names.end(), others.begin(), others.end());
  return names;
}

Reply Folders(const MailStore& store, const std::string& user_id) {
  auto record = store.mailboxes.GetMailbox(user_id);
  if (!record.ok() && record.status().code() != StatusCode::kNotFound) {
    return StoreError(record.status());
  }
  FoldersReply reply;
  for (const std::string& name : FolderOrder(record.ok() ? &*record : nullptr)) {
    FolderSummary* summary = reply.add_folders();
    summary->set_name(name);
    if (!record.ok()) continue;  // a user whose mailbox holds nothing yet
    std::string token;
    uint32_t total = 0;
    uint32_t unread = 0;
    do {
      auto page = store.mailboxes.ListFolder(user_id, name, token, mailbox::kListPageEntriesMax);
      if (!page.ok()) return StoreError(page.status());
      for (const mailbox::MessageEntry& entry : page->messages) {
        ++total;
        if (!HasFlag(entry, "\\Seen")) ++unread;
      }
      token = page->next_page_token;
    } while (!token.empty() && total < kFolderCountMessagesMax);
    summary->set_total(total);
    summary->set_unread(unread);
  }
  return MailJsonReply(200, reply);
}

Reply ListMessages(const MailStore& store, const std::string& user_id, const std::string& folder,
                   const std::string& before, size_t limit) {
  std::string start_after;
  if (!before.empty()) {
    // The cursor is the id of the last message of the previous page: a position, so mail that
    // arrives meanwhile neither repeats nor shifts the pages.
    auto cursor = store.mailboxes.GetMessage(user_id, before);
    if (!cursor.ok() && cursor.status().code() != StatusCode::kNotFound) {
      return StoreError(cursor.status());
    }
    if (!cursor.ok() || cursor->folder() != folder) {
      return ErrorResponse(400, "bad_cursor", "the page cursor names no message of this folder");
    }
    start_after = mailbox::MessageKey(user_id, folder, cursor->received_unix_micros(),
                                      cursor->event_index(), cursor->message_id());
  }
  auto page = store.mailboxes.ListFolder(user_id, folder, start_after, limit + 1);
  if (!page.ok()) return StoreError(page.status());
  MessagesReply reply;
  for (size_t i = 0; i < page->messages.size() && i < limit; ++i) {
    *reply.add_messages() = Summary(page->messages[i]);
  }
  if (page->messages.size() > limit) reply.set_next(page->messages[limit - 1].message_id());
  return MailJsonReply(200, reply);
}

Reply ReadMessage(const MailStore& store, const std::string& user_id, const std::string& id) {
  auto entry = store.mailboxes.GetMessage(user_id, id);
  if (!entry.ok()) return StoreError(entry.status());
  auto raw = store.mailboxes.GetRawMessage(user_id, id);
  if (!raw.ok()) return StoreError(raw.status());
  mailbox::MessageText text = mailbox::ReadMessageText(*raw);
  const mailbox::MessageMetadata& metadata = entry->metadata();
  MessageReply reply;
  reply.set_id(entry->message_id());
  reply.set_folder(entry->folder());
  if (!metadata.from().empty()) reply.set_from(AddressText(metadata.from(0)));
  for (const mailbox::Address& to : metadata.to()) reply.add_to(AddressText(to));
  for (const mailbox::Address& cc : metadata.cc()) reply.add_cc(AddressText(cc));
  reply.set_subject(metadata.subject());
  reply.set_date(Rfc3339(metadata.date_unix_seconds()));
  reply.set_seen(HasFlag(*entry, "\\Seen"));
  reply.set_flagged(HasFlag(*entry, "\\Flagged"));
  reply.set_text(std::move(text.text));
  reply.set_has_html(text.has_html);
  for (int i = 0; i < metadata.attachments_size(); ++i) {
    AttachmentSummary* attachment = reply.add_attachments();
    attachment->set_index(static_cast<uint32_t>(i));
    attachment->set_name(metadata.attachments(i).name());
    attachment->set_content_type(metadata.attachments(i).content_type());
    attachment->set_size(static_cast<uint32_t>(
        std::min<uint64_t>(metadata.attachments(i).decoded_bytes(), UINT32_MAX)));
  }
  return MailJsonReply(200, reply);
}

Reply DownloadAttachment(const MailStore& store, const std::string& user_id, const std::string& id,
                         size_t index) {
  auto raw = store.mailboxes.GetRawMessage(user_id, id);
  if (!raw.ok()) return StoreError(raw.status());
  auto attachment = mailbox::ReadAttachment(*raw, index);
  if (!attachment.ok()) {
    if (attachment.status().code() == StatusCode::kNotFound) {
      return ErrorResponse(404, "not_found", "no such attachment");
    }
    return ErrorResponse(413, "attachment_too_large", "the attachment is above the size limit");
  }
  Reply reply;
  reply.response.status = 200;
  reply.response.body = std::move(attachment->bytes);
  AddSecurityHeaders(reply.response);
  SetAttachmentHeaders(reply.response, attachment->name, attachment->content_type);
  return reply;
}

bool Matches(const events::DirectoryEntry& entry, const std::string& lower_query) {
  for (const std::string* field :
       {&entry.display_name(), &entry.primary_address(), &entry.given_name(), &entry.surname(),
        &entry.department(), &entry.title()}) {
    if (ascii::Lower(*field).find(lower_query) != std::string::npos) return true;
  }
  return false;
}

Reply SearchDirectory(const MailStore& store, const std::string& query) {
  std::string lower = ascii::Lower(query);
  std::vector<const events::DirectoryEntry*> found;
  directory::DirectoryState entries = store.directory.Snapshot();
  for (const auto& [id, entry] : entries) {
    if (entry.kind() != events::DIRECTORY_ENTRY_KIND_USER || entry.disabled()) continue;
    if (entry.primary_address().empty() || !Matches(entry, lower)) continue;
    found.push_back(&entry);
  }
  std::sort(found.begin(), found.end(), [](const auto* a, const auto* b) {
    return std::tie(a->display_name(), a->primary_address()) <
           std::tie(b->display_name(), b->primary_address());
  });
  if (found.size() > kDirectoryResultsMax) found.resize(kDirectoryResultsMax);
  DirectoryReply reply;
  for (const events::DirectoryEntry* entry : found) {
    Person* person = reply.add_people();
    person->set_name(entry->display_name());
    person->set_email(entry->primary_address());
    person->set_title(entry->title());
    person->set_department(entry->department());
    person->set_phone(entry->telephone_number());
  }
  return MailJsonReply(200, reply);
}

Reply BadQuery(const Status& status) {
  return ErrorResponse(400, "bad_query", status.message());
}

}  // namespace

std::string_view MailRouteMethods(std::string_view path) {
  if (path == "/api/folders" || path == "/api/messages" || path == "/api/directory") return "GET";
  if (path == "/api/send") return "POST";
  std::optional<MessagePath> message = SplitMessagePath(path);
  if (!message.has_value()) return "";
  if (message->rest.empty() || AttachmentIndex(message->rest).has_value()) return "GET";
  if (message->rest == "flags" || message->rest == "move" || message->rest == "delete") {
    return "POST";
  }
  return "";
}

std::variant<Reply, StartMailJob> MailRoutes::Handle(const HttpRequest& request,
                                                     const std::string& user_id) {
  std::string_view path = request.path();
  if (path == "/api/folders") {
    return StartMailJob{[user_id](const MailStore& store) { return Folders(store, user_id); }};
  }
  if (path == "/api/messages") {
    auto folder = QueryParameter(request.target, "folder");
    auto before = QueryParameter(request.target, "before");
    auto limit_text = QueryParameter(request.target, "limit");
    for (const Status& status : {folder.status(), before.status(), limit_text.status()}) {
      if (!status.ok()) return BadQuery(status);
    }
    std::string folder_name = folder->value_or(std::string(mailbox::kInboxFolder));
    if (!internal::ValidFolderName(folder_name)) {
      return ErrorResponse(400, "bad_folder", "not a folder name");
    }
    std::string cursor = before->value_or("");
    if (!cursor.empty() && !internal::ValidMessageId(cursor)) {
      return ErrorResponse(400, "bad_cursor", "not a page cursor");
    }
    size_t limit = kMessagesPerPageDefault;
    if (limit_text->has_value()) {
      const std::string& text = **limit_text;
      bool digits =
          !text.empty() && text.size() <= 3 &&
          std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
      limit = digits ? std::stoul(text) : 0;
      if (limit < 1 || limit > kMessagesPerPageMax) {
        return ErrorResponse(400, "bad_limit", "limit: 1.." + std::to_string(kMessagesPerPageMax));
      }
    }
    return StartMailJob{[user_id, folder_name, cursor, limit](const MailStore& store) {
      return ListMessages(store, user_id, folder_name, cursor, limit);
    }};
  }
  if (path == "/api/directory") {
    auto query = QueryParameter(request.target, "q");
    if (!query.ok()) return BadQuery(query.status());
    std::string text = query->value_or("");
    if (text.empty() || text.size() > kDirectoryQueryBytesMax) {
      return ErrorResponse(400, "bad_query",
                           "q: 1.." + std::to_string(kDirectoryQueryBytesMax) + " bytes");
    }
    return StartMailJob{[text](const MailStore& store) { return SearchDirectory(store, text); }};
  }
  if (path == "/api/send") return Send(request, user_id);
  std::optional<MessagePath> message = SplitMessagePath(path);
  LB_CHECK(message.has_value());  // MailRouteMethods matched it
  std::string id(message->id);
  if (message->rest.empty()) {
    return StartMailJob{
        [user_id, id](const MailStore& store) { return ReadMessage(store, user_id, id); }};
  }
  if (std::optional<size_t> index = AttachmentIndex(message->rest)) {
    return StartMailJob{[user_id, id, index = *index](const MailStore& store) {
      return DownloadAttachment(store, user_id, id, index);
    }};
  }
  return ChangeMessage(request, user_id, id, message->rest);
}

}  // namespace lifeboat::webmail
