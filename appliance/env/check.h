#pragma once
// Assertions that stay on in production builds (TigerBeetle TIGER_STYLE: "assertions are a force
// multiplier"). A failed check is a programmer error: the process stops at once with the condition
// and the place, because continuing on a broken invariant can corrupt the log or a mailbox.
// Operating errors (bad peer input, disk, network) are never checked this way: they are Status
// values.

#include <cstdio>
#include <cstdlib>

namespace lifeboat::internal {
[[noreturn]] inline void CheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "lifeboat: check failed: %s at %s:%d\n", condition, file, line);
  std::fflush(stderr);
  std::abort();
}
}  // namespace lifeboat::internal

// LB_CHECK ignores NDEBUG on purpose: release builds keep every check.
#define LB_CHECK(condition)                                              \
  do {                                                                   \
    if (!(condition)) [[unlikely]]                                       \
      ::lifeboat::internal::CheckFailed(#condition, __FILE__, __LINE__); \
  } while (false)
