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
// Reads answered later (AdminResponse::later: the backend reads off the loop) are held too, by
// id; evhttp_send_reply may come after the handler returned. The reply is dropped when its
// connection closed meanwhile or the server stopped (a late reply holds only a weak reference).
//
// Threading: loop thread only. The router must outlive the server.

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "appliance/admin/admin_router.h"
#include "appliance/admin/host_port.h"
#include "appliance/env/libevent_env.h"
#include "appliance/env/status.h"

struct event;
struct event_base;
struct evhttp;
struct evhttp_connection;
struct evhttp_request;

namespace lifeboat::admin {

class AdminServer {
 public:
  // Listens on host:port ("127.0.0.1" or "::1"; port 0 picks a free one, see port()). The
  // evhttp server runs on `env`'s event base; a waiting request's bound is an Env timer, which
  // never fires before the bound (libevent's own timers read a coarse clock and may, by a jiffy).
  // `env` must outlive the server.
  static Result<std::unique_ptr<AdminServer>> Start(LibeventEnv& env, const std::string& host,
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
  // Requests whose read runs off the loop.
  size_t reading_requests() const { return readers_.size(); }

 private:
  struct Waiter {
    AdminServer* server;
    evhttp_request* request;
    evhttp_connection* connection;
    AppliedWait wait;
    TimerId bound_timer = 0;       // the Env timer of wait.bound_ms
    event* peer_closed = nullptr;  // null where the backend cannot report it: the timer remains
  };

  struct Reader {
    evhttp_request* request;
    evhttp_connection* connection;
  };

  AdminServer(LibeventEnv& env, AdminRouter& router) : env_(env), router_(router) {}
  // Holds `request` and lets `later` answer it, now or on a later loop turn.
  void HoldForRead(evhttp_request* request, const std::function<void(AdminReply reply)>& later);
  void AnswerRead(uint64_t id, const AdminResponse& response);
  static void OnRequest(evhttp_request* request, void* arg);
  static void OnPeerClosed(int fd, short what, void* arg);
  // The bound passed or the peer left: answers `waiter` if it is still waiting.
  void AnswerIfWaiting(const Waiter* waiter);
  static void OnConnectionClose(evhttp_connection* connection, void* arg);
  void Hold(evhttp_request* request, const AppliedWait& wait);
  // Answers the waiter and forgets it.
  void Answer(std::list<Waiter>::iterator waiter);
  // Forgets the waiter without answering (its connection is gone, or the server stops).
  void Forget(std::list<Waiter>::iterator waiter);

  LibeventEnv& env_;
  AdminRouter& router_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
  std::list<Waiter> waiters_;  // stable addresses: timers and events point into it
  std::map<uint64_t, Reader> readers_;
  uint64_t next_reader_id_ = 1;
  // What a late reply holds: null once the server is gone.
  std::shared_ptr<AdminServer*> self_ = std::make_shared<AdminServer*>(this);
};

}  // namespace lifeboat::admin
