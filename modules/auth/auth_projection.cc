#include "modules/auth/auth_projection.h"

#include <algorithm>

#include "modules/auth/secrets.h"

namespace lifeboat::auth {
namespace {

constexpr std::string_view kUserPrefix = "user/";
constexpr std::string_view kCodePrefix = "code/";
constexpr std::string_view kSessionPrefix = "session/";
constexpr size_t kSha256Bytes = 32;

std::string Key(std::string_view prefix, std::string_view rest) {
  std::string key(prefix);
  key += rest;
  return key;
}

template <typename Message>
Result<std::optional<Message>> Read(eventlog::ProjectionState& state, const std::string& key) {
  Result<std::optional<std::string>> stored = state.Get(key);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<Message>();
  Message message;
  if (!message.ParseFromString(**stored)) {
    return Status::Corruption("auth state key " + key + " does not parse");
  }
  return std::optional<Message>(std::move(message));
}

Status CheckDigest(const std::string& digest, std::string_view what) {
  if (digest.size() != kSha256Bytes) {
    return Status::Corruption(std::string(what) + ": digest is not 32 bytes");
  }
  return Status::Ok();
}

}  // namespace

Status AuthProjection::Apply(const events::Event& event, eventlog::ProjectionState& state) {
  if (event.payload_case() != events::Event::kAuth) return Status::Ok();
  return ApplyChange(event.auth(), event.timestamp_unix_micros(), state);
}

Result<UserCredentials> AuthProjection::ReadUser(eventlog::ProjectionState& state,
                                                 const std::string& user_id) {
  Result<std::optional<UserCredentials>> stored =
      Read<UserCredentials>(state, Key(kUserPrefix, user_id));
  if (!stored.ok()) return stored.status();
  return stored->value_or(UserCredentials());
}

void AuthProjection::WriteUser(eventlog::ProjectionState& state, const std::string& user_id,
                               const UserCredentials& credentials) {
  state.Put(Key(kUserPrefix, user_id), credentials.SerializeAsString());
  StagedChange change;
  change.kind = StagedChange::Kind::kUser;
  change.key = user_id;
  change.user = credentials;
  staged_.push_back(std::move(change));
}

Status AuthProjection::ApplyChange(const AuthEvent& change, int64_t timestamp_unix_micros,
                                   eventlog::ProjectionState& state) {
  switch (change.change_case()) {
    case AuthEvent::kCredentialCached: {
      const CredentialCached& cached = change.credential_cached();
      if (cached.user_id().empty()) return Status::Corruption("CredentialCached without a user");
      Result<UserCredentials> user = ReadUser(state, cached.user_id());
      if (!user.ok()) return user.status();
      user->set_verifier_phc(cached.verifier_phc());
      user->set_verifier_source(cached.source());
      user->set_verifier_cached_unix_micros(timestamp_unix_micros);
      WriteUser(state, cached.user_id(), *user);
      return Status::Ok();
    }
    case AuthEvent::kTotpEnrolled: {
      const TotpEnrolled& enrolled = change.totp_enrolled();
      if (enrolled.user_id().empty()) return Status::Corruption("TotpEnrolled without a user");
      Result<UserCredentials> user = ReadUser(state, enrolled.user_id());
      if (!user.ok()) return user.status();
      user->set_totp_secret(enrolled.secret());
      user->set_totp_last_step(0);
      WriteUser(state, enrolled.user_id(), *user);
      return Status::Ok();
    }
    case AuthEvent::kTotpStepUsed: {
      const TotpStepUsed& used = change.totp_step_used();
      Result<UserCredentials> user = ReadUser(state, used.user_id());
      if (!user.ok()) return user.status();
      user->set_totp_last_step(std::max(user->totp_last_step(), used.step()));
      WriteUser(state, used.user_id(), *user);
      return Status::Ok();
    }
    case AuthEvent::kActivationCodeIssued: {
      const ActivationCodeIssued& issued = change.activation_code_issued();
      LB_RETURN_IF_ERROR(CheckDigest(issued.code_sha256(), "ActivationCodeIssued"));
      std::string key = Key(kCodePrefix, HexEncode(issued.code_sha256()));
      Result<std::optional<ActivationCodeRecord>> before = Read<ActivationCodeRecord>(state, key);
      if (!before.ok()) return before.status();
      if (before->has_value())
        return Status::Ok();  // issued once; a replayed issue changes nothing
      StagedChange staged;
      staged.kind = StagedChange::Kind::kCode;
      staged.key = issued.code_sha256();
      staged.code.set_user_id(issued.user_id());
      staged.code.set_expires_unix_micros(issued.expires_unix_micros());
      staged.code.set_kind(issued.kind());
      state.Put(key, staged.code.SerializeAsString());
      staged_.push_back(std::move(staged));
      return Status::Ok();
    }
    case AuthEvent::kActivationCodeUsed: {
      const ActivationCodeUsed& used = change.activation_code_used();
      LB_RETURN_IF_ERROR(CheckDigest(used.code_sha256(), "ActivationCodeUsed"));
      std::string key = Key(kCodePrefix, HexEncode(used.code_sha256()));
      Result<std::optional<ActivationCodeRecord>> before = Read<ActivationCodeRecord>(state, key);
      if (!before.ok()) return before.status();
      if (!before->has_value() || (*before)->used() || (*before)->user_id() != used.user_id()) {
        return Status::Ok();  // the first committed use wins (class comment)
      }
      StagedChange staged;
      staged.kind = StagedChange::Kind::kCode;
      staged.key = used.code_sha256();
      staged.code = **before;
      staged.code.set_used(true);
      staged.code.set_used_unix_micros(timestamp_unix_micros);
      state.Put(key, staged.code.SerializeAsString());
      staged_.push_back(std::move(staged));
      return Status::Ok();
    }
    case AuthEvent::kSessionStarted: {
      const SessionStarted& started = change.session_started();
      LB_RETURN_IF_ERROR(CheckDigest(started.session_id_sha256(), "SessionStarted"));
      StagedChange staged;
      staged.kind = StagedChange::Kind::kSessionPut;
      staged.key = started.session_id_sha256();
      staged.session.set_user_id(started.user_id());
      staged.session.set_created_unix_micros(timestamp_unix_micros);
      staged.session.set_peer_address(started.peer_address());
      staged.session.set_method(started.method());
      state.Put(Key(kSessionPrefix, HexEncode(staged.key)), staged.session.SerializeAsString());
      staged_.push_back(std::move(staged));
      return Status::Ok();
    }
    case AuthEvent::kSessionEnded: {
      const SessionEnded& ended = change.session_ended();
      LB_RETURN_IF_ERROR(CheckDigest(ended.session_id_sha256(), "SessionEnded"));
      state.Delete(Key(kSessionPrefix, HexEncode(ended.session_id_sha256())));
      StagedChange staged;
      staged.kind = StagedChange::Kind::kSessionRemove;
      staged.key = ended.session_id_sha256();
      staged_.push_back(std::move(staged));
      return Status::Ok();
    }
    case AuthEvent::CHANGE_NOT_SET:
      return Status::Ok();  // a change type from a newer version (events.proto evolution rule)
  }
  return Status::Ok();
}

void AuthProjection::OnBatchCommitted() {
  for (StagedChange& change : staged_) {
    switch (change.kind) {
      case StagedChange::Kind::kUser:
        view_.PutCredentials(change.key, std::move(change.user));
        break;
      case StagedChange::Kind::kCode:
        view_.PutCode(change.key, std::move(change.code));
        break;
      case StagedChange::Kind::kSessionPut:
        view_.PutSession(change.key, std::move(change.session));
        LB_CHECK(view_.Session(change.key).has_value());
        break;
      case StagedChange::Kind::kSessionRemove:
        view_.RemoveSession(change.key);
        LB_CHECK(!view_.Session(change.key).has_value());
        break;
    }
  }
  staged_.clear();
}

void AuthProjection::OnBatchDiscarded() {
  staged_.clear();
}

Status AuthProjection::Restore(std::string_view key, std::string_view value) {
  auto corrupt = [&] {
    return Status::Corruption("auth state key " + std::string(key) + " does not parse");
  };
  auto parse = [&](auto& message) {
    return message.ParseFromArray(value.data(), static_cast<int>(value.size()));
  };
  if (key.starts_with(kUserPrefix)) {
    UserCredentials user;
    if (!parse(user)) return corrupt();
    view_.PutCredentials(std::string(key.substr(kUserPrefix.size())), std::move(user));
    return Status::Ok();
  }
  bool is_code = key.starts_with(kCodePrefix);
  if (!is_code && !key.starts_with(kSessionPrefix)) return corrupt();
  std::optional<std::string> digest =
      HexDecode(key.substr(is_code ? kCodePrefix.size() : kSessionPrefix.size()));
  if (!digest || digest->size() != kSha256Bytes) return corrupt();
  if (is_code) {
    ActivationCodeRecord code;
    if (!parse(code)) return corrupt();
    view_.PutCode(*digest, std::move(code));
  } else {
    SessionRecord session;
    if (!parse(session)) return corrupt();
    view_.PutSession(*digest, std::move(session));
  }
  return Status::Ok();
}

}  // namespace lifeboat::auth
