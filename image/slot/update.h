#pragma once
// Firmware-style updates over a directory of slots: the operations behind `lifeboat update` and
// `lifeboat-slot`. The directory holds
//   state                  the slot state (slot_store.h)
//   A.img, B.img           the root filesystem image of each slot
//   A.manifest, B.manifest the signed manifest each image was installed from
// On a dev machine it is any directory; on the appliance the image's build points it at the data
// partition (image/build, README "Image").

#include <stdbool.h>

#include "image/slot/bundle.h"
#include "image/slot/slot_state.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  kUpdateOk = 0,
  kUpdateErrorBusy,    // the active slot is unconfirmed: a trial is running
  kUpdateErrorBundle,  // the bundle was refused (the text says why); nothing was written
  kUpdateErrorState,   // the state file is corrupt or cannot be written
  kUpdateErrorNoSlot,  // rollback to a slot that holds no image
} UpdateResult;

typedef struct {
  char text[kBundleErrorTextBytesMax + 64];
} UpdateMessage;

// Loads <slots_dir>/state; a missing file is a fresh node (slot A, confirmed).
UpdateResult UpdateLoadState(const char* slots_dir, SlotState* state, UpdateMessage* message);
UpdateResult UpdateSaveState(const char* slots_dir, const SlotState* state, UpdateMessage* message);

// Verifies `bundle_path` with the Ed25519 public key at `key_path`, and only then installs its
// image into the inactive slot and marks that slot pending (SlotMarkPending). *installed names it.
UpdateResult UpdateApply(const char* slots_dir, const char* key_path, const char* bundle_path,
                         SlotName* installed, UpdateMessage* message);

// The operator's rollback: the other slot, which must hold an image, becomes active, confirmed.
UpdateResult UpdateRollback(const char* slots_dir, SlotName* now_active, UpdateMessage* message);

// "<slots_dir>/<A|B>.<suffix>" into `out` (PATH_MAX bytes); false when too long.
bool UpdateSlotPath(const char* slots_dir, SlotName slot, const char* suffix, char* out);

#ifdef __cplusplus
}
#endif
