#define _POSIX_C_SOURCE 200809L
#include "image/slot/slot_store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

SlotStoreResult SlotStoreLoad(const char* path, SlotState* state) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? kSlotStoreMissing : kSlotStoreIoError;
  char text[kSlotStateTextBytesMax + 1];
  size_t length = 0;
  for (;;) {
    ssize_t got = read(fd, text + length, sizeof text - length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int saved = errno;
      close(fd);
      errno = saved;
      return kSlotStoreIoError;
    }
    if (got == 0) break;
    length += (size_t)got;
    if (length == sizeof text) break;  // longer than any valid state
  }
  close(fd);
  if (length > kSlotStateTextBytesMax) return kSlotStoreCorrupt;
  return SlotStateParse(text, length, state) == kSlotOk ? kSlotStoreOk : kSlotStoreCorrupt;
}

SlotStoreResult SlotStoreSyncParentDirectory(const char* path) {
  char directory[PATH_MAX];
  const char* slash = strrchr(path, '/');
  if (slash == NULL) {
    strcpy(directory, ".");
  } else if (slash == path) {
    strcpy(directory, "/");
  } else {
    size_t length = (size_t)(slash - path);
    if (length >= sizeof directory) {
      errno = ENAMETOOLONG;
      return kSlotStoreIoError;
    }
    memcpy(directory, path, length);
    directory[length] = '\0';
  }
  int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return kSlotStoreIoError;
  int synced = fsync(fd);
  int saved = errno;
  close(fd);
  errno = saved;
  return synced == 0 ? kSlotStoreOk : kSlotStoreIoError;
}

SlotStoreResult SlotStoreWriteFileAtomically(const char* path, const void* data, size_t length) {
  char temporary[PATH_MAX];
  if (snprintf(temporary, sizeof temporary, "%s.new", path) >= (int)sizeof temporary) {
    errno = ENAMETOOLONG;
    return kSlotStoreIoError;
  }
  int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return kSlotStoreIoError;
  const char* bytes = data;
  size_t written = 0;
  while (written < length) {
    ssize_t put = write(fd, bytes + written, length - written);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) break;
    written += (size_t)put;
  }
  int failed = written != length || fsync(fd) != 0;
  int saved = errno;
  if (close(fd) != 0 && !failed) {
    failed = 1;
    saved = errno;
  }
  if (failed || rename(temporary, path) != 0) {
    if (!failed) saved = errno;
    unlink(temporary);
    errno = saved;
    return kSlotStoreIoError;
  }
  return SlotStoreSyncParentDirectory(path);
}

SlotStoreResult SlotStoreSave(const char* path, const SlotState* state) {
  char text[kSlotStateTextBytesMax];
  SlotStateFormat(state, text);
  return SlotStoreWriteFileAtomically(path, text, strlen(text));
}
