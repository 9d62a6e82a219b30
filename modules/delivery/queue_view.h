#pragma once
// What the delivery engine reads of the "queue" projection (queue_projection.h): the inbound
// mails whose recipients are still owed to a primary, oldest first. The projection keeps it
// current; the driver (appliance/delivery_service.h) rebuilds its DeliveryQueue core from
// Snapshot() at start and picks up each committed batch's new mails with AddedAfter().
//
// Thread-safety: every method may be called from any thread; readers share a lock, the
// projection's commits take it exclusively.

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "appliance/env/env.h"

namespace lifeboat::delivery {

struct QueuedMail {
  std::string mail_id;
  uint64_t event_index = 0;          // the MailReceived: its raw bytes are read from the log there
  WallTime received{0};              // the MailReceived's timestamp
  std::string mail_from;             // "" for the null reverse-path
  std::vector<std::string> rcpt_to;  // not yet Delivered nor Bounced, in RCPT order
  bool body_8bit = false;
  bool operator==(const QueuedMail&) const = default;
};

class DeliveryQueueView {
 public:
  // Every queued mail, oldest first (log order).
  std::vector<QueuedMail> Snapshot() const;
  // The queued mails whose MailReceived came after `event_index`, oldest first.
  std::vector<QueuedMail> AddedAfter(uint64_t event_index) const;
  // Queued mails and their recipients still owed.
  size_t size() const;
  size_t recipients() const;

  // Updates, called by the projection when a batch commits.
  void Put(QueuedMail mail);
  void Remove(const std::string& mail_id);
  void Clear();

 private:
  mutable std::shared_mutex mutex_;
  std::map<uint64_t, QueuedMail> by_index_;   // event index -> mail
  std::map<std::string, uint64_t> index_of_;  // mail id -> event index
};

}  // namespace lifeboat::delivery
