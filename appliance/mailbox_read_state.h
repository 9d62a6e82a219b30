#pragma once
// Binds the mailbox read API (modules/mailbox/mailbox_reader.h) to the node's state database:
// keys relative to "p/mailbox/" read through eventlog::StateReader, which sees only committed
// projection batches. Used by the admin API in the node and by the CLI on a stopped node's data.
//
// `state` must outlive this object. Thread-safe as StateReader is.

#include "eventlog/projection_runner.h"
#include "modules/mailbox/mailbox_reader.h"

namespace lifeboat {

class StateMailboxReadState final : public mailbox::MailboxReadState {
 public:
  explicit StateMailboxReadState(const eventlog::StateReader& state) : state_(state) {}

  Result<std::optional<std::string>> Get(std::string_view key) const override;
  Result<std::vector<std::pair<std::string, std::string>>> Scan(std::string_view prefix,
                                                                std::string_view start_after,
                                                                size_t limit) const override;

 private:
  const eventlog::StateReader& state_;
};

}  // namespace lifeboat
