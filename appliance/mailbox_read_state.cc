#include "appliance/mailbox_read_state.h"

#include "modules/mailbox/mailbox_projection.h"

namespace lifeboat {

Result<std::optional<std::string>> StateMailboxReadState::Get(std::string_view key) const {
  return state_.Get(mailbox::MailboxProjection::kName, key);
}

Result<std::vector<std::pair<std::string, std::string>>> StateMailboxReadState::Scan(
    std::string_view prefix, std::string_view start_after, size_t limit) const {
  return state_.Scan(mailbox::MailboxProjection::kName, prefix, start_after, limit);
}

}  // namespace lifeboat
