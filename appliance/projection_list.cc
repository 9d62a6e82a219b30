#include "appliance/projection_list.h"

namespace lifeboat {
namespace {

// Keys restored per Scan call: bounded memory whatever the directory's size.
constexpr size_t kRestoreScanKeysMax = 4096;

// Feeds every stored key of `projection` to `restore`, one bounded page at a time.
template <typename RestoreFn>
Status RestoreAll(const eventlog::Projection& projection, const eventlog::StateReader& state,
                  RestoreFn restore) {
  std::string after;
  for (;;) {
    auto page = state.Scan(projection.name(), "", after, kRestoreScanKeysMax);
    if (!page.ok()) return page.status();
    for (const auto& [key, value] : *page) {
      LB_RETURN_IF_ERROR(restore(key, value));
    }
    if (page->size() < kRestoreScanKeysMax) return Status::Ok();
    after = page->back().first;
  }
}

}  // namespace

NodeProjections MakeProjections(const std::vector<std::string>& accepted_domains) {
  NodeProjections projections;
  projections.directory_view = std::make_unique<directory::DirectoryView>(accepted_domains);
  projections.directory =
      std::make_unique<directory::DirectoryProjection>(*projections.directory_view);
  projections.mailbox = std::make_unique<mailbox::MailboxProjection>();
  projections.routing_table = std::make_unique<routing::RoutingTable>();
  projections.routing = std::make_unique<routing::RoutingProjection>(*projections.routing_table);
  projections.auth_view = std::make_unique<auth::AuthView>();
  projections.auth = std::make_unique<auth::AuthProjection>(*projections.auth_view);
  projections.queue_view = std::make_unique<delivery::DeliveryQueueView>();
  projections.queue = std::make_unique<delivery::QueueProjection>(*projections.queue_view);
  return projections;
}

std::vector<eventlog::Projection*> NodeProjections::pointers() const {
  return {directory.get(), mailbox.get(), routing.get(), auth.get(), queue.get()};
}

Status RestoreProjections(NodeProjections& projections, const eventlog::StateReader& state) {
  projections.directory->Clear();
  LB_RETURN_IF_ERROR(
      RestoreAll(*projections.directory, state, [&](std::string_view key, std::string_view value) {
        return projections.directory->Restore(key, value);
      }));
  projections.routing->Clear();
  LB_RETURN_IF_ERROR(
      RestoreAll(*projections.routing, state, [&](std::string_view key, std::string_view value) {
        return projections.routing->Restore(key, value);
      }));
  // The auth view is refilled the same way: verifiers, codes and sessions survive a restart.
  projections.auth_view->Clear();
  LB_RETURN_IF_ERROR(
      RestoreAll(*projections.auth, state, [&](std::string_view key, std::string_view value) {
        return projections.auth->Restore(key, value);
      }));
  // The delivery queue: what is still owed to a primary survives a restart.
  projections.queue->Clear();
  return RestoreAll(*projections.queue, state, [&](std::string_view key, std::string_view value) {
    return projections.queue->Restore(key, value);
  });
}

}  // namespace lifeboat
