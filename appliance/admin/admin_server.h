#pragma once
// The admin API's HTTP driver: an evhttp listener on the loop's event_base that turns each
// request into an AdminRequest, asks the AdminRouter and writes the AdminResponse. No logic here
// beyond limits (kAdminRequestBytesMax, GET only, timeouts), which evhttp enforces itself.
//
// Threading: loop thread only. The router must outlive the server.

#include <cstdint>
#include <memory>
#include <string>

#include "appliance/admin/admin_router.h"
#include "appliance/env/status.h"

struct event_base;
struct evhttp;
struct evhttp_request;

namespace lifeboat::admin {

class AdminServer {
 public:
  // Listens on host:port ("127.0.0.1" or "::1"; port 0 picks a free one, see port()).
  static Result<std::unique_ptr<AdminServer>> Start(event_base* base, const std::string& host,
                                                    uint16_t port, AdminRouter& router);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The port actually bound.
  uint16_t port() const { return port_; }
  // Closes the listener and every admin connection. Idempotent.
  void Stop();

 private:
  AdminServer(AdminRouter& router) : router_(router) {}
  static void OnRequest(evhttp_request* request, void* arg);

  AdminRouter& router_;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
};

}  // namespace lifeboat::admin
