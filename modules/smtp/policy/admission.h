#pragma once
// Session admission: how many SMTP sessions may be open per client and in total. The driver asks
// on accept, before it creates a Session; a refused client gets RefusalReply() and is closed.
// A Ticket holds one admitted session and gives it back when destroyed, so a session that ends
// any way at all is counted out. The SessionAdmission must outlive its tickets. Loop thread only.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "appliance/env/status.h"

namespace lifeboat::smtp {

class SessionAdmission {
 public:
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class SessionAdmission;
    Ticket(SessionAdmission* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    void Release();

    SessionAdmission* owner_ = nullptr;
    std::string key_;
  };

  SessionAdmission(size_t sessions_per_ip_max, size_t sessions_total_max);
  ~SessionAdmission();

  // ResourceExhausted when a limit is reached. Clients are counted by ClientKey (IPv6 per /64).
  Result<Ticket> Admit(std::string_view peer_ip);

  size_t sessions_total() const { return sessions_total_; }
  size_t sessions_for(std::string_view peer_ip) const;

  // The bytes to send before closing a refused connection (RFC 5321 3.8, 4.2.3: 421).
  static std::string RefusalReply(std::string_view hostname);

 private:
  void Release(const std::string& key);

  size_t sessions_per_ip_max_;
  size_t sessions_total_max_;
  size_t sessions_total_ = 0;
  std::unordered_map<std::string, size_t> sessions_per_client_;
};

}  // namespace lifeboat::smtp
