#pragma once
// Every projection the node folds the log into, in one place: the node, `rebuild` and tests build
// the same set in the same order. A module adds its projection here.
//
// Order matters only for reading the log once: each projection is a pure function of the events
// (no projection reads another's state), so any order gives the same state hash.

#include <memory>
#include <string>
#include <vector>

#include "eventlog/projection.h"
#include "eventlog/projection_runner.h"
#include "modules/auth/auth_projection.h"
#include "modules/auth/auth_view.h"
#include "modules/delivery/queue_projection.h"
#include "modules/delivery/queue_view.h"
#include "modules/directory/directory_projection.h"
#include "modules/directory/directory_view.h"
#include "modules/mailbox/mailbox_projection.h"
#include "modules/routing/routing_projection.h"
#include "modules/routing/routing_table.h"

namespace lifeboat {

struct NodeProjections {
  // The in-memory directory (RCPT checks, list expansion) the directory projection keeps current.
  std::unique_ptr<directory::DirectoryView> directory_view;
  std::unique_ptr<directory::DirectoryProjection> directory;
  std::unique_ptr<mailbox::MailboxProjection> mailbox;
  // The routing table (relay or keep, per recipient) the routing projection keeps current.
  std::unique_ptr<routing::RoutingTable> routing_table;
  std::unique_ptr<routing::RoutingProjection> routing;
  // What the webmail login reads (verifiers, activation codes, sessions); the auth projection
  // keeps it current.
  std::unique_ptr<auth::AuthView> auth_view;
  std::unique_ptr<auth::AuthProjection> auth;
  // What is owed to a primary (inbound mail not yet Delivered nor Bounced); the queue
  // projection keeps it current and the delivery driver reads it.
  std::unique_ptr<delivery::DeliveryQueueView> queue_view;
  std::unique_ptr<delivery::QueueProjection> queue;

  // Non-owning, for ProjectionRunner::Open / Rebuild.
  std::vector<eventlog::Projection*> pointers() const;
};

// `accepted_domains`: the domains we receive mail for ([smtp] domains).
NodeProjections MakeProjections(const std::vector<std::string>& accepted_domains);

// Refills the in-memory parts (the directory view, the routing table, the auth view, the queue)
// from the stored state after the runner opened. Corruption when a stored value does not parse.
Status RestoreProjections(NodeProjections& projections, const eventlog::StateReader& state);

}  // namespace lifeboat
