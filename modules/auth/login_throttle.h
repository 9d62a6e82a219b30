#pragma once
// The failed-login throttle (OWASP ASVS 4.0.3 V2.2.1): limits guessing per account and per
// address without letting an attacker lock anyone out. auth_limits.h states the policy and its
// numbers; in short, nothing is a hard lockout:
//  - (account, address) pairs back off after a few failures: this is what stops a guesser who
//    targets one account from one place, and it costs the real user at another address nothing;
//  - an address backs off after failures over many accounts (password spraying);
//  - an account past its hourly failure budget still accepts attempts from the addresses it
//    logged in from before, so a distributed attack slows guessing to the budget while the user,
//    from their usual address, keeps logging in.
//
// Sans-I/O: time is handed in (monotonic, from the Env). Loop thread only. State is per node and
// in memory (a restart forgets it; LoginFailed events in the log keep the audit trail), bounded
// by kThrottleEntriesMax per table. Accounts are compared as given: the caller normalizes
// (LoginRequest does: ASCII lower case).

#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "modules/auth/lru_table.h"

namespace lifeboat::auth {

struct ThrottleVerdict {
  bool allowed = true;
  Duration retry_after{0};  // when !allowed: how long until an attempt may be allowed again
  std::string reason;       // "too many failures for this account from this address", ...
};

class LoginThrottle {
 public:
  LoginThrottle();

  // Whether an attempt for `account` from `address` may be checked at all at `now`.
  ThrottleVerdict Check(std::string_view account, std::string_view address, MonoTime now);
  // A wrong password, code or unknown account.
  void RecordFailure(std::string_view account, std::string_view address, MonoTime now);
  // A successful login: clears the pair's failures and makes `address` known for `account`.
  void RecordSuccess(std::string_view account, std::string_view address, MonoTime now);

 private:
  struct Failures {
    uint32_t count = 0;
    MonoTime window_start{0};
    MonoTime last_failure{0};
  };
  struct AccountState {
    Failures failures;
    std::vector<std::pair<std::string, MonoTime>> known_addresses;  // address, last success
  };

  static void AddFailure(Failures& failures, MonoTime now);
  static Duration BackoffRemaining(const Failures& failures, uint32_t free, Duration max,
                                   MonoTime now);
  static bool KnownAddress(const AccountState& account, std::string_view address, MonoTime now);

  LruTable<Failures> pairs_;
  LruTable<Failures> addresses_;
  LruTable<AccountState> accounts_;
};

}  // namespace lifeboat::auth
