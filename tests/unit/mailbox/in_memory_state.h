#pragma once
// A std::map standing in for the runner's `state` LevelDB in mailbox tests: the write view the
// projection applies through and the read view MailboxReader lists through, over the same keys;
// and one standing in for the log that raw bytes are read from.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventlog/events.pb.h"
#include "eventlog/projection.h"
#include "modules/mailbox/mailbox_reader.h"
#include "tests/unit/eventlog/map_projection_state.h"

namespace lifeboat::mailbox::testing {

// The shared map state, also readable as MailboxReader's read view over the same keys.
class InMemoryState final : public eventlog::testing::MapProjectionState, public MailboxReadState {
 public:
  using MapProjectionState::Get;
  Result<std::optional<std::string>> Get(std::string_view key) const override {
    auto found = values.find(key);
    if (found == values.end()) return std::optional<std::string>();
    return std::optional<std::string>(found->second);
  }
  Result<std::vector<std::pair<std::string, std::string>>> Scan(std::string_view prefix,
                                                                std::string_view start_after,
                                                                size_t limit) const override {
    std::vector<std::pair<std::string, std::string>> out;
    auto it = start_after < prefix ? values.lower_bound(prefix) : values.upper_bound(start_after);
    for (; it != values.end() && out.size() < limit; ++it) {
      if (!std::string_view(it->first).starts_with(prefix)) break;
      out.push_back(*it);
    }
    return out;
  }

  const std::map<std::string, std::string, std::less<>>& rows() const { return values; }
  size_t CountWithPrefix(std::string_view prefix) const {
    size_t count = 0;
    for (const auto& [key, value] : values) count += std::string_view(key).starts_with(prefix);
    return count;
  }
};

// Stands in for the log as the place raw bytes are read back from: tests record every event
// they fold, as the log holds every event the runner folds.
class InMemoryBodies final : public MailBodySource {
 public:
  void Record(const events::Event& event) {
    if (event.has_mail_received()) raw_[event.index()] = event.mail_received().raw();
  }
  Result<std::string> MailRaw(uint64_t event_index) const override {
    auto found = raw_.find(event_index);
    if (found == raw_.end()) {
      return Status::NotFound("no mail event " + std::to_string(event_index));
    }
    return found->second;
  }
  void Forget(uint64_t event_index) { raw_.erase(event_index); }
  void Replace(uint64_t event_index, std::string raw) { raw_[event_index] = std::move(raw); }

 private:
  std::map<uint64_t, std::string> raw_;
};

}  // namespace lifeboat::mailbox::testing
