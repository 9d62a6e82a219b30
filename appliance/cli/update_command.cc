// lifeboat update apply|status|rollback: firmware-style updates over A/B slots. The work is done
// by image/slot (C: the slot state, the Ed25519 bundle verifier); this is its command line.
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "appliance/cli/cli.h"
#include "image/slot/slot_state.h"
#include "image/slot/update.h"

namespace lifeboat::cli {
namespace {

// Where the appliance image keeps its slots and the public key its bundles are signed with.
constexpr const char* kDefaultSlotsDir = "/var/lib/lifeboat-slots";
constexpr const char* kDefaultKeyPath = "/etc/lifeboat/update-key.pem";

int Report(UpdateResult result, const UpdateMessage& message) {
  if (result != kUpdateOk) return Fail(message.text);
  std::printf("%s\n", message.text);
  return kExitOk;
}

// "version=..." of <slots>/<slot>.manifest, or "-" when the slot holds no installed image.
std::string SlotVersion(const std::string& slots, SlotName slot) {
  char path[PATH_MAX];
  if (!UpdateSlotPath(slots.c_str(), slot, "manifest", path)) return "-";
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("version=", 0) == 0) return line.substr(8);
  }
  return "-";
}

int Status(const std::string& slots) {
  SlotState state;
  UpdateMessage message = {};
  UpdateResult result = UpdateLoadState(slots.c_str(), &state, &message);
  if (result != kUpdateOk) return Report(result, message);
  std::printf("active: %c\n", SlotLetter(state.active));
  if (state.confirmed) {
    std::printf("state: confirmed\n");
  } else {
    std::printf("state: on trial, %d boots left before falling back to %c\n", state.tries_left,
                SlotLetter(SlotOther(state.active)));
  }
  std::printf("slot A: %s\nslot B: %s\n", SlotVersion(slots, kSlotA).c_str(),
              SlotVersion(slots, kSlotB).c_str());
  return kExitOk;
}

}  // namespace

int UpdateCommand(const Args& arguments) {
  Args args = arguments;
  Result<std::optional<std::string>> slots_flag = TakeOption(args, "--slots");
  if (!slots_flag.ok()) return UsageError(slots_flag.status().message());
  Result<std::optional<std::string>> key_flag = TakeOption(args, "--key");
  if (!key_flag.ok()) return UsageError(key_flag.status().message());
  const char* slots_env = std::getenv("LIFEBOAT_UPDATE_SLOTS");
  std::string slots = slots_flag->value_or(slots_env != nullptr ? slots_env : kDefaultSlotsDir);
  std::string key = key_flag->value_or(kDefaultKeyPath);
  if (args.empty()) return UsageError("update: apply, status or rollback");
  const std::string subcommand = args.front();
  UpdateMessage message = {};
  if (subcommand == "apply" && args.size() == 2) {
    SlotName installed;
    return Report(UpdateApply(slots.c_str(), key.c_str(), args[1].c_str(), &installed, &message),
                  message);
  }
  if (subcommand == "status" && args.size() == 1) return Status(slots);
  if (subcommand == "rollback" && args.size() == 1) {
    SlotName active;
    return Report(UpdateRollback(slots.c_str(), &active, &message), message);
  }
  return UsageError("update: apply BUNDLE, status or rollback");
}

}  // namespace lifeboat::cli
