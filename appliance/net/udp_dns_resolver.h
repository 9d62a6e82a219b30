#pragma once
// The production Resolver (appliance/env/resolver.h): one UDP datagram per question to one
// nameserver (the configured one, or the first of /etc/resolv.conf), on the libevent loop, with
// the messages encoded and checked by modules/delivery/dns_message.h.
//
// Each question gets its own socket, connected to the nameserver: the kernel picks a random
// source port and drops datagrams from any other address, and the id is random (from the Env)
// too (RFC 5452 section 9.2's defences against forged answers). No answer within
// kDnsAttemptTimeout: the question is sent again, kDnsAttemptsMax times in all, then it is a
// temporary failure. A nameserver that lies or never answers costs a bounded wait, never the
// loop: nothing here blocks.
//
// libevent's evdns is not used: its client (2.1) asks only A, AAAA and PTR questions, and MX is
// the one delivery needs.
//
// Ownership: `base` and `env` outlive the resolver; the resolver outlives its PendingLookups.
// Threading: loop thread only.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/resolver.h"
#include "appliance/env/status.h"

struct event_base;

namespace lifeboat {

inline constexpr Duration kDnsAttemptTimeout = std::chrono::seconds(2);
inline constexpr int kDnsAttemptsMax = 3;
inline constexpr const char* kResolvConfPath = "/etc/resolv.conf";

// The "nameserver" lines of a resolv.conf (resolv.conf(5)) as "IP:53" / "[V6]:53", in order.
std::vector<std::string> NameserversFromResolvConf(std::string_view text);

class UdpDnsResolver : public Resolver {
 public:
  // `nameserver`: "IP:PORT" / "[V6]:PORT", numeric; "" = the first nameserver of
  // kResolvConfPath. InvalidArgument for a malformed address, NotFound when resolv.conf names
  // none, IoError when it cannot be read.
  static Result<std::unique_ptr<UdpDnsResolver>> Create(
      event_base* base, Env& env, const std::string& nameserver,
      Duration attempt_timeout = kDnsAttemptTimeout);
  ~UdpDnsResolver() override = default;

  Result<std::unique_ptr<PendingLookup>> Query(const std::string& name, DnsType type,
                                               Done done) override;

  const std::string& nameserver() const { return nameserver_; }

 private:
  UdpDnsResolver(event_base* base, Env& env, std::string nameserver, Duration attempt_timeout)
      : base_(base),
        env_(env),
        nameserver_(std::move(nameserver)),
        attempt_timeout_(attempt_timeout) {}

  event_base* base_;
  Env& env_;
  const std::string nameserver_;
  const Duration attempt_timeout_;
};

}  // namespace lifeboat
