#include "modules/directory/directory_projection.h"

#include <cstdlib>
#include <mutex>
#include <string>

#include "modules/directory/address.h"

namespace lifeboat::directory {
namespace {

constexpr std::string_view kEntryPrefix = "entry/";
constexpr std::string_view kAddressPrefix = "addr/";
constexpr std::string_view kSyncPrefix = "sync/";
constexpr std::string_view kSyncTimePrefix = "synctime/";

std::string Key(std::string_view prefix, std::string_view rest) {
  std::string key(prefix);
  key += rest;
  return key;
}

Result<std::optional<events::DirectoryEntry>> ReadEntry(eventlog::ProjectionState& state,
                                                        const std::string& id) {
  Result<std::optional<std::string>> stored = state.Get(Key(kEntryPrefix, id));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<events::DirectoryEntry>();
  events::DirectoryEntry entry;
  if (!entry.ParseFromString(**stored)) {
    return Status::Corruption("directory entry " + id + " does not parse");
  }
  return std::optional<events::DirectoryEntry>(std::move(entry));
}

// Deletes the index keys of `entry` that still point at it.
Status Unindex(const events::DirectoryEntry& entry, eventlog::ProjectionState& state) {
  for (const std::string& address : entry.addresses()) {
    std::string key = Key(kAddressPrefix, AddressKey(address));
    Result<std::optional<std::string>> owner = state.Get(key);
    if (!owner.ok()) return owner.status();
    if (owner->has_value() && **owner == entry.id()) state.Delete(key);
  }
  return Status::Ok();
}

}  // namespace

Status DirectoryProjection::Apply(const events::Event& event, eventlog::ProjectionState& state) {
  switch (event.payload_case()) {
    case events::Event::kDirectoryEntryUpserted:
      return ApplyUpserted(event.directory_entry_upserted().entry(), state);
    case events::Event::kDirectoryEntryRemoved:
      return ApplyRemoved(event.directory_entry_removed().id(), state);
    case events::Event::kDirectorySyncCompleted: {
      const events::DirectorySyncCompleted& completed = event.directory_sync_completed();
      state.Put(Key(kSyncPrefix, completed.source()), completed.SerializeAsString());
      state.Put(Key(kSyncTimePrefix, completed.source()),
                std::to_string(event.timestamp_unix_micros()));
      StagedChange change;
      change.kind = StagedChange::Kind::kSyncCompleted;
      change.source = completed.source();
      change.sync = SourceSyncInfo{completed, event.timestamp_unix_micros()};
      staged_.push_back(std::move(change));
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

Status DirectoryProjection::ApplyUpserted(const events::DirectoryEntry& entry,
                                          eventlog::ProjectionState& state) {
  if (entry.id().empty()) return Status::Corruption("DirectoryEntryUpserted without an id");
  Result<std::optional<events::DirectoryEntry>> before = ReadEntry(state, entry.id());
  if (!before.ok()) return before.status();
  if (before->has_value()) LB_RETURN_IF_ERROR(Unindex(**before, state));
  state.Put(Key(kEntryPrefix, entry.id()), entry.SerializeAsString());
  for (const std::string& address : entry.addresses()) {
    state.Put(Key(kAddressPrefix, AddressKey(address)), entry.id());
  }
  StagedChange change;
  change.kind = StagedChange::Kind::kUpsert;
  change.entry = entry;
  staged_.push_back(std::move(change));
  return Status::Ok();
}

Status DirectoryProjection::ApplyRemoved(const std::string& id, eventlog::ProjectionState& state) {
  Result<std::optional<events::DirectoryEntry>> before = ReadEntry(state, id);
  if (!before.ok()) return before.status();
  if (before->has_value()) {
    LB_RETURN_IF_ERROR(Unindex(**before, state));
    state.Delete(Key(kEntryPrefix, id));
  }
  StagedChange change;
  change.kind = StagedChange::Kind::kRemove;
  change.id = id;
  staged_.push_back(std::move(change));
  return Status::Ok();
}

void DirectoryProjection::OnBatchCommitted() {
  for (StagedChange& change : staged_) {
    switch (change.kind) {
      case StagedChange::Kind::kUpsert:
        view_.Upsert(change.entry);
        LB_CHECK(view_.FindById(change.entry.id()).has_value());
        break;
      case StagedChange::Kind::kRemove:
        view_.Remove(change.id);
        LB_CHECK(!view_.FindById(change.id).has_value());
        break;
      case StagedChange::Kind::kSyncCompleted: {
        view_.SetAwaitingFirstSync(false);
        std::unique_lock lock(sync_mutex_);
        syncs_[change.source] = std::move(change.sync);
        break;
      }
    }
  }
  staged_.clear();
}

void DirectoryProjection::OnBatchDiscarded() {
  staged_.clear();
}

Status DirectoryProjection::Restore(std::string_view key, std::string_view value) {
  if (key.starts_with(kEntryPrefix)) {
    events::DirectoryEntry entry;
    if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return Status::Corruption("directory state key " + std::string(key) + " does not parse");
    }
    view_.Upsert(entry);
    return Status::Ok();
  }
  std::unique_lock lock(sync_mutex_);
  if (key.starts_with(kSyncPrefix)) {
    std::string source(key.substr(kSyncPrefix.size()));
    if (!syncs_[source].last.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return Status::Corruption("directory state key " + std::string(key) + " does not parse");
    }
  } else if (key.starts_with(kSyncTimePrefix)) {
    std::string source(key.substr(kSyncTimePrefix.size()));
    syncs_[source].timestamp_unix_micros = std::strtoll(std::string(value).c_str(), nullptr, 10);
  }
  // addr/ keys are derived from the entries: the view rebuilds its own index.
  return Status::Ok();
}

void DirectoryProjection::Clear() {
  staged_.clear();
  view_.Clear();
  std::unique_lock lock(sync_mutex_);
  syncs_.clear();
}

bool DirectoryProjection::HasCompletedSync() const {
  std::shared_lock lock(sync_mutex_);
  return !syncs_.empty();
}

std::optional<SourceSyncInfo> DirectoryProjection::LastSync(std::string_view source) const {
  std::shared_lock lock(sync_mutex_);
  auto it = syncs_.find(source);
  if (it == syncs_.end()) return std::nullopt;
  return it->second;
}

}  // namespace lifeboat::directory
