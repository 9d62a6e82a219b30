#pragma once
// An AdminBackend with fixed answers for the router and server tests. The mailbox and directory
// endpoints are tested against their own backend in admin_mailbox_router_test.cc.

#include <cstdint>
#include <string>
#include <string_view>

#include "appliance/admin/admin_router.h"

namespace lifeboat::admin::testing {

class FakeBackend : public AdminBackend {
 public:
  std::string StatusJson() override { return "{\"node_id\":\"n1\"}"; }
  uint64_t CommitIndex() override { return commit_index; }
  uint64_t LogLastIndex() override { return log_last_index; }
  uint64_t ProjectionAppliedIndex() override { return applied_index; }
  std::string MetricsText() override { return "lifeboat_log_last_index 3\n"; }
  Result<std::string> LogJson(uint64_t from, uint64_t count) override {
    last_from = from;
    last_count = count;
    if (from > 100) return Status::NotFound("index " + std::to_string(from) + " is not in the log");
    return std::string("{\"index\":\"1\"}\n");
  }
  Result<std::string> MailboxesJson(uint64_t) override { return std::string(); }
  Result<std::string> MailboxMessagesJson(std::string_view, std::string_view, uint64_t,
                                          std::string_view) override {
    return std::string();
  }
  Result<std::string> MessageJson(std::string_view, std::string_view) override {
    return std::string("{}");
  }
  Result<std::string> RawMessage(std::string_view, std::string_view) override {
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
  uint64_t commit_index = 0;
  uint64_t log_last_index = 0;
  uint64_t applied_index = 0;
  uint64_t last_from = 0;
  uint64_t last_count = 0;
};

}  // namespace lifeboat::admin::testing
