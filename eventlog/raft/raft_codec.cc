#include "eventlog/raft/raft_codec.h"

#include <cstring>

#include "eventlog/log_payload_format.h"
#include "eventlog/raft.pb.h"

namespace lifeboat::eventlog::raft {

// The projection runner tells events from other Raft entries by this byte (log_payload_format.h).
static_assert(kRaftCommandEntryType == RAFT_COMMAND);

namespace {

void PutServers(const raft_configuration& configuration,
                google::protobuf::RepeatedPtrField<raftwire::Server>* out) {
  for (unsigned i = 0; i < configuration.n; ++i) {
    raftwire::Server* server = out->Add();
    server->set_id(configuration.servers[i].id);
    server->set_address(configuration.servers[i].address);
    server->set_role(configuration.servers[i].role);
  }
}

std::string BigEndianLength(size_t length) {
  std::string prefix(kRaftFrameLengthBytes, '\0');
  for (size_t i = 0; i < kRaftFrameLengthBytes; ++i) {
    prefix[i] = static_cast<char>((length >> (8 * (kRaftFrameLengthBytes - 1 - i))) & 0xff);
  }
  return prefix;
}

// Entries in one raft_malloc batch, as libraft frees received entries (entry.c).
Status DecodeEntries(const raftwire::AppendEntries& in, raft_append_entries& out) {
  out.entries = nullptr;
  out.n_entries = 0;
  if (in.entries_size() == 0) return Status::Ok();
  size_t total = 0;
  for (const raftwire::Entry& entry : in.entries()) total += entry.data().size();
  // Never a zero-size batch: libraft asserts every received entry has a non-null batch.
  auto* batch = static_cast<uint8_t*>(raft_malloc(total > 0 ? total : 1));
  auto* entries = static_cast<raft_entry*>(
      raft_calloc(static_cast<size_t>(in.entries_size()), sizeof(raft_entry)));
  LB_CHECK(batch != nullptr && entries != nullptr);
  uint8_t* cursor = batch;
  for (int i = 0; i < in.entries_size(); ++i) {
    const raftwire::Entry& entry = in.entries(i);
    entries[i].term = entry.term();
    entries[i].type = static_cast<unsigned short>(entry.type());
    entries[i].buf.base = cursor;
    entries[i].buf.len = entry.data().size();
    entries[i].batch = batch;
    if (!entry.data().empty()) std::memcpy(cursor, entry.data().data(), entry.data().size());
    cursor += entry.data().size();
  }
  out.entries = entries;
  out.n_entries = static_cast<unsigned>(in.entries_size());
  return Status::Ok();
}

}  // namespace

void DecodedRaftMessage::Release() {
  switch (message.type) {
    case RAFT_IO_APPEND_ENTRIES:
      if (message.append_entries.entries != nullptr) {
        raft_free(message.append_entries.entries[0].batch);
        raft_free(message.append_entries.entries);
        message.append_entries.entries = nullptr;
        message.append_entries.n_entries = 0;
      }
      break;
    case RAFT_IO_INSTALL_SNAPSHOT:
      raft_configuration_close(&message.install_snapshot.conf);
      raft_free(message.install_snapshot.data.base);
      message.install_snapshot.data.base = nullptr;
      break;
    default:
      break;
  }
  message.type = 0;
}

std::string EncodeRaftFrame(uint64_t from_id, std::string_view from_address,
                            const raft_message& message) {
  raftwire::Frame frame;
  frame.set_from_id(from_id);
  frame.set_from_address(std::string(from_address));
  frame.set_to_id(message.server_id);
  switch (message.type) {
    case RAFT_IO_REQUEST_VOTE: {
      const raft_request_vote& in = message.request_vote;
      raftwire::RequestVote* out = frame.mutable_request_vote();
      out->set_term(in.term);
      out->set_candidate_id(in.candidate_id);
      out->set_last_log_index(in.last_log_index);
      out->set_last_log_term(in.last_log_term);
      out->set_disrupt_leader(in.disrupt_leader);
      out->set_pre_vote(in.pre_vote);
      break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
      const raft_request_vote_result& in = message.request_vote_result;
      raftwire::RequestVoteResult* out = frame.mutable_request_vote_result();
      out->set_term(in.term);
      out->set_vote_granted(in.vote_granted);
      out->set_pre_vote(static_cast<uint32_t>(in.pre_vote));
      break;
    }
    case RAFT_IO_APPEND_ENTRIES: {
      const raft_append_entries& in = message.append_entries;
      raftwire::AppendEntries* out = frame.mutable_append_entries();
      out->set_term(in.term);
      out->set_prev_log_index(in.prev_log_index);
      out->set_prev_log_term(in.prev_log_term);
      out->set_leader_commit(in.leader_commit);
      for (unsigned i = 0; i < in.n_entries; ++i) {
        raftwire::Entry* entry = out->add_entries();
        entry->set_term(in.entries[i].term);
        entry->set_type(in.entries[i].type);
        entry->set_data(static_cast<const char*>(in.entries[i].buf.base), in.entries[i].buf.len);
      }
      break;
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
      const raft_append_entries_result& in = message.append_entries_result;
      raftwire::AppendEntriesResult* out = frame.mutable_append_entries_result();
      out->set_term(in.term);
      out->set_rejected(in.rejected);
      out->set_last_log_index(in.last_log_index);
      break;
    }
    case RAFT_IO_INSTALL_SNAPSHOT: {
      const raft_install_snapshot& in = message.install_snapshot;
      raftwire::InstallSnapshot* out = frame.mutable_install_snapshot();
      out->set_term(in.term);
      out->set_last_index(in.last_index);
      out->set_last_term(in.last_term);
      PutServers(in.conf, out->mutable_configuration());
      out->set_configuration_index(in.conf_index);
      out->set_data(static_cast<const char*>(in.data.base), in.data.len);
      break;
    }
    case RAFT_IO_TIMEOUT_NOW: {
      const raft_timeout_now& in = message.timeout_now;
      raftwire::TimeoutNow* out = frame.mutable_timeout_now();
      out->set_term(in.term);
      out->set_last_log_index(in.last_log_index);
      out->set_last_log_term(in.last_log_term);
      break;
    }
    default:
      LB_CHECK(false && "libraft sent an unknown message type");
  }
  std::string body = frame.SerializeAsString();
  LB_CHECK(body.size() <= kRaftFrameBytesMax);
  return BigEndianLength(body.size()) + body;
}

Status DecodeRaftFrame(std::string_view bytes, DecodedRaftMessage& out) {
  if (bytes.size() < kRaftFrameLengthBytes) return Status::InvalidArgument("raft frame: short");
  size_t length = 0;
  for (size_t i = 0; i < kRaftFrameLengthBytes; ++i) {
    length = (length << 8) | static_cast<uint8_t>(bytes[i]);
  }
  if (length > kRaftFrameBytesMax || length != bytes.size() - kRaftFrameLengthBytes) {
    return Status::InvalidArgument("raft frame: length " + std::to_string(length) +
                                   " does not match its " + std::to_string(bytes.size()) +
                                   " bytes or exceeds the limit");
  }
  raftwire::Frame frame;
  if (!frame.ParseFromArray(bytes.data() + kRaftFrameLengthBytes, static_cast<int>(length))) {
    return Status::InvalidArgument("raft frame: malformed protobuf");
  }
  out.message = raft_message{};
  out.to_id = frame.to_id();
  out.from_address = frame.from_address();
  out.message.server_id = frame.from_id();
  out.message.server_address = out.from_address.c_str();
  switch (frame.body_case()) {
    case raftwire::Frame::kRequestVote: {
      const raftwire::RequestVote& in = frame.request_vote();
      out.message.type = RAFT_IO_REQUEST_VOTE;
      raft_request_vote& m = out.message.request_vote;
      m.term = in.term();
      m.candidate_id = in.candidate_id();
      m.last_log_index = in.last_log_index();
      m.last_log_term = in.last_log_term();
      m.disrupt_leader = in.disrupt_leader();
      m.pre_vote = in.pre_vote();
      return Status::Ok();
    }
    case raftwire::Frame::kRequestVoteResult: {
      const raftwire::RequestVoteResult& in = frame.request_vote_result();
      if (in.pre_vote() > raft_tribool_false) {
        return Status::InvalidArgument("raft frame: bad pre_vote value");
      }
      out.message.type = RAFT_IO_REQUEST_VOTE_RESULT;
      raft_request_vote_result& m = out.message.request_vote_result;
      m.term = in.term();
      m.vote_granted = in.vote_granted();
      m.pre_vote = static_cast<raft_tribool>(in.pre_vote());
      return Status::Ok();
    }
    case raftwire::Frame::kAppendEntries: {
      const raftwire::AppendEntries& in = frame.append_entries();
      raft_append_entries& m = out.message.append_entries;
      m.term = in.term();
      m.prev_log_index = in.prev_log_index();
      m.prev_log_term = in.prev_log_term();
      m.leader_commit = in.leader_commit();
      LB_RETURN_IF_ERROR(DecodeEntries(in, m));
      out.message.type = RAFT_IO_APPEND_ENTRIES;
      return Status::Ok();
    }
    case raftwire::Frame::kAppendEntriesResult: {
      const raftwire::AppendEntriesResult& in = frame.append_entries_result();
      out.message.type = RAFT_IO_APPEND_ENTRIES_RESULT;
      raft_append_entries_result& m = out.message.append_entries_result;
      m.term = in.term();
      m.rejected = in.rejected();
      m.last_log_index = in.last_log_index();
      return Status::Ok();
    }
    case raftwire::Frame::kInstallSnapshot: {
      const raftwire::InstallSnapshot& in = frame.install_snapshot();
      raft_install_snapshot& m = out.message.install_snapshot;
      m.term = in.term();
      m.last_index = in.last_index();
      m.last_term = in.last_term();
      m.conf_index = in.configuration_index();
      std::vector<RaftServer> servers;
      for (const raftwire::Server& server : in.configuration()) {
        servers.push_back(RaftServer{server.id(), server.address(), server.role()});
      }
      LB_RETURN_IF_ERROR(ConfigurationFromServers(servers, m.conf));
      m.data.len = in.data().size();
      m.data.base = raft_malloc(m.data.len > 0 ? m.data.len : 1);
      LB_CHECK(m.data.base != nullptr);
      if (m.data.len > 0) std::memcpy(m.data.base, in.data().data(), m.data.len);
      out.message.type = RAFT_IO_INSTALL_SNAPSHOT;
      return Status::Ok();
    }
    case raftwire::Frame::kTimeoutNow: {
      const raftwire::TimeoutNow& in = frame.timeout_now();
      out.message.type = RAFT_IO_TIMEOUT_NOW;
      raft_timeout_now& m = out.message.timeout_now;
      m.term = in.term();
      m.last_log_index = in.last_log_index();
      m.last_log_term = in.last_log_term();
      return Status::Ok();
    }
    case raftwire::Frame::BODY_NOT_SET:
      break;
  }
  return Status::InvalidArgument("raft frame: no known message in it");
}

std::vector<RaftServer> ServersFromConfiguration(const raft_configuration& configuration) {
  std::vector<RaftServer> servers;
  for (unsigned i = 0; i < configuration.n; ++i) {
    const raft_server& server = configuration.servers[i];
    servers.push_back(RaftServer{server.id, server.address, server.role});
  }
  return servers;
}

Status ConfigurationFromServers(const std::vector<RaftServer>& servers,
                                raft_configuration& configuration) {
  raft_configuration_init(&configuration);
  for (const RaftServer& server : servers) {
    const int rv =
        raft_configuration_add(&configuration, server.id, server.address.c_str(), server.role);
    if (rv != 0) {
      raft_configuration_close(&configuration);
      raft_configuration_init(&configuration);
      return Status::InvalidArgument("raft configuration: server " + std::to_string(server.id) +
                                     ": " + raft_strerror(rv));
    }
  }
  return Status::Ok();
}

int RaftErrorCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kResourceExhausted:
      return RAFT_NOSPACE;
    case StatusCode::kCorruption:
      return RAFT_CORRUPT;
    case StatusCode::kNotFound:
      return RAFT_NOTFOUND;
    case StatusCode::kInvalidArgument:
      return RAFT_INVALID;
    case StatusCode::kAborted:
      return RAFT_CANCELED;
    case StatusCode::kUnavailable:
      return RAFT_NOCONNECTION;
    default:
      return RAFT_IOERR;
  }
}

}  // namespace lifeboat::eventlog::raft
