#pragma once
// The "queue" projection (issue #11 Build 3; DESIGN.md "Data path" 5): the inbound mails that
// are owed to a primary, and to whom, minus the recipients Delivered or Bounced since.
//
// Which mails: every MailReceived from the SMTP gateway (MAIL_SOURCE_SMTP_INBOUND) for its
// accepted recipients. Journal copies came from the primary itself and webmail mail goes out,
// not to the primary: neither is queued here. The routing table's decision for an inbound mail
// is "relay to a primary" in every mode; what the mode changes is when (routing_table.h: normal
// and failback relay, continuity keeps the mail and it waits for failback). So the queue holds
// the mail in every mode, and the driver asks the routing table, at each attempt, whether the
// recipient's scope relays now. That keeps this projection a pure function of the mail events,
// independent of the order in which routing and mail events interleave, and a mail kept during
// continuity is the same entry that failback drains: nothing moves between two lists.
//
// Keys under p/queue/:
//   mail/<mail id>   serialized events::Event: index and timestamp of the MailReceived, and a
//                    MailReceived with mail_id, mail_from, body_8bitmime and the recipients
//                    still owed (the raw bytes stay in the log: QueuedMail.event_index)
//
// Not here: MessagesPurged (retention deletes a mailbox's copy, not what the primary is owed).
// Known limit: a node that ran without [routing] queues every inbound mail all the same, so
// enabling [routing] later relays that backlog, oldest first.
//
// The view changes only when the batch commits (eventlog/projection.h). Open: the caller feeds
// every stored key to Restore(), as for the routing projection.

#include <string>
#include <string_view>
#include <vector>

#include "eventlog/projection.h"
#include "modules/delivery/queue_view.h"

namespace lifeboat::delivery {

class QueueProjection : public eventlog::Projection {
 public:
  // `view` must outlive the projection; the projection is its only writer.
  explicit QueueProjection(DeliveryQueueView& view) : view_(view) {}

  std::string_view name() const override { return "queue"; }
  // Corruption for a MailReceived without an id, or a stored value that does not parse.
  Status Apply(const events::Event& event, eventlog::ProjectionState& state) override;
  void OnBatchCommitted() override;
  void OnBatchDiscarded() override;

  // Refills the view from one stored key. Corruption when the value does not parse.
  Status Restore(std::string_view key, std::string_view value);
  // Forgets everything in memory (before a restore or a rebuild).
  void Clear();

 private:
  Status ApplyDone(const std::string& mail_id,
                   const google::protobuf::RepeatedPtrField<std::string>& rcpt_to,
                   eventlog::ProjectionState& state);

  struct Staged {
    bool remove = false;
    QueuedMail mail;  // mail_id only when remove
  };

  DeliveryQueueView& view_;
  std::vector<Staged> staged_;  // the runner's thread only
};

}  // namespace lifeboat::delivery
