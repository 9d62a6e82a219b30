#pragma once
// Raw message bytes read back from the event log: the mailbox projection keeps only a body's
// log index (mailbox_projection.h says why), so the admin API, the CLI and later the webmail
// fetch the bytes here, one MailReceived event at a time.
//
// `log` must outlive this object. Thread-safe as LogStore reads are.

#include "eventlog/log_payload_format.h"
#include "eventlog/log_store.h"
#include "modules/mailbox/mailbox_reader.h"

namespace lifeboat {

class LogMailBodies final : public mailbox::MailBodySource {
 public:
  explicit LogMailBodies(const eventlog::LogStore& log,
                         eventlog::LogPayloadFormat format = eventlog::LogPayloadFormat::kEvent)
      : log_(log), format_(format) {}

  Result<std::string> MailRaw(uint64_t event_index) const override;

 private:
  const eventlog::LogStore& log_;
  const eventlog::LogPayloadFormat format_;
};

}  // namespace lifeboat
