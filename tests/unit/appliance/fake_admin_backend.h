#pragma once
// An AdminBackend with fixed answers for the router and server tests. The mailbox and directory
// endpoints are tested against their own backend in admin_mailbox_router_test.cc.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/admin/admin_router.h"

namespace lifeboat::admin::testing {

// An AdminBackend whose store reads answer at once, from the ...Now methods: the router's
// deferred answer (AdminResponse::later) then comes before HandleNow returns.
class ImmediateReadsBackend : public AdminBackend {
 public:
  virtual Result<std::string> LogJsonNow(uint64_t from, uint64_t count) = 0;
  virtual Result<std::string> MailboxesJsonNow(uint64_t limit) = 0;
  virtual Result<std::string> MailboxMessagesJsonNow(std::string_view address_or_id,
                                                     std::string_view folder, uint64_t limit,
                                                     std::string_view after) = 0;
  virtual Result<std::string> MessageJsonNow(std::string_view address_or_id,
                                             std::string_view message_id) = 0;
  virtual Result<std::string> RawMessageNow(std::string_view address_or_id,
                                            std::string_view message_id) = 0;

  void LogJson(uint64_t from, uint64_t count, ReadDone done) override {
    done(LogJsonNow(from, count));
  }
  void MailboxesJson(uint64_t limit, ReadDone done) override { done(MailboxesJsonNow(limit)); }
  void MailboxMessagesJson(std::string address_or_id, std::string folder, uint64_t limit,
                           std::string after, ReadDone done) override {
    done(MailboxMessagesJsonNow(address_or_id, folder, limit, after));
  }
  void MessageJson(std::string address_or_id, std::string message_id, ReadDone done) override {
    done(MessageJsonNow(address_or_id, message_id));
  }
  void RawMessage(std::string address_or_id, std::string message_id, ReadDone done) override {
    done(RawMessageNow(address_or_id, message_id));
  }
};

class FakeBackend : public ImmediateReadsBackend {
 public:
  std::string StatusJson() override { return "{\"node_id\":\"n1\"}"; }
  uint64_t CommitIndex() override { return commit_index; }
  uint64_t LogLastIndex() override { return log_last_index; }
  uint64_t ProjectionAppliedIndex() override { return applied_index; }
  std::string MetricsText() override { return "lifeboat_log_last_index 3\n"; }
  Result<std::string> LogJsonNow(uint64_t from, uint64_t count) override {
    last_from = from;
    last_count = count;
    if (from > 100) return Status::NotFound("index " + std::to_string(from) + " is not in the log");
    return std::string("{\"index\":\"1\"}\n");
  }
  Result<std::string> MailboxesJsonNow(uint64_t) override { return std::string(); }
  Result<std::string> MailboxMessagesJsonNow(std::string_view, std::string_view, uint64_t,
                                             std::string_view) override {
    return std::string();
  }
  Result<std::string> MessageJsonNow(std::string_view, std::string_view) override {
    return std::string("{}");
  }
  Result<std::string> RawMessageNow(std::string_view, std::string_view) override {
    return std::string();
  }
  std::string DirectoryStatusJson() override { return "{}"; }
  Result<std::string> DirectoryEntryJson(std::string_view) override { return std::string("{}"); }
  Result<std::string> DirectorySearchJson(std::string_view, uint64_t) override {
    return std::string();
  }
  Result<std::string> StartDirectorySync(bool, bool) override { return std::string("{}"); }
  Result<std::string> StartDirectoryImport(bool) override { return std::string("{}"); }
  Result<std::string> DirectoryActionJson(uint64_t) override { return std::string("{}"); }
  std::string RoutingStatusJson() override { return "{\"configured\":false}"; }
  void SetRoutingOverride(std::string scope, std::string mode, std::string operator_name,
                          std::string reason, ReadDone done) override {
    last_override = scope + "|" + mode + "|" + operator_name + "|" + reason;
    done(std::string("{\"index\":\"7\"}"));
  }
  std::string last_override;
  void IssueBreakGlassCodes(std::string, uint64_t, ReadDone done) override {
    done(Status::NotFound("no such user"));
  }
  uint64_t commit_index = 0;
  uint64_t log_last_index = 0;
  uint64_t applied_index = 0;
  uint64_t last_from = 0;
  uint64_t last_count = 0;
};

// The router's answer to `request` with a backend that reads at once: a deferred answer
// (AdminResponse::later) is collected before returning.
inline AdminResponse HandleNow(AdminRouter& router, const AdminRequest& request) {
  AdminResponse response = router.Handle(request);
  if (response.later == nullptr) return response;
  AdminResponse answer;
  bool answered = false;
  response.later([&](AdminResponse later) {
    answer = std::move(later);
    answered = true;
  });
  EXPECT_TRUE(answered) << request.path << ": the fake backend answers at once";
  return answer;
}

}  // namespace lifeboat::admin::testing
