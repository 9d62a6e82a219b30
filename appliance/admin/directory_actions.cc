#include "appliance/admin/directory_actions.h"

#include "appliance/json/json_writer.h"

namespace lifeboat::admin {

uint64_t DirectoryActions::Begin(std::string_view kind, WallTime now) {
  if (actions_.size() == kDirectoryActionsKept) actions_.pop_front();
  Action action;
  action.id = next_id_++;
  action.kind = kind;
  action.started = now;
  actions_.push_back(std::move(action));
  return actions_.back().id;
}

void DirectoryActions::Finish(uint64_t id, const Status& outcome, WallTime now) {
  for (Action& action : actions_) {
    if (action.id != id) continue;
    LB_CHECK(!action.done);
    action.done = true;
    action.outcome = outcome.ok() ? "ok" : outcome.ToString();
    action.finished = now;
    return;
  }
}

const DirectoryActions::Action* DirectoryActions::Find(uint64_t id) const {
  for (const Action& action : actions_) {
    if (action.id == id) return &action;
  }
  return nullptr;
}

bool DirectoryActions::IsDone(uint64_t id) const {
  const Action* action = Find(id);
  return action != nullptr && action->done;
}

Result<std::string> DirectoryActions::Json(uint64_t id) const {
  const Action* action = Find(id);
  if (action == nullptr) {
    return Status::NotFound("no directory action " + std::to_string(id) +
                            " (unknown, or older than the last " +
                            std::to_string(kDirectoryActionsKept) + ")");
  }
  json::ObjectWriter writer;
  writer.Uint("id", action->id)
      .String("kind", action->kind)
      .String("state", action->done ? "done" : "running")
      .String("outcome", action->outcome)
      .Int("started_unix_micros", action->started.count());
  if (action->done) writer.Int("finished_unix_micros", action->finished.count());
  return writer.Finish();
}

}  // namespace lifeboat::admin
