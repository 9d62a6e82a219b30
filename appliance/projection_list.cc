#include "appliance/projection_list.h"

namespace lifeboat {
namespace {

// Keys restored per Scan call: bounded memory whatever the directory's size.
constexpr size_t kRestoreScanKeysMax = 4096;

}  // namespace

NodeProjections MakeProjections(const std::vector<std::string>& accepted_domains) {
  NodeProjections projections;
  projections.directory_view = std::make_unique<directory::DirectoryView>(accepted_domains);
  projections.directory =
      std::make_unique<directory::DirectoryProjection>(*projections.directory_view);
  projections.mailbox = std::make_unique<mailbox::MailboxProjection>();
  return projections;
}

std::vector<eventlog::Projection*> NodeProjections::pointers() const {
  return {directory.get(), mailbox.get()};
}

Status RestoreProjections(NodeProjections& projections, const eventlog::StateReader& state) {
  projections.directory->Clear();
  std::string after;
  for (;;) {
    auto page = state.Scan(projections.directory->name(), "", after, kRestoreScanKeysMax);
    if (!page.ok()) return page.status();
    for (const auto& [key, value] : *page) {
      LB_RETURN_IF_ERROR(projections.directory->Restore(key, value));
    }
    if (page->size() < kRestoreScanKeysMax) return Status::Ok();
    after = page->back().first;
  }
}

}  // namespace lifeboat
