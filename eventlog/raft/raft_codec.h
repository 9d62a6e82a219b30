#pragma once
// libraft's RPCs (struct raft_message, raft.h) to and from our wire frames: a 4-byte big-endian
// length, then a serialized raftwire.Frame (eventlog/raft.proto). Sans-I/O.
//
// Memory: a decoded message owns what libraft takes over when it receives it (recv.c in libraft
// 0.15: AppendEntries entries are freed with entryBatchesDestroy, so they live in one raft_malloc
// batch with a raft_malloc'd array; InstallSnapshot's configuration and data are taken too).
// Hand it to libraft's recv callback exactly once, or call Release().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/status.h"
#include "eventlog/raft/raft_c.h"
#include "eventlog/raft/raft_storage.h"

namespace lifeboat::eventlog::raft {

// Limits, units last (STYLE.md rule 8). A frame carries at most one snapshot or one batch of
// entries; the snapshot stream (issue #13 item 2) will chunk larger ones.
inline constexpr size_t kRaftFrameBytesMax = 256u << 20;
inline constexpr size_t kRaftFrameLengthBytes = 4;

struct DecodedRaftMessage {
  raft_message message{};
  uint64_t to_id = 0;
  std::string from_address;  // message.server_address points here

  DecodedRaftMessage() = default;
  DecodedRaftMessage(const DecodedRaftMessage&) = delete;
  DecodedRaftMessage& operator=(const DecodedRaftMessage&) = delete;
  // Frees what the message owns, unless handed to libraft (then libraft frees it).
  void Release();
};

// `message` is as libraft hands it to raft_io.send: server_id/server_address name the receiver.
std::string EncodeRaftFrame(uint64_t from_id, std::string_view from_address,
                            const raft_message& message);
// InvalidArgument for a short, oversize or malformed frame (peer input: never a crash).
Status DecodeRaftFrame(std::string_view frame, DecodedRaftMessage& out);

// A configuration as libraft holds it, and back (raft_configuration_add copies the address).
std::vector<RaftServer> ServersFromConfiguration(const raft_configuration& configuration);
Status ConfigurationFromServers(const std::vector<RaftServer>& servers,
                                raft_configuration& configuration);

// libraft's error code for one of our statuses (RAFT_IOERR, RAFT_NOSPACE, ...).
int RaftErrorCode(const Status& status);

}  // namespace lifeboat::eventlog::raft
