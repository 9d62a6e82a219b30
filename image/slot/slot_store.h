#pragma once
// The slot state file (slot_state.h) on disk. Written whole to "<path>.new", fsynced, renamed over
// <path> and the directory fsynced, so a power cut leaves either the old state or the new one: a
// boot loader must never read half a state (RAUC and U-Boot's bootcount keep theirs the same way).

#include "image/slot/slot_state.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  kSlotStoreOk = 0,
  kSlotStoreMissing,  // no state file: the caller decides (SlotStateInitial on a fresh node)
  kSlotStoreCorrupt,  // the file does not parse
  kSlotStoreIoError,  // errno says why
} SlotStoreResult;

SlotStoreResult SlotStoreLoad(const char* path, SlotState* state);
SlotStoreResult SlotStoreSave(const char* path, const SlotState* state);

// Writes `length` bytes to `path` by the same write-fsync-rename-fsync sequence.
SlotStoreResult SlotStoreWriteFileAtomically(const char* path, const void* data, size_t length);
// fsyncs the directory that holds `path` (after a rename into it).
SlotStoreResult SlotStoreSyncParentDirectory(const char* path);

#ifdef __cplusplus
}
#endif
