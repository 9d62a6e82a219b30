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

namespace lifeboat::mailbox::testing {

class InMemoryState final : public eventlog::ProjectionState, public MailboxReadState {
 public:
  Result<std::optional<std::string>> Get(std::string_view key) override {
    return std::as_const(*this).Get(key);
  }
  Result<std::optional<std::string>> Get(std::string_view key) const override {
    auto found = rows_.find(std::string(key));
    if (found == rows_.end()) return std::optional<std::string>();
    return std::optional<std::string>(found->second);
  }
  void Put(std::string_view key, std::string_view value) override {
    rows_[std::string(key)] = std::string(value);
  }
  void Delete(std::string_view key) override { rows_.erase(std::string(key)); }
  Result<std::vector<std::pair<std::string, std::string>>> Scan(std::string_view prefix,
                                                                std::string_view start_after,
                                                                size_t limit) const override {
    std::vector<std::pair<std::string, std::string>> out;
    auto it = start_after < prefix ? rows_.lower_bound(std::string(prefix))
                                   : rows_.upper_bound(std::string(start_after));
    for (; it != rows_.end() && out.size() < limit; ++it) {
      if (!std::string_view(it->first).starts_with(prefix)) break;
      out.push_back(*it);
    }
    return out;
  }

  const std::map<std::string, std::string>& rows() const { return rows_; }
  size_t CountWithPrefix(std::string_view prefix) const {
    size_t count = 0;
    for (const auto& [key, value] : rows_) count += std::string_view(key).starts_with(prefix);
    return count;
  }

 private:
  std::map<std::string, std::string> rows_;
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
