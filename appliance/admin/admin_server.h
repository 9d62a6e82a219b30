#pragma once
// The admin API's HTTP driver: an evhttp listener on the loop's event_base that turns each
// request into an AdminRequest, asks the AdminRouter and writes the AdminResponse. No logic here
// beyond limits (kAdminRequestBytesMax, GET only, timeouts), which evhttp enforces itself.
//
// Status requests that wait for the projections (AppliedWait) are held here, each with a timer
// for its bound, and answered by NotifyApplied or the timer. evhttp stops reading a connection
// while its request is being answered, so it would not notice a client that hangs up: each held
// request also watches its socket for the peer's close (EV_CLOSED, epoll's EPOLLRDHUP) and is
// answered at once, which lets evhttp see the dead socket and free it. At most
// kAdminWaitingRequestsMax wait at a time; more get 503 at once.
//
// Threading: loop thread only. The router must outlive the server.

#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "appliance/admin/admin_router.h"
#include "appliance/env/status.h"

struct event;
struct event_base;
struct evhttp;
struct evhttp_connection;
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
  // The projections have applied `applied_index`: answers the requests waiting for it.
  void NotifyApplied(uint64_t applied_index);
  size_t waiting_requests() const { return waiters_.size(); }

 private:
  struct Waiter {
    AdminServer* server;
    evhttp_request* request;
    evhttp_connection* connection;
    AppliedWait wait;
    event* timer = nullptr;
    event* peer_closed = nullptr;  // null where the backend cannot report it: the timer remains
  };

  AdminServer(AdminRouter& router) : router_(router) {}
  static void OnRequest(evhttp_request* request, void* arg);
  static void OnWaitTimeout(int fd, short what, void* arg);  // also the peer-closed callback
  static void OnConnectionClose(evhttp_connection* connection, void* arg);
  void Hold(evhttp_request* request, const AppliedWait& wait);
  // Answers the waiter and forgets it.
  void Answer(std::list<Waiter>::iterator waiter);
  // Forgets the waiter without answering (its connection is gone, or the server stops).
  void Forget(std::list<Waiter>::iterator waiter);

  AdminRouter& router_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
  std::list<Waiter> waiters_;  // stable addresses: each timer's argument points into it
};

}  // namespace lifeboat::admin
