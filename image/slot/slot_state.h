#pragma once
// A/B root slots with boot counting: the state a boot loader (or, on a dev machine, the update
// CLI) keeps between boots, and its transitions. Pure functions: no file, no clock. slot_store.h
// reads and writes the state file.
//
// The scheme follows the firmware-style updaters (RAUC, Android A/B, Chromium OS): a new image
// goes to the inactive slot, which becomes active *unconfirmed* with a number of tries; each boot
// of an unconfirmed slot uses one try; the health check confirms it; a slot whose tries run out
// without a confirmation is abandoned and the previous (confirmed) slot boots again by itself.

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Boots an unconfirmed slot gets before the selector falls back to the other slot.
enum { kSlotTriesMax = 3 };

typedef enum { kSlotA = 0, kSlotB = 1 } SlotName;

typedef struct {
  SlotName active;  // the slot the next boot starts
  int tries_left;   // boots the active slot may still use while unconfirmed (0..kSlotTriesMax)
  bool confirmed;   // the active slot passed its health check
} SlotState;

typedef enum {
  kSlotOk = 0,
  kSlotErrorParse,         // the state text is malformed
  kSlotErrorNotConfirmed,  // a trial is running: no new pending slot until it ends
  kSlotErrorSameSlot,      // the slot named is the active one
} SlotError;

// The state of a fresh appliance: slot A, confirmed.
SlotState SlotStateInitial(void);

SlotName SlotOther(SlotName slot);
char SlotLetter(SlotName slot);
// 'A'/'a' or 'B'/'b'; false for anything else.
bool SlotFromLetter(char letter, SlotName* slot);

// What `select` decided.
typedef struct {
  SlotName boot;     // the slot to boot now
  bool rolled_back;  // the active slot ran out of tries: the other one boots, confirmed
} SlotSelection;

// At boot. A confirmed slot boots as is. An unconfirmed one with tries left boots and uses one. An
// unconfirmed one with none left is abandoned: the other slot becomes active and confirmed (it was
// the confirmed slot when the trial began, SlotMarkPending's precondition).
SlotSelection SlotSelect(SlotState* state);
// The health check of the running slot passed. Idempotent.
void SlotConfirm(SlotState* state);
// A new image was written to `slot`, which must be the inactive one; the active slot must be
// confirmed (it is the one to fall back to). `slot` becomes active, unconfirmed, kSlotTriesMax.
SlotError SlotMarkPending(SlotState* state, SlotName slot);
// The operator goes back to the other slot now: it becomes active and confirmed.
void SlotRollback(SlotState* state);

// The state as text, "active=A\ntries=3\nconfirmed=1\n": fits in kSlotStateTextBytesMax.
enum { kSlotStateTextBytesMax = 64 };
void SlotStateFormat(const SlotState* state, char out[kSlotStateTextBytesMax]);
// Parses SlotStateFormat's text: the three keys, each once, in any order, nothing else.
SlotError SlotStateParse(const char* text, size_t length, SlotState* state);

#ifdef __cplusplus
}
#endif
