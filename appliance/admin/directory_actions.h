#pragma once
// Directory actions an operator started through the admin API (POST /v1/directory/sync and
// /v1/directory/import). A sync runs for seconds to minutes (LDAP fetch, then every event
// proposed and made durable), longer than an HTTP request should stay open, so the API answers
// 202 Accepted with an action id at once (RFC 9110 section 15.3.3) and the CLI polls
// GET /v1/directory/action?id=N until the state is "done". Only the last kDirectoryActionsKept
// actions are remembered; the outcome of older ones is in the log and the node's log lines.
//
// Threading: loop thread only.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "appliance/env/env.h"
#include "appliance/env/status.h"

namespace lifeboat::admin {

inline constexpr size_t kDirectoryActionsKept = 16;

class DirectoryActions {
 public:
  // Records a running action of `kind` ("sync", "full sync", "import"); returns its id (1, 2...).
  uint64_t Begin(std::string_view kind, WallTime now);
  // Records the outcome. An id already forgotten is ignored.
  void Finish(uint64_t id, const Status& outcome, WallTime now);
  bool IsDone(uint64_t id) const;
  // {"id":N,"kind":"sync","state":"running"|"done","outcome":"ok"|"<error>",
  //  "started_unix_micros":...,"finished_unix_micros":...}. NotFound when unknown or forgotten.
  Result<std::string> Json(uint64_t id) const;

 private:
  struct Action {
    uint64_t id = 0;
    std::string kind;
    bool done = false;
    std::string outcome;
    WallTime started{};
    WallTime finished{};
  };
  const Action* Find(uint64_t id) const;

  std::deque<Action> actions_;
  uint64_t next_id_ = 1;
};

}  // namespace lifeboat::admin
