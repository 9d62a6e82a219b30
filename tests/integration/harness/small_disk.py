"""A small file system for disk-full tests: a tmpfs of a fixed size (LAB.md "Faults"), and a
filler file that takes its free space. Needs root (mount)."""

import errno
import os
import subprocess

from . import dependencies

MOUNT_TIMEOUT_SECONDS = 30
FILL_CHUNK_BYTES = 64 * 1024


def mount_tmpfs(mountpoint, size_bytes, add_cleanup):
    """Mounts a tmpfs of `size_bytes` on `mountpoint`; `add_cleanup` unmounts it at the end, also
    on failure (register the node's cleanup after this one, so it is stopped first)."""
    if os.geteuid() != 0:
        raise AssertionError("the disk-full test mounts a tmpfs: run it as root")
    mount = dependencies.require("mount")
    os.makedirs(mountpoint, exist_ok=True)
    subprocess.run([mount, "-t", "tmpfs", "-o", f"size={size_bytes},mode=0700", "tmpfs",
                    mountpoint], check=True, capture_output=True, timeout=MOUNT_TIMEOUT_SECONDS)
    add_cleanup(unmount, mountpoint)


def unmount(mountpoint):
    umount = dependencies.require("umount")
    completed = subprocess.run([umount, mountpoint], capture_output=True, text=True,
                               timeout=MOUNT_TIMEOUT_SECONDS)
    if completed.returncode != 0:
        # Still busy (a process we did not stop?): detach it so the machine is left clean.
        subprocess.run([umount, "-l", mountpoint], capture_output=True,
                       timeout=MOUNT_TIMEOUT_SECONDS)


def free_bytes(path):
    """Bytes an unprivileged writer may still use on `path`'s file system."""
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill(path, leave_bytes=0):
    """Writes the file `path` until its file system has at most `leave_bytes` free (or is full:
    ENOSPC ends the fill). Returns the bytes written."""
    written = 0
    chunk = b"\0" * FILL_CHUNK_BYTES
    with open(path, "ab", buffering=0) as filler:
        while True:
            room = free_bytes(os.path.dirname(path)) - leave_bytes
            if room <= 0:
                return written
            try:
                written += filler.write(chunk[:min(len(chunk), room)])
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                return written
