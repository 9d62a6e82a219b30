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
  projections.routing_table = std::make_unique<routing::RoutingTable>();
  projections.routing = std::make_unique<routing::RoutingProjection>(*projections.routing_table);
  return projections;
}

std::vector<eventlog::Projection*> NodeProjections::pointers() const {
  return {directory.get(), mailbox.get(), routing.get()};
}

// Feeds every key the projection `name` stored to `restore`, a page at a time.
template <typename RestoreFn>
Status RestoreKeys(const eventlog::StateReader& state, std::string_view name, RestoreFn restore) {
  std::string after;
  for (;;) {
    auto page = state.Scan(name, "", after, kRestoreScanKeysMax);
    if (!page.ok()) return page.status();
    for (const auto& [key, value] : *page) {
      LB_RETURN_IF_ERROR(restore(key, value));
    }
    if (page->size() < kRestoreScanKeysMax) return Status::Ok();
    after = page->back().first;
  }
}

Status RestoreProjections(NodeProjections& projections, const eventlog::StateReader& state) {
  projections.directory->Clear();
  LB_RETURN_IF_ERROR(RestoreKeys(state, projections.directory->name(),
                                 [&](std::string_view key, std::string_view value) {
                                   return projections.directory->Restore(key, value);
                                 }));
  projections.routing->Clear();
  return RestoreKeys(state, projections.routing->name(),
                     [&](std::string_view key, std::string_view value) {
                       return projections.routing->Restore(key, value);
                     });
}

}  // namespace lifeboat
