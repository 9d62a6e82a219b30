#pragma once
// One policy check in the SMTP session's chain (STYLE.md rule 11; Envoy envoy/network/filter.h).
// A filter looks at one stage of the dialogue and either lets the next filter run (Continue) or
// stops the chain with the reply the client gets (Stop). Filters are shared by every session of
// a listener: per-session facts arrive in PolicyContext, shared state (rate buckets) lives in
// objects the filter references. Filters run on the loop thread and never block.

#include <string_view>

#include "appliance/env/env.h"
#include "modules/smtp/address.h"
#include "modules/smtp/mail_parameters.h"
#include "modules/smtp/reply.h"
#include "modules/smtp/session_limits.h"

namespace lifeboat::smtp {

struct FilterVerdict {
  bool stop = false;
  Reply reply;         // meaningful when stop
  bool close = false;  // also end the session after the reply (421)

  static FilterVerdict Continue() { return {}; }
  static FilterVerdict Stop(Reply reply) { return {true, std::move(reply), false}; }
};

// What a filter may know about the session at the stage it runs.
struct PolicyContext {
  std::string_view peer_ip;  // as the driver saw it: "192.0.2.1", "2001:db8::1"
  MonoTime now{0};           // passed in by the driver; filters read no clock
  std::string_view helo;     // "" before EHLO/HELO
  const SessionLimits* limits = nullptr;
  size_t accepted_recipients = 0;  // RCPTs accepted so far in this transaction
};

class PolicyFilter {
 public:
  virtual ~PolicyFilter() = default;
  // A connect refusal must be a 421: the session closes at once (RFC 5321 3.1 would make a 554
  // greeting wait for QUIT).
  virtual FilterVerdict OnConnect(const PolicyContext&) { return FilterVerdict::Continue(); }
  virtual FilterVerdict OnHelo(const PolicyContext&) { return FilterVerdict::Continue(); }
  virtual FilterVerdict OnMail(const PolicyContext&, const Path& /*sender*/,
                               const MailParameters&) {
    return FilterVerdict::Continue();
  }
  virtual FilterVerdict OnRcpt(const PolicyContext&, const Path& /*recipient*/) {
    return FilterVerdict::Continue();
  }
  virtual FilterVerdict OnData(const PolicyContext&) { return FilterVerdict::Continue(); }
};

}  // namespace lifeboat::smtp
