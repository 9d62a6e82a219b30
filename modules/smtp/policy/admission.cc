#include "modules/smtp/policy/admission.h"

#include "appliance/env/check.h"
#include "modules/smtp/policy/cidr.h"
#include "modules/smtp/reply.h"

namespace lifeboat::smtp {

SessionAdmission::Ticket::Ticket(Ticket&& other) noexcept
    : owner_(other.owner_), key_(std::move(other.key_)) {
  other.owner_ = nullptr;
}

SessionAdmission::Ticket& SessionAdmission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    key_ = std::move(other.key_);
    other.owner_ = nullptr;
  }
  return *this;
}

SessionAdmission::Ticket::~Ticket() {
  Release();
}

void SessionAdmission::Ticket::Release() {
  if (owner_ != nullptr) owner_->Release(key_);
  owner_ = nullptr;
}

SessionAdmission::SessionAdmission(size_t sessions_per_ip_max, size_t sessions_total_max)
    : sessions_per_ip_max_(sessions_per_ip_max), sessions_total_max_(sessions_total_max) {}

SessionAdmission::~SessionAdmission() {
  LB_CHECK(sessions_total_ == 0);
}

Result<SessionAdmission::Ticket> SessionAdmission::Admit(std::string_view peer_ip) {
  std::string key = ClientKey(peer_ip);
  if (sessions_total_ >= sessions_total_max_) {
    return Status::ResourceExhausted("smtp: sessions_total_max reached");
  }
  size_t& count = sessions_per_client_[key];
  if (count >= sessions_per_ip_max_) {
    if (count == 0) sessions_per_client_.erase(key);
    return Status::ResourceExhausted("smtp: sessions_per_ip_max reached for " + key);
  }
  ++count;
  ++sessions_total_;
  return Ticket(this, std::move(key));
}

size_t SessionAdmission::sessions_for(std::string_view peer_ip) const {
  auto it = sessions_per_client_.find(ClientKey(peer_ip));
  return it == sessions_per_client_.end() ? 0 : it->second;
}

void SessionAdmission::Release(const std::string& key) {
  auto it = sessions_per_client_.find(key);
  LB_CHECK(it != sessions_per_client_.end() && it->second > 0 && sessions_total_ > 0);
  --sessions_total_;
  if (--it->second == 0) sessions_per_client_.erase(it);
}

std::string SessionAdmission::RefusalReply(std::string_view hostname) {
  return FormatReply(
      MakeReply(421, "4.7.0", std::string(hostname) + " Error: too many connections, try later"));
}

}  // namespace lifeboat::smtp
