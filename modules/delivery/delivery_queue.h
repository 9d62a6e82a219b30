#pragma once
// The delivery queue core (issue #11 Build 3), sans-I/O: which mail must go where and when, and
// what each attempt's outcome means. The delivery engine (on the leader) adds the mails the
// routing table says to relay, takes the due ones, runs an SmtpClient for each, and hands the
// results back; the queue answers with the events to propose (DeliveryAttempted, Delivered,
// Bounced) and the recipients a DSN must name. Time and randomness are handed in.
//
// Order: due mail goes oldest first (by arrival, then mail id), which is also the failback order
// (issue #11 Build 4: "oldest first").
// Retries: RetryPolicy (retry_schedule.h); a recipient whose next attempt would fall after the
// maximum age bounces with status 5.4.7 instead.
// At-least-once: a result flagged maybe_delivered (the connection broke after the final ".")
// is retried like any other and counted in possible_duplicates().
//
// Not a projection: the engine rebuilds it at start from the queue projection (the mails with
// recipients neither Delivered nor Bounced in the log). Threading: loop thread only.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eventlog/events.pb.h"
#include "modules/delivery/dsn.h"
#include "modules/delivery/retry_schedule.h"
#include "modules/delivery/smtp_client_actions.h"

namespace lifeboat::delivery {

// One transaction's worth of a mail for one destination.
struct DeliveryAttempt {
  std::string mail_id;
  std::string mail_from;
  std::string destination;           // "mx.corp.test:25", as configured for the primary
  std::vector<std::string> rcpt_to;  // at most kRecipientsPerTransactionMax
  uint32_t attempt = 1;              // 1 for the first try
};

struct AttemptOutcome {
  // Payloads to propose, in order: one DeliveryAttempted, then Delivered (if any recipient
  // was), then one Bounced per bounced recipient.
  std::vector<events::Event> events;
  // Bounced recipients for the DSN to the sender (empty for a null reverse-path: RFC 5321
  // 4.5.5, no notification about a notification).
  std::vector<DsnRecipient> dsn_recipients;
};

class DeliveryQueue {
 public:
  explicit DeliveryQueue(const RetryPolicy& policy) : policy_(policy) {}

  // A mail to relay to `destination` for `rcpt_to`, received at `received`. Adding a mail id
  // that is queued already is a programmer error.
  void Add(const std::string& mail_id, const std::string& mail_from,
           const std::vector<std::string>& rcpt_to, const std::string& destination,
           WallTime received);
  // Mails due at `now`, oldest first, at most `attempts_max`; they are in flight until
  // OnResults. A mail with more than kRecipientsPerTransactionMax recipients gives its first
  // ones now and the rest on the next call.
  std::vector<DeliveryAttempt> TakeDue(WallTime now, size_t attempts_max);
  // Whether a recipient may go now: the routing table's mode for it relays (normal, failback).
  // A recipient it holds back stays waiting, neither attempted nor aged by an attempt.
  using RecipientFilter = std::function<bool(const std::string& recipient)>;
  // TakeDue for the recipients `relay_now` lets go; the others stay queued as they were.
  std::vector<DeliveryAttempt> TakeDue(WallTime now, size_t attempts_max,
                                       const RecipientFilter& relay_now);
  // Folds one attempt's results (from TransactionDone; one per recipient of the attempt).
  // `remote_host` names the server for the DSN. `random` draws the retry jitter.
  AttemptOutcome OnResults(const DeliveryAttempt& attempt,
                           const std::vector<RecipientResult>& results,
                           const std::string& remote_host, WallTime now, uint64_t random);

  // When the next mail not in flight is due (the driver's timer), or nullopt when none waits.
  std::optional<WallTime> NextDue() const;
  size_t size() const { return mails_.size(); }
  bool Contains(const std::string& mail_id) const { return received_of_.contains(mail_id); }
  // Recipients still owed (waiting or in flight) that `matches`: the failback drain is done when
  // none in a failback scope is left.
  size_t CountRecipients(const RecipientFilter& matches) const;
  uint64_t possible_duplicates() const { return possible_duplicates_; }

 private:
  struct Recipient {
    std::string address;
    bool in_flight = false;
  };
  struct Mail {
    std::string mail_from;
    std::string destination;
    WallTime received{0};
    std::vector<Recipient> recipients;  // still to deliver
    uint32_t attempts = 0;
    WallTime next_attempt{0};
  };
  // Due order: (received, mail id).
  using Key = std::pair<WallTime, std::string>;

  const RetryPolicy policy_;
  std::map<Key, Mail> mails_;
  std::map<std::string, WallTime> received_of_;  // mail id -> its key's time
  uint64_t possible_duplicates_ = 0;
};

}  // namespace lifeboat::delivery
