#include "modules/auth/login_throttle.h"

#include <algorithm>

#include "modules/auth/auth_limits.h"

namespace lifeboat::auth {
namespace {

std::string PairKey(std::string_view account, std::string_view address) {
  // '\n' cannot occur in either (LoginRequest validation), so the key is unambiguous.
  std::string key(account);
  key += '\n';
  key += address;
  return key;
}

}  // namespace

LoginThrottle::LoginThrottle()
    : pairs_(kThrottleEntriesMax),
      addresses_(kThrottleEntriesMax),
      accounts_(kThrottleEntriesMax) {}

void LoginThrottle::AddFailure(Failures& failures, MonoTime now) {
  if (failures.count == 0 || now - failures.window_start >= kFailureWindow) {
    failures.count = 0;
    failures.window_start = now;
  }
  ++failures.count;
  failures.last_failure = now;
}

// Past `free` failures in the window, the k-th further failure makes the next attempt wait
// kBackoffInitial * 2^(k-1), capped at `max`. A window that has run out forgives everything.
Duration LoginThrottle::BackoffRemaining(const Failures& failures, uint32_t free, Duration max,
                                         MonoTime now) {
  if (failures.count <= free || now - failures.window_start >= kFailureWindow) return Duration(0);
  uint32_t doublings = std::min<uint32_t>(failures.count - free - 1, 30);
  Duration backoff = std::min<Duration>(Duration(kBackoffInitial) * (int64_t{1} << doublings), max);
  Duration waited = now - failures.last_failure;
  return waited >= backoff ? Duration(0) : backoff - waited;
}

bool LoginThrottle::KnownAddress(const AccountState& account, std::string_view address,
                                 MonoTime now) {
  for (const auto& [known, last_success] : account.known_addresses) {
    if (known == address && now - last_success < kKnownAddressLifetime) return true;
  }
  return false;
}

ThrottleVerdict LoginThrottle::Check(std::string_view account, std::string_view address,
                                     MonoTime now) {
  if (Failures* pair = pairs_.Find(PairKey(account, address))) {
    Duration wait = BackoffRemaining(*pair, kPairFailuresFree, kPairBackoffMax, now);
    if (wait > Duration(0)) {
      return {false, wait, "too many failed attempts for this account from this address"};
    }
  }
  if (Failures* from = addresses_.Find(std::string(address))) {
    Duration wait = BackoffRemaining(*from, kAddressFailuresFree, kAddressBackoffMax, now);
    if (wait > Duration(0)) return {false, wait, "too many failed attempts from this address"};
  }
  if (AccountState* state = accounts_.Find(std::string(account))) {
    const Failures& failures = state->failures;
    bool in_window = now - failures.window_start < kFailureWindow;
    if (in_window && failures.count >= kAccountFailuresPerWindowMax &&
        !KnownAddress(*state, address, now)) {
      return {false, kFailureWindow - (now - failures.window_start),
              "too many failed attempts for this account"};
    }
  }
  return {};
}

void LoginThrottle::RecordFailure(std::string_view account, std::string_view address,
                                  MonoTime now) {
  AddFailure(pairs_.Touch(PairKey(account, address)), now);
  AddFailure(addresses_.Touch(std::string(address)), now);
  AddFailure(accounts_.Touch(std::string(account)).failures, now);
}

void LoginThrottle::RecordSuccess(std::string_view account, std::string_view address,
                                  MonoTime now) {
  pairs_.Erase(PairKey(account, address));
  AccountState& state = accounts_.Touch(std::string(account));
  auto& known = state.known_addresses;
  auto found = std::find_if(known.begin(), known.end(),
                            [&](const auto& entry) { return entry.first == address; });
  if (found != known.end()) {
    found->second = now;
    return;
  }
  if (known.size() == kKnownAddressesPerAccountMax) {
    // Forget the address whose last success is oldest.
    known.erase(std::min_element(known.begin(), known.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
  known.emplace_back(std::string(address), now);
}

}  // namespace lifeboat::auth
