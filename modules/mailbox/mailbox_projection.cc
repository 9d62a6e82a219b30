#include "modules/mailbox/mailbox_projection.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "modules/mailbox/body_digest.h"
#include "modules/mailbox/mailbox.pb.h"
#include "modules/mailbox/mailbox_keys.h"
#include "modules/mailbox/message_parser.h"

namespace lifeboat::mailbox {
namespace {

using eventlog::ProjectionState;

// Flags kept per message: IMAP system flags plus a few keywords; more is a client gone wrong.
constexpr size_t kFlagsPerMessageMax = 64;
constexpr int64_t kMicrosPerSecond = 1'000'000;

template <typename Proto>
Result<std::optional<Proto>> LoadProto(ProjectionState& state, const std::string& key) {
  Result<std::optional<std::string>> bytes = state.Get(key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<Proto>();
  Proto proto;
  if (!proto.ParseFromString(**bytes)) {
    return Status::Corruption("mailbox projection: cannot parse value of " + key);
  }
  return std::optional<Proto>(std::move(proto));
}

void StoreProto(ProjectionState& state, const std::string& key,
                const google::protobuf::MessageLite& proto) {
  state.Put(key, proto.SerializeAsString());
}

void EnsureFolder(MailboxRecord& record, std::string_view folder) {
  std::vector<std::string> folders(record.folders().begin(), record.folders().end());
  auto position = std::lower_bound(folders.begin(), folders.end(), folder);
  if (position != folders.end() && *position == folder) return;
  folders.insert(position, std::string(folder));  // keeps them sorted and unique
  record.clear_folders();
  for (std::string& name : folders) record.add_folders(std::move(name));
}

// The record for `mailbox_id`, created unprovisioned (with Inbox and Sent) if it does not exist.
Result<MailboxRecord> LoadOrCreateMailbox(ProjectionState& state, std::string_view mailbox_id,
                                          int64_t now_unix_micros) {
  Result<std::optional<MailboxRecord>> loaded =
      LoadProto<MailboxRecord>(state, MailboxKey(mailbox_id));
  if (!loaded.ok()) return loaded.status();
  if (loaded->has_value()) return std::move(**loaded);
  MailboxRecord record;
  record.set_mailbox_id(std::string(mailbox_id));
  record.set_created_unix_micros(now_unix_micros);
  EnsureFolder(record, kInboxFolder);
  EnsureFolder(record, kSentFolder);
  return record;
}

Status ApplyProvisioned(const events::Event& event, ProjectionState& state) {
  const events::MailboxProvisioned& provisioned = event.mailbox_provisioned();
  if (provisioned.mailbox_id().empty()) return Status::Ok();  // names nothing: nothing to create
  Result<MailboxRecord> record =
      LoadOrCreateMailbox(state, provisioned.mailbox_id(), event.timestamp_unix_micros());
  if (!record.ok()) return record.status();
  record->set_provisioned(true);
  record->set_primary_address(provisioned.primary_address());
  StoreProto(state, MailboxKey(provisioned.mailbox_id()), *record);
  return Status::Ok();
}

// MailReceived.deliveries with defaults filled in and duplicates dropped, in event order.
std::vector<std::pair<std::string, std::string>> NormalizedDeliveries(
    const events::MailReceived& mail) {
  std::vector<std::pair<std::string, std::string>> deliveries;
  std::set<std::pair<std::string, std::string>> seen;
  for (const events::MailDelivery& delivery : mail.deliveries()) {
    std::pair<std::string, std::string> target(
        delivery.mailbox_id().empty() ? std::string(kUnaddressedMailboxId) : delivery.mailbox_id(),
        delivery.folder().empty() ? std::string(kInboxFolder) : delivery.folder());
    if (seen.insert(target).second) deliveries.push_back(std::move(target));
  }
  return deliveries;
}

std::string BaseMessageId(const events::Event& event) {
  const std::string& mail_id = event.mail_received().mail_id();
  return mail_id.empty() ? "event-" + std::to_string(event.index()) : mail_id;
}

Status AddBodyReferences(ProjectionState& state, const std::string& sha256_hex, uint64_t size_bytes,
                         uint64_t added, uint64_t event_index) {
  Result<std::optional<BodyRefs>> refs = LoadProto<BodyRefs>(state, BodyRefsKey(sha256_hex));
  if (!refs.ok()) return refs.status();
  BodyRefs updated = refs->value_or(BodyRefs());
  // The first mail that brings a body names where its bytes are; later mails only count. A body
  // recorded before bodies stayed in the log keeps its body/<hex> copy (event_index 0).
  if (!refs->has_value()) {
    updated.set_event_index(event_index);
    state.Put(BodyLogIndexKey(event_index, sha256_hex), "");  // pins that event (header)
  }
  updated.set_count(updated.count() + added);
  updated.set_size_bytes(size_bytes);
  LB_CHECK(updated.count() >= added);
  StoreProto(state, BodyRefsKey(sha256_hex), updated);
  return Status::Ok();
}

Status ApplyMailReceived(const events::Event& event, ProjectionState& state) {
  const events::MailReceived& mail = event.mail_received();
  std::vector<std::pair<std::string, std::string>> deliveries = NormalizedDeliveries(mail);
  if (deliveries.empty()) return Status::Ok();
  // The bytes are read back from the log by this index (BodyRefs.event_index).
  if (event.index() == 0)
    return Status::InvalidArgument("mail " + mail.mail_id() + ": no log index");
  std::string sha256 = BodySha256(mail.raw());
  if (!mail.body_sha256().empty() && mail.body_sha256() != sha256) {
    return Status::Corruption("mail " + mail.mail_id() + ": body_sha256 does not match raw");
  }
  std::string sha256_hex = HexEncode(sha256);
  const int64_t now = event.timestamp_unix_micros();
  MessageMetadata metadata = ParseMessageMetadata(mail.raw(), now / kMicrosPerSecond);
  std::string base_id = BaseMessageId(event);
  std::map<std::string, int> deliveries_per_mailbox;
  uint64_t stored = 0;
  for (const auto& [mailbox_id, folder] : deliveries) {
    int ordinal = deliveries_per_mailbox[mailbox_id]++;
    std::string message_id = ordinal == 0 ? base_id : base_id + "." + std::to_string(ordinal);
    Result<std::optional<std::string>> existing = state.Get(IdIndexKey(mailbox_id, message_id));
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) continue;  // the same mail folded twice: already filed
    Result<MailboxRecord> record = LoadOrCreateMailbox(state, mailbox_id, now);
    if (!record.ok()) return record.status();
    if (!record->provisioned()) {
      record->set_unprovisioned_deliveries(record->unprovisioned_deliveries() + 1);
    }
    EnsureFolder(*record, folder);
    StoreProto(state, MailboxKey(mailbox_id), *record);

    MessageEntry entry;
    entry.set_message_id(message_id);
    entry.set_mailbox_id(mailbox_id);
    entry.set_folder(folder);
    entry.set_mail_id(mail.mail_id());
    entry.set_received_unix_micros(now);
    entry.set_event_index(event.index());
    entry.set_body_sha256_hex(sha256_hex);
    *entry.mutable_metadata() = metadata;
    entry.set_source(mail.source());
    entry.set_mail_from(mail.mail_from());
    std::string key = MessageKey(mailbox_id, folder, now, event.index(), message_id);
    StoreProto(state, key, entry);
    state.Put(IdIndexKey(mailbox_id, message_id), key);
    ++stored;
  }
  if (stored == 0) return Status::Ok();
  return AddBodyReferences(state, sha256_hex, mail.raw().size(), stored, event.index());
}

// The entry and its key for (mailbox, message id); nullopt when the message is gone (purged
// while a flag change or move was in flight: a race, not an error).
struct Located {
  std::string key;
  MessageEntry entry;
};
Result<std::optional<Located>> Locate(ProjectionState& state, std::string_view mailbox_id,
                                      std::string_view message_id) {
  Result<std::optional<std::string>> key = state.Get(IdIndexKey(mailbox_id, message_id));
  if (!key.ok()) return key.status();
  if (!key->has_value()) return std::optional<Located>();
  Result<std::optional<MessageEntry>> entry = LoadProto<MessageEntry>(state, **key);
  if (!entry.ok()) return entry.status();
  if (!entry->has_value()) {
    return Status::Corruption("mailbox projection: id index points at missing " + **key);
  }
  return std::optional<Located>(Located{std::move(**key), std::move(**entry)});
}

Status ApplyFlagsChanged(const events::Event& event, ProjectionState& state) {
  const events::MessageFlagsChanged& change = event.message_flags_changed();
  Result<std::optional<Located>> located = Locate(state, change.mailbox_id(), change.message_id());
  if (!located.ok()) return located.status();
  if (!located->has_value()) return Status::Ok();
  MessageEntry& entry = (*located)->entry;
  std::set<std::string> flags(entry.flags().begin(), entry.flags().end());
  for (const std::string& flag : change.flags_added()) {
    if (flags.size() < kFlagsPerMessageMax && !flag.empty()) flags.insert(flag);
  }
  for (const std::string& flag : change.flags_removed()) flags.erase(flag);
  entry.clear_flags();
  for (const std::string& flag : flags) entry.add_flags(flag);
  StoreProto(state, (*located)->key, entry);
  return Status::Ok();
}

Status ApplyMoved(const events::Event& event, ProjectionState& state) {
  const events::MessageMoved& move = event.message_moved();
  Result<std::optional<Located>> located = Locate(state, move.mailbox_id(), move.message_id());
  if (!located.ok()) return located.status();
  // from_folder is informational: the id index says where the message really is.
  if (!located->has_value() || move.to_folder().empty()) return Status::Ok();
  MessageEntry& entry = (*located)->entry;
  if (entry.folder() == move.to_folder()) return Status::Ok();
  Result<MailboxRecord> record =
      LoadOrCreateMailbox(state, move.mailbox_id(), event.timestamp_unix_micros());
  if (!record.ok()) return record.status();
  EnsureFolder(*record, move.to_folder());
  StoreProto(state, MailboxKey(move.mailbox_id()), *record);
  entry.set_folder(move.to_folder());
  std::string key = MessageKey(entry.mailbox_id(), entry.folder(), entry.received_unix_micros(),
                               entry.event_index(), entry.message_id());
  state.Delete((*located)->key);
  StoreProto(state, key, entry);
  state.Put(IdIndexKey(entry.mailbox_id(), entry.message_id()), key);
  return Status::Ok();
}

Status DropBodyReference(ProjectionState& state, const std::string& sha256_hex) {
  Result<std::optional<BodyRefs>> refs = LoadProto<BodyRefs>(state, BodyRefsKey(sha256_hex));
  if (!refs.ok()) return refs.status();
  if (!refs->has_value() || (*refs)->count() == 0) {
    return Status::Corruption("mailbox projection: no reference count for body " + sha256_hex);
  }
  BodyRefs updated = **refs;
  updated.set_count(updated.count() - 1);
  if (updated.count() == 0) {
    state.Delete(BodyKey(sha256_hex));
    state.Delete(BodyRefsKey(sha256_hex));
    if (updated.event_index() != 0) {
      state.Delete(BodyLogIndexKey(updated.event_index(), sha256_hex));
    }
  } else {
    StoreProto(state, BodyRefsKey(sha256_hex), updated);
  }
  return Status::Ok();
}

Status ApplyPurged(const events::Event& event, ProjectionState& state) {
  const events::MessagesPurged& purge = event.messages_purged();
  for (const std::string& message_id : purge.message_ids()) {
    Result<std::optional<Located>> located = Locate(state, purge.mailbox_id(), message_id);
    if (!located.ok()) return located.status();
    if (!located->has_value()) continue;  // already gone (purged twice)
    state.Delete((*located)->key);
    state.Delete(IdIndexKey(purge.mailbox_id(), message_id));
    LB_RETURN_IF_ERROR(DropBodyReference(state, (*located)->entry.body_sha256_hex()));
  }
  return Status::Ok();
}

}  // namespace

Status MailboxProjection::Apply(const events::Event& event, ProjectionState& state) {
  switch (event.payload_case()) {
    case events::Event::kMailboxProvisioned:
      return ApplyProvisioned(event, state);
    case events::Event::kMailReceived:
      return ApplyMailReceived(event, state);
    case events::Event::kMessageFlagsChanged:
      return ApplyFlagsChanged(event, state);
    case events::Event::kMessageMoved:
      return ApplyMoved(event, state);
    case events::Event::kMessagesPurged:
      return ApplyPurged(event, state);
    default:
      return Status::Ok();  // other projections' events, and types this version does not know
  }
}

}  // namespace lifeboat::mailbox
