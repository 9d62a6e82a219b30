#include "appliance/admin/mailbox_json.h"

#include "appliance/json/json_writer.h"

namespace lifeboat::admin {
namespace {

template <typename Strings>
std::string ArrayOf(const Strings& values) {
  std::string out = "[";
  for (const auto& value : values) {
    if (out.size() > 1) out.push_back(',');
    json::AppendQuoted(out, value);
  }
  out.push_back(']');
  return out;
}

std::string AddressArrayJson(
    const google::protobuf::RepeatedPtrField<mailbox::Address>& addresses) {
  std::string out = "[";
  for (const mailbox::Address& address : addresses) {
    if (out.size() > 1) out.push_back(',');
    out += json::ObjectWriter()
               .String("name", address.name())
               .String("address", address.address())
               .Finish();
  }
  out.push_back(']');
  return out;
}

void WriteSummary(json::ObjectWriter& writer, const mailbox::MessageEntry& entry) {
  const mailbox::MessageMetadata& metadata = entry.metadata();
  const bool has_from = metadata.from_size() > 0;
  writer.String("mailbox_id", entry.mailbox_id())
      .String("message_id", entry.message_id())
      .String("mail_id", entry.mail_id())
      .String("folder", entry.folder())
      .String("from", has_from ? metadata.from(0).address() : "")
      .String("from_name", has_from ? metadata.from(0).name() : "")
      .String("subject", metadata.subject())
      .Uint("size_bytes", metadata.size_bytes())
      .Int("received_unix_micros", entry.received_unix_micros())
      .Int("date_unix_seconds", metadata.date_unix_seconds())
      .String("message_id_header", metadata.message_id())
      .Raw("flags", ArrayOf(entry.flags()))
      .Uint("event_index", entry.event_index())
      .Bool("has_attachments", metadata.has_attachments());
}

}  // namespace

std::string StringArrayJson(const std::vector<std::string>& values) {
  return ArrayOf(values);
}

std::string MessageSummaryJson(const mailbox::MessageEntry& entry) {
  json::ObjectWriter writer;
  WriteSummary(writer, entry);
  return writer.Finish();
}

std::string MessageDetailJson(const mailbox::MessageEntry& entry) {
  const mailbox::MessageMetadata& metadata = entry.metadata();
  std::string attachments = "[";
  for (const mailbox::Attachment& attachment : metadata.attachments()) {
    if (attachments.size() > 1) attachments.push_back(',');
    attachments += json::ObjectWriter()
                       .String("name", attachment.name())
                       .String("content_type", attachment.content_type())
                       .Uint("decoded_bytes", attachment.decoded_bytes())
                       .Finish();
  }
  attachments.push_back(']');
  json::ObjectWriter writer;
  WriteSummary(writer, entry);
  writer.Raw("to", AddressArrayJson(metadata.to()))
      .Raw("cc", AddressArrayJson(metadata.cc()))
      .String("mail_from", entry.mail_from())
      .String("in_reply_to", metadata.in_reply_to())
      .Bool("date_from_header", metadata.date_from_header())
      .String("preview", metadata.preview())
      .Raw("attachments", attachments)
      .Raw("problems", ArrayOf(metadata.problems()))
      .String("body_sha256_hex", entry.body_sha256_hex());
  return writer.Finish();
}

std::string MailboxRecordJson(const mailbox::MailboxRecord& record, uint64_t message_count,
                              bool count_capped) {
  return json::ObjectWriter()
      .String("mailbox_id", record.mailbox_id())
      .String("primary_address", record.primary_address())
      .Bool("provisioned", record.provisioned())
      .Raw("folders", ArrayOf(record.folders()))
      .Uint("message_count", message_count)
      .Bool("message_count_capped", count_capped)
      .Uint("unprovisioned_deliveries", record.unprovisioned_deliveries())
      .Int("created_unix_micros", record.created_unix_micros())
      .Finish();
}

std::string DirectoryKindName(events::DirectoryEntryKind kind) {
  switch (kind) {
    case events::DIRECTORY_ENTRY_KIND_USER:
      return "user";
    case events::DIRECTORY_ENTRY_KIND_GROUP:
      return "group";
    case events::DIRECTORY_ENTRY_KIND_CONTACT:
      return "contact";
    default:
      return "unspecified";
  }
}

std::string DirectoryEntryJson(const events::DirectoryEntry& entry,
                               const std::vector<events::DirectoryEntry>& groups) {
  std::string group_array = "[";
  for (const std::string& id : entry.member_of_ids()) {
    if (group_array.size() > 1) group_array.push_back(',');
    json::ObjectWriter group;
    group.String("id", id);
    for (const events::DirectoryEntry& known : groups) {
      if (known.id() != id) continue;
      group.String("display_name", known.display_name())
          .String("primary_address", known.primary_address());
      break;
    }
    group_array += group.Finish();
  }
  group_array.push_back(']');
  return json::ObjectWriter()
      .String("id", entry.id())
      .String("kind", DirectoryKindName(entry.kind()))
      .String("distinguished_name", entry.distinguished_name())
      .String("sam_account_name", entry.sam_account_name())
      .String("user_principal_name", entry.user_principal_name())
      .String("primary_address", entry.primary_address())
      .Raw("addresses", ArrayOf(entry.addresses()))
      .String("display_name", entry.display_name())
      .String("given_name", entry.given_name())
      .String("surname", entry.surname())
      .String("department", entry.department())
      .String("title", entry.title())
      .String("telephone_number", entry.telephone_number())
      .String("mobile", entry.mobile())
      .String("private_address", entry.private_address())
      .String("manager_id", entry.manager_id())
      .Bool("disabled", entry.disabled())
      .Raw("member_ids", ArrayOf(entry.member_ids()))
      .Raw("member_of_ids", ArrayOf(entry.member_of_ids()))
      .Raw("groups", group_array)
      .String("source", entry.source())
      .String("created_time", entry.created_time())
      .Finish();
}

std::string DirectorySummaryJson(const events::DirectoryEntry& entry) {
  return json::ObjectWriter()
      .String("id", entry.id())
      .String("kind", DirectoryKindName(entry.kind()))
      .String("primary_address", entry.primary_address())
      .String("display_name", entry.display_name())
      .String("sam_account_name", entry.sam_account_name())
      .Bool("disabled", entry.disabled())
      .Finish();
}

}  // namespace lifeboat::admin
