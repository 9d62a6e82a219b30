#define _POSIX_C_SOURCE 200809L
#include "image/slot/update.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image/slot/slot_store.h"

static UpdateResult Say(UpdateMessage* message, UpdateResult result, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(message->text, sizeof message->text, format, args);
  va_end(args);
  return result;
}

bool UpdateSlotPath(const char* slots_dir, SlotName slot, const char* suffix, char* out) {
  int length = snprintf(out, PATH_MAX, "%s/%c.%s", slots_dir, SlotLetter(slot), suffix);
  return length > 0 && length < PATH_MAX;
}

static bool StatePath(const char* slots_dir, char* out) {
  int length = snprintf(out, PATH_MAX, "%s/state", slots_dir);
  return length > 0 && length < PATH_MAX;
}

UpdateResult UpdateLoadState(const char* slots_dir, SlotState* state, UpdateMessage* message) {
  char path[PATH_MAX];
  if (!StatePath(slots_dir, path)) return Say(message, kUpdateErrorState, "path too long");
  switch (SlotStoreLoad(path, state)) {
    case kSlotStoreOk:
      return kUpdateOk;
    case kSlotStoreMissing:
      *state = SlotStateInitial();
      return kUpdateOk;
    case kSlotStoreCorrupt:
      return Say(message, kUpdateErrorState, "%s: corrupt", path);
    case kSlotStoreIoError:
      break;
  }
  return Say(message, kUpdateErrorState, "%s: %s", path, strerror(errno));
}

UpdateResult UpdateSaveState(const char* slots_dir, const SlotState* state,
                             UpdateMessage* message) {
  char path[PATH_MAX];
  if (!StatePath(slots_dir, path)) return Say(message, kUpdateErrorState, "path too long");
  if (SlotStoreSave(path, state) != kSlotStoreOk) {
    return Say(message, kUpdateErrorState, "writing %s: %s", path, strerror(errno));
  }
  return kUpdateOk;
}

UpdateResult UpdateApply(const char* slots_dir, const char* key_path, const char* bundle_path,
                         SlotName* installed, UpdateMessage* message) {
  SlotState state;
  UpdateResult result = UpdateLoadState(slots_dir, &state, message);
  if (result != kUpdateOk) return result;
  if (!state.confirmed) {
    return Say(message, kUpdateErrorBusy,
               "slot %c is on trial (%d tries left): confirm or roll back first",
               SlotLetter(state.active), state.tries_left);
  }
  SlotName target = SlotOther(state.active);

  BundleError error = {{0}};
  EVP_PKEY* key = NULL;
  if (BundleLoadPublicKey(key_path, &key, &error) != kBundleOk) {
    return Say(message, kUpdateErrorBundle, "%s", error.text);
  }
  int bundle_fd = open(bundle_path, O_RDONLY | O_CLOEXEC);
  if (bundle_fd < 0) {
    EVP_PKEY_free(key);
    return Say(message, kUpdateErrorBundle, "%s: %s", bundle_path, strerror(errno));
  }
  static BundleManifest manifest;  // 4 KiB: off the stack
  BundleResult verified = BundleVerify(bundle_fd, key, &manifest, &error);
  EVP_PKEY_free(key);
  if (verified != kBundleOk) {
    close(bundle_fd);
    return Say(message, kUpdateErrorBundle, "%s refused: %s: %s", bundle_path,
               BundleResultName(verified), error.text);
  }

  char image_path[PATH_MAX], manifest_path[PATH_MAX];
  if (!UpdateSlotPath(slots_dir, target, "img", image_path) ||
      !UpdateSlotPath(slots_dir, target, "manifest", manifest_path)) {
    close(bundle_fd);
    return Say(message, kUpdateErrorState, "slots path too long");
  }
  // The slot's old manifest goes first: a crash between here and the new manifest leaves a slot
  // that no manifest describes, never one the wrong manifest describes.
  unlink(manifest_path);
  BundleResult copied = BundleInstall(bundle_fd, &manifest, image_path, &error);
  close(bundle_fd);
  if (copied != kBundleOk) {
    return Say(message, kUpdateErrorBundle, "installing into slot %c: %s", SlotLetter(target),
               error.text);
  }
  if (SlotStoreWriteFileAtomically(manifest_path, manifest.text, manifest.text_bytes) !=
      kSlotStoreOk) {
    return Say(message, kUpdateErrorState, "writing %s: %s", manifest_path, strerror(errno));
  }
  SlotError marked = SlotMarkPending(&state, target);
  if (marked != kSlotOk) return Say(message, kUpdateErrorState, "cannot mark slot pending");
  result = UpdateSaveState(slots_dir, &state, message);
  if (result != kUpdateOk) return result;
  *installed = target;
  return Say(message, kUpdateOk, "version %s installed in slot %c: it boots next, on trial",
             manifest.version, SlotLetter(target));
}

UpdateResult UpdateRollback(const char* slots_dir, SlotName* now_active, UpdateMessage* message) {
  SlotState state;
  UpdateResult result = UpdateLoadState(slots_dir, &state, message);
  if (result != kUpdateOk) return result;
  char image_path[PATH_MAX];
  SlotName other = SlotOther(state.active);
  if (!UpdateSlotPath(slots_dir, other, "img", image_path) || access(image_path, F_OK) != 0) {
    return Say(message, kUpdateErrorNoSlot, "slot %c holds no image", SlotLetter(other));
  }
  SlotRollback(&state);
  result = UpdateSaveState(slots_dir, &state, message);
  if (result != kUpdateOk) return result;
  *now_active = state.active;
  return Say(message, kUpdateOk, "slot %c is active and confirmed", SlotLetter(state.active));
}
