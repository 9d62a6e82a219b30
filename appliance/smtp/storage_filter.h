#pragma once
// Refuses new mail while the data disk is below its reserve (appliance/disk_reserve.h), at RCPT
// and at DATA, so the client learns before it sends the body: 452 "insufficient system storage"
// (RFC 5321 4.2.2 and 4.3.2, a reply to RCPT and DATA) with 4.3.1 "mail system full" (RFC 3463
// 3.4). 4xx: the sender keeps the message and retries (RFC 5321 4.5.4.1). The end-of-data check
// (smtp_connection.cc) and the group-commit writer's batch check still stand behind this one.
// `guard` must outlive the filter.

#include "appliance/smtp/mail_intake.h"
#include "modules/smtp/policy/filter.h"

namespace lifeboat::smtp_driver {

class StorageFilter : public smtp::PolicyFilter {
 public:
  explicit StorageFilter(const StorageGuard& guard) : guard_(guard) {}
  smtp::FilterVerdict OnRcpt(const smtp::PolicyContext&, const smtp::Path&) override {
    return Verdict();
  }
  smtp::FilterVerdict OnData(const smtp::PolicyContext&) override { return Verdict(); }

 private:
  smtp::FilterVerdict Verdict() const {
    if (guard_.AcceptsNewMail()) return smtp::FilterVerdict::Continue();
    return smtp::FilterVerdict::Stop(
        smtp::MakeReply(452, "4.3.1", "Error: insufficient system storage, try again later"));
  }
  const StorageGuard& guard_;
};

}  // namespace lifeboat::smtp_driver
