#pragma once
// What the two evhttp servers of a node (the admin API, appliance/admin/admin_server.h, and the
// webmail, appliance/webmail/webmail_server.h) both need from libevent's HTTP layer: the request
// method as text and the port a listener actually bound. One place, so that both name methods
// alike (RFC 9110 section 9) and a port 0 listener reports the same port to both.

#include <event2/http.h>
#include <event2/util.h>

#include <cstdint>
#include <string>

namespace lifeboat {

// "GET", "POST", ... as RFC 9110 section 9 spells them; "OTHER" for what evhttp knows and we serve
// nowhere (TRACE, CONNECT, ...): routers answer it 405.
std::string HttpMethodName(evhttp_cmd_type command);

// The local port of a bound listening socket; 0 when getsockname(2) fails.
uint16_t BoundPort(evutil_socket_t fd);

}  // namespace lifeboat
