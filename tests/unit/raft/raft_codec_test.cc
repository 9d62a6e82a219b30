// Frames: every RPC libraft sends survives the trip; peer garbage is an error, never a crash.

#include "eventlog/raft/raft_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace lifeboat::eventlog::raft {
namespace {

TEST(RaftCodecTest, AppendEntriesRoundTripsIntoOneBatch) {
  char first[] = "alpha";
  char second[] = "be";
  raft_entry entries[2] = {};
  entries[0].term = 3;
  entries[0].type = RAFT_COMMAND;
  entries[0].buf = raft_buffer{first, 5};
  entries[1].term = 4;
  entries[1].type = RAFT_BARRIER;
  entries[1].buf = raft_buffer{second, 2};
  raft_message message{};
  message.type = RAFT_IO_APPEND_ENTRIES;
  message.server_id = 2;
  message.server_address = "node-2";
  message.append_entries.term = 4;
  message.append_entries.prev_log_index = 7;
  message.append_entries.prev_log_term = 3;
  message.append_entries.leader_commit = 6;
  message.append_entries.entries = entries;
  message.append_entries.n_entries = 2;

  const std::string frame = EncodeRaftFrame(1, "node-1", message);
  DecodedRaftMessage decoded;
  ASSERT_TRUE(DecodeRaftFrame(frame, decoded).ok());
  EXPECT_EQ(decoded.to_id, 2u);
  EXPECT_EQ(decoded.message.server_id, 1u);
  EXPECT_STREQ(decoded.message.server_address, "node-1");
  const raft_append_entries& out = decoded.message.append_entries;
  EXPECT_EQ(out.term, 4u);
  EXPECT_EQ(out.prev_log_index, 7u);
  EXPECT_EQ(out.prev_log_term, 3u);
  EXPECT_EQ(out.leader_commit, 6u);
  ASSERT_EQ(out.n_entries, 2u);
  EXPECT_EQ(out.entries[1].type, RAFT_BARRIER);
  EXPECT_EQ(std::string(static_cast<char*>(out.entries[0].buf.base), out.entries[0].buf.len),
            "alpha");
  EXPECT_EQ(std::string(static_cast<char*>(out.entries[1].buf.base), out.entries[1].buf.len), "be");
  EXPECT_EQ(out.entries[0].batch, out.entries[1].batch);
  decoded.Release();
}

TEST(RaftCodecTest, InstallSnapshotCarriesConfigurationAndData) {
  raft_message message{};
  message.type = RAFT_IO_INSTALL_SNAPSHOT;
  message.server_id = 3;
  message.server_address = "node-3";
  raft_configuration_init(&message.install_snapshot.conf);
  ASSERT_EQ(raft_configuration_add(&message.install_snapshot.conf, 1, "node-1", RAFT_VOTER), 0);
  ASSERT_EQ(raft_configuration_add(&message.install_snapshot.conf, 2, "node-2", RAFT_STANDBY), 0);
  char data[] = "state";
  message.install_snapshot.data = raft_buffer{data, 5};
  message.install_snapshot.last_index = 40;
  message.install_snapshot.last_term = 5;
  message.install_snapshot.conf_index = 1;
  const std::string frame = EncodeRaftFrame(1, "node-1", message);
  raft_configuration_close(&message.install_snapshot.conf);

  DecodedRaftMessage decoded;
  ASSERT_TRUE(DecodeRaftFrame(frame, decoded).ok());
  const raft_install_snapshot& out = decoded.message.install_snapshot;
  EXPECT_EQ(out.last_index, 40u);
  EXPECT_EQ(out.last_term, 5u);
  ASSERT_EQ(out.conf.n, 2u);
  EXPECT_STREQ(out.conf.servers[1].address, "node-2");
  EXPECT_EQ(out.conf.servers[1].role, RAFT_STANDBY);
  EXPECT_EQ(std::string(static_cast<char*>(out.data.base), out.data.len), "state");
  decoded.Release();
}

TEST(RaftCodecTest, VoteResultKeepsThePreVoteTribool) {
  raft_message message{};
  message.type = RAFT_IO_REQUEST_VOTE_RESULT;
  message.server_id = 2;
  message.request_vote_result.term = 9;
  message.request_vote_result.vote_granted = true;
  message.request_vote_result.pre_vote = raft_tribool_true;
  DecodedRaftMessage decoded;
  ASSERT_TRUE(DecodeRaftFrame(EncodeRaftFrame(1, "node-1", message), decoded).ok());
  EXPECT_EQ(decoded.message.type, RAFT_IO_REQUEST_VOTE_RESULT);
  EXPECT_EQ(decoded.message.request_vote_result.term, 9u);
  EXPECT_TRUE(decoded.message.request_vote_result.vote_granted);
  EXPECT_EQ(decoded.message.request_vote_result.pre_vote, raft_tribool_true);
}

TEST(RaftCodecTest, GarbageIsRefusedNotTrusted) {
  DecodedRaftMessage decoded;
  EXPECT_EQ(DecodeRaftFrame("", decoded).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeRaftFrame(std::string("\0\0\0\5abc", 7), decoded).code(),
            StatusCode::kInvalidArgument);  // length says 5, 3 bytes follow
  EXPECT_EQ(DecodeRaftFrame(std::string("\0\0\0\3\xff\xff\xff", 7), decoded).code(),
            StatusCode::kInvalidArgument);  // not a protobuf
  EXPECT_EQ(DecodeRaftFrame(std::string("\0\0\0\0", 4), decoded).code(),
            StatusCode::kInvalidArgument);  // a frame with no message in it
}

}  // namespace
}  // namespace lifeboat::eventlog::raft
