#pragma once
// What the webmail core answers: a response and the events to propose before it is sent.

#include <string_view>
#include <vector>

#include "eventlog/events.pb.h"
#include "modules/webmail/http_message.h"

namespace lifeboat::webmail {

struct Reply {
  HttpResponse response;
  std::vector<events::Event> events;  // propose and wait for commit before sending `response`
};

// A JSON error reply: {"error": code, "message": message}, with the security headers.
Reply ErrorResponse(int status, std::string_view code, std::string_view message);

}  // namespace lifeboat::webmail
