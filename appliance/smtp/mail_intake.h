#pragma once
// What the SMTP driver needs from the rest of the node to turn an accepted message into a durable
// MailReceived event: where to file it, whether the disk may take it, and the proposer.
// Owned by the node; outlives the SMTP server.

#include <optional>
#include <string>
#include <vector>

#include "eventlog/events.pb.h"
#include "eventlog/proposer.h"
#include "modules/smtp/actions.h"

namespace lifeboat::smtp_driver {

// Where an accepted message goes, decided before it is proposed (MailReceived.deliveries).
struct PlannedMail {
  std::vector<events::MailDelivery> deliveries;
  // A journal report is filed as the original message it carries, not as the report.
  std::optional<std::string> replacement_raw;
};

class DeliveryPlanner {
 public:
  virtual ~DeliveryPlanner() = default;
  // The mailboxes and folders a message is filed in (lists expanded, journal copies sorted into
  // Inbox/Sent). Called off the loop, on the SMTP server's intake executor (one task at a time);
  // answers from memory (a thread-safe directory view).
  virtual PlannedMail Plan(const smtp::MailProposal& mail, events::MailSource source) const = 0;
};

class StorageGuard {
 public:
  virtual ~StorageGuard() = default;
  // False while the data disk is below its configured reserve: new mail gets 452 4.3.1 before
  // the disk is actually full (DESIGN.md "Storage"; RFC 3463 X.3.1 "mail system full").
  virtual bool AcceptsNewMail() const = 0;
};

struct MailIntake {
  eventlog::Proposer* proposer = nullptr;
  const DeliveryPlanner* planner = nullptr;
  const StorageGuard* storage = nullptr;
};

}  // namespace lifeboat::smtp_driver
