// The mailbox and directory endpoints of the admin API core: the token guards them, parameters
// are decoded and bounded (400), backend errors become 404/409/503, the two actions take POST
// only and answer 202.
#include <gtest/gtest.h>

#include <map>

#include "appliance/admin/admin_router.h"
#include "appliance/admin/directory_actions.h"
#include "appliance/admin/directory_queries.h"
#include "appliance/admin/mailbox_queries.h"
#include "appliance/admin/query_string.h"
#include "tests/unit/appliance/fake_admin_backend.h"

namespace lifeboat::admin {
namespace {

using testing::HandleNow;

constexpr char kToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Records what the router passed; answers from small fixed tables.
class RecordingBackend : public testing::ImmediateReadsBackend {
 public:
  std::string StatusJson() override { return "{}"; }
  uint64_t CommitIndex() override { return 0; }
  uint64_t LogLastIndex() override { return 0; }
  uint64_t ProjectionAppliedIndex() override { return 0; }
  std::string MetricsText() override { return ""; }
  Result<std::string> LogJsonNow(uint64_t, uint64_t) override { return std::string(); }

  Result<std::string> MailboxesJsonNow(uint64_t limit) override {
    last_limit = limit;
    return std::string("{\"mailbox_id\":\"u1\"}\n");
  }
  Result<std::string> MailboxMessagesJsonNow(std::string_view address_or_id,
                                             std::string_view folder, uint64_t limit,
                                             std::string_view after) override {
    last_address = address_or_id;
    last_folder = folder;
    last_limit = limit;
    last_after = after;
    if (address_or_id == "nobody@corp.example") return Status::NotFound("no mailbox");
    if (address_or_id == "sales@corp.example") return Status::InvalidArgument("is a group");
    if (after == "purged-id") return Status::InvalidArgument("after=purged-id: no such message");
    return std::string("{\"message_id\":\"m1\"}\n");
  }
  Result<std::string> MessageJsonNow(std::string_view address_or_id,
                                     std::string_view message_id) override {
    last_address = address_or_id;
    last_id = message_id;
    if (message_id != "m1") return Status::NotFound("no message");
    return std::string("{\"message_id\":\"m1\"}");
  }
  Result<std::string> RawMessageNow(std::string_view, std::string_view message_id) override {
    if (message_id != "m1") return Status::NotFound("no message");
    return std::string("Subject: hi\r\n\r\nbody\r\n");
  }
  std::string DirectoryStatusJson() override { return "{\"entries\":3}"; }
  Result<std::string> DirectoryEntryJson(std::string_view address_or_id) override {
    last_address = address_or_id;
    if (address_or_id != "alice@corp.example") return Status::NotFound("no entry");
    return std::string("{\"id\":\"u1\"}");
  }
  Result<std::string> DirectorySearchJson(std::string_view text, uint64_t limit) override {
    last_address = text;
    last_limit = limit;
    return std::string("{\"id\":\"u1\"}\n");
  }
  Result<std::string> StartDirectorySync(bool full, bool confirm) override {
    last_full = full;
    last_confirm = confirm;
    if (!ldap_configured) return Status::FailedPrecondition("no LDAP server configured");
    return std::string("{\"id\":1,\"state\":\"running\"}");
  }
  Result<std::string> StartDirectoryImport(bool confirm) override {
    last_confirm = confirm;
    return std::string("{\"id\":2,\"state\":\"running\"}");
  }
  Result<std::string> DirectoryActionJson(uint64_t id) override {
    if (id != 1) return Status::NotFound("no directory action");
    return std::string("{\"id\":1,\"state\":\"done\",\"outcome\":\"ok\"}");
  }
  std::string RoutingStatusJson() override { return "{}"; }
  void SetRoutingOverride(std::string, std::string, std::string, std::string,
                          ReadDone done) override {
    done(Status::FailedPrecondition("routing is not configured"));
  }
  void IssueBreakGlassCodes(std::string, uint64_t, ReadDone done) override {
    done(Status::NotFound("no such user"));
  }

  std::string last_address;
  std::string last_folder;
  std::string last_after;
  std::string last_id;
  uint64_t last_limit = 0;
  bool last_full = false;
  bool last_confirm = false;
  bool ldap_configured = true;
};

AdminRequest Request(std::string method, std::string path, std::string query = "",
                     bool with_token = true) {
  AdminRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.query = std::move(query);
  if (with_token) request.authorization = std::string("Bearer ") + kToken;
  return request;
}

class AdminMailboxRouterTest : public ::testing::Test {
 protected:
  RecordingBackend backend_;
  AdminRouter router_{backend_, kToken};
};

TEST_F(AdminMailboxRouterTest, EveryNewEndpointNeedsTheToken) {
  const std::pair<const char*, const char*> endpoints[] = {
      {"GET", "/v1/mailboxes"},        {"GET", "/v1/mailbox"},
      {"GET", "/v1/message"},          {"GET", "/v1/directory/status"},
      {"GET", "/v1/directory/entry"},  {"GET", "/v1/directory/search"},
      {"POST", "/v1/directory/sync"},  {"POST", "/v1/directory/import"},
      {"GET", "/v1/directory/action"},
  };
  for (const auto& [method, path] : endpoints) {
    AdminResponse response = HandleNow(router_, Request(method, path, "", false));
    EXPECT_EQ(response.status, 401) << method << " " << path;
    // A wrong method is not revealed before authentication either.
    std::string other = std::string(method) == "GET" ? "POST" : "GET";
    EXPECT_EQ(HandleNow(router_, Request(other, path, "", false)).status, 401) << path;
  }
  EXPECT_FALSE(backend_.last_full);
  EXPECT_EQ(backend_.last_limit, 0u);
}

TEST_F(AdminMailboxRouterTest, MailboxListDecodesParametersAndAppliesDefaults) {
  AdminResponse response =
      HandleNow(router_, Request("GET", "/v1/mailbox", "address=alice%2Btag%40corp.example"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/x-ndjson");
  EXPECT_EQ(response.body, "{\"message_id\":\"m1\"}\n");
  EXPECT_EQ(backend_.last_address, "alice+tag@corp.example");
  EXPECT_EQ(backend_.last_folder, "");
  EXPECT_EQ(backend_.last_limit, kMailboxMessagesDefault);

  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailbox",
                                       "address=u1&folder=Old%2FArchive%20%C3%A9&limit=7"))
                .status,
            200);
  EXPECT_EQ(backend_.last_address, "u1");
  EXPECT_EQ(backend_.last_folder, "Old/Archive \xC3\xA9");
  EXPECT_EQ(backend_.last_limit, 7u);
}

TEST_F(AdminMailboxRouterTest, MailboxListRejectsBadParametersWith400) {
  AdminResponse missing = HandleNow(router_, Request("GET", "/v1/mailbox", "folder=Inbox"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body, "{\"error\":\"missing parameter address\"}\n");
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailbox", "address=")).status, 400);
  AdminResponse too_many =
      HandleNow(router_, Request("GET", "/v1/mailbox", "address=u1&limit=501"));
  EXPECT_EQ(too_many.status, 400);
  EXPECT_EQ(too_many.body, "{\"error\":\"limit=501: expected 1..500\"}\n");
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailbox", "address=u1&limit=0")).status, 400);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailbox", "address=u1&limit=x")).status, 400);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailbox", "address=%4")).status, 400);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailbox", "address=%zz")).status, 400);
  std::string long_value(kAdminQueryValueBytesMax + 1, 'a');
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailbox", "address=" + long_value)).status, 400);
  // The backend's own refusals keep their meaning.
  AdminResponse group =
      HandleNow(router_, Request("GET", "/v1/mailbox", "address=sales%40corp.example"));
  EXPECT_EQ(group.status, 400);
  EXPECT_EQ(group.body, "{\"error\":\"is a group\"}\n");
}

TEST_F(AdminMailboxRouterTest, MailboxListPassesTheAfterCursorDecoded) {
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailbox", "address=u1")).status, 200);
  EXPECT_EQ(backend_.last_after, "");  // absent: the first page
  EXPECT_EQ(
      HandleNow(router_, Request("GET", "/v1/mailbox", "address=u1&limit=5&after=m%2D7.1")).status,
      200);
  EXPECT_EQ(backend_.last_after, "m-7.1");
  EXPECT_EQ(backend_.last_limit, 5u);
}

TEST_F(AdminMailboxRouterTest, MailboxListRejectsABadCursorWith400BeforeTheBackend) {
  const std::pair<const char*, const char*> bad[] = {
      {"address=u1&after=", "{\"error\":\"after: empty; give the id of a listed message\"}\n"},
      {"address=u1&after", "{\"error\":\"after: empty; give the id of a listed message\"}\n"},
      {"address=u1&after=a%20b",
       "{\"error\":\"after=a b: not a message id (printable ASCII without spaces)\"}\n"},
      {"address=u1&after=a%0Ab",
       "{\"error\":\"after=a\\nb: not a message id (printable ASCII without spaces)\"}\n"},
      {"address=u1&after=%C3%A9", nullptr},
      {"address=u1&after=%zz", "{\"error\":\"after: bad percent escape\"}\n"},
  };
  for (const auto& [query, body] : bad) {
    backend_.last_address.clear();
    AdminResponse response = HandleNow(router_, Request("GET", "/v1/mailbox", query));
    EXPECT_EQ(response.status, 400) << query;
    if (body != nullptr) {
      EXPECT_EQ(response.body, body) << query;
    }
    EXPECT_EQ(backend_.last_address, "") << query << ": the backend was asked";
  }
  std::string long_value(kAdminQueryValueBytesMax + 1, 'a');
  EXPECT_EQ(
      HandleNow(router_, Request("GET", "/v1/mailbox", "address=u1&after=" + long_value)).status,
      400);
  // A well-formed id the mailbox does not hold: the query's InvalidArgument, still 400.
  AdminResponse unknown =
      HandleNow(router_, Request("GET", "/v1/mailbox", "address=u1&after=purged-id"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(backend_.last_after, "purged-id");
}

TEST_F(AdminMailboxRouterTest, UnknownMailboxMessageAndEntryAre404) {
  EXPECT_EQ(
      HandleNow(router_, Request("GET", "/v1/mailbox", "address=nobody%40corp.example")).status,
      404);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/message", "mailbox=u1&id=m2")).status, 404);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/message", "mailbox=u1&id=m2&raw=1")).status,
            404);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/directory/entry", "id=bob")).status, 404);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/directory/action", "id=9")).status, 404);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailboxx")).status, 404);
}

TEST_F(AdminMailboxRouterTest, MessageMetadataOrRawBytes) {
  AdminResponse metadata = HandleNow(router_, Request("GET", "/v1/message", "mailbox=u1&id=m1"));
  EXPECT_EQ(metadata.status, 200);
  EXPECT_EQ(metadata.content_type, "application/json");
  EXPECT_EQ(metadata.body, "{\"message_id\":\"m1\"}\n");
  EXPECT_EQ(backend_.last_address, "u1");
  EXPECT_EQ(backend_.last_id, "m1");
  AdminResponse raw = HandleNow(router_, Request("GET", "/v1/message", "mailbox=u1&id=m1&raw=1"));
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.content_type, "message/rfc822");
  EXPECT_EQ(raw.body, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/message", "mailbox=u1")).status, 400);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/message", "id=m1")).status, 400);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/message", "mailbox=u1&id=m1&raw=yes")).status,
            400);
}

TEST_F(AdminMailboxRouterTest, MailboxesAndDirectoryReads) {
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailboxes")).status, 200);
  EXPECT_EQ(backend_.last_limit, kMailboxesDefault);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/mailboxes", "limit=1000")).status, 400);

  AdminResponse status = HandleNow(router_, Request("GET", "/v1/directory/status"));
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body, "{\"entries\":3}\n");
  AdminResponse entry =
      HandleNow(router_, Request("GET", "/v1/directory/entry", "id=alice%40corp.example"));
  EXPECT_EQ(entry.status, 200);
  EXPECT_EQ(entry.body, "{\"id\":\"u1\"}\n");
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/directory/entry")).status, 400);

  AdminResponse search = HandleNow(router_, Request("GET", "/v1/directory/search", "q=Ali%20M"));
  EXPECT_EQ(search.status, 200);
  EXPECT_EQ(search.content_type, "application/x-ndjson");
  EXPECT_EQ(backend_.last_address, "Ali M");
  EXPECT_EQ(backend_.last_limit, kDirectorySearchResultsDefault);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/directory/search")).status, 400);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/directory/search", "q=a&limit=201")).status,
            400);
}

TEST_F(AdminMailboxRouterTest, ActionsArePostOnlyAndAnswer202) {
  AdminResponse get_sync = HandleNow(router_, Request("GET", "/v1/directory/sync"));
  EXPECT_EQ(get_sync.status, 405);
  ASSERT_EQ(get_sync.headers.size(), 1u);
  EXPECT_EQ(get_sync.headers[0], (std::pair<std::string, std::string>{"Allow", "POST"}));
  AdminResponse post_read = HandleNow(router_, Request("POST", "/v1/mailboxes"));
  EXPECT_EQ(post_read.status, 405);
  ASSERT_EQ(post_read.headers.size(), 1u);
  EXPECT_EQ(post_read.headers[0], (std::pair<std::string, std::string>{"Allow", "GET"}));

  AdminResponse sync = HandleNow(
      router_, Request("POST", "/v1/directory/sync", "full=1&confirm_mass_deprovision=1"));
  EXPECT_EQ(sync.status, 202);
  EXPECT_EQ(sync.body, "{\"id\":1,\"state\":\"running\"}\n");
  EXPECT_TRUE(backend_.last_full);
  EXPECT_TRUE(backend_.last_confirm);
  EXPECT_EQ(HandleNow(router_, Request("POST", "/v1/directory/sync")).status, 202);
  EXPECT_FALSE(backend_.last_full);
  EXPECT_FALSE(backend_.last_confirm);
  EXPECT_EQ(HandleNow(router_, Request("POST", "/v1/directory/sync", "full=yes")).status, 400);

  AdminResponse import =
      HandleNow(router_, Request("POST", "/v1/directory/import", "confirm_mass_deprovision=1"));
  EXPECT_EQ(import.status, 202);
  EXPECT_TRUE(backend_.last_confirm);

  backend_.ldap_configured = false;
  AdminResponse refused = HandleNow(router_, Request("POST", "/v1/directory/sync"));
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.body, "{\"error\":\"no LDAP server configured\"}\n");

  AdminResponse action = HandleNow(router_, Request("GET", "/v1/directory/action", "id=1"));
  EXPECT_EQ(action.status, 200);
  EXPECT_EQ(action.body, "{\"id\":1,\"state\":\"done\",\"outcome\":\"ok\"}\n");
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/directory/action")).status, 400);
  EXPECT_EQ(HandleNow(router_, Request("GET", "/v1/directory/action", "id=-1")).status, 400);
}

TEST(QueryStringTest, DecodesPercentEscapesAndKeepsPlus) {
  auto value = QueryText("a=1&address=a%2Bb+c%40x.example&b=2", "address");
  ASSERT_TRUE(value.ok());
  ASSERT_TRUE(value->has_value());
  EXPECT_EQ(**value, "a+b+c@x.example");
  auto absent = QueryText("a=1", "address");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  EXPECT_FALSE(QueryText("address=%G1", "address").ok());
  EXPECT_FALSE(QueryText("address=abc%", "address").ok());
}

TEST(QueryStringTest, EncodeThenDecodeIsIdentity) {
  const std::string text = "Dépôt/Archive & co=1+2%?#\x01";
  std::string encoded = PercentEncode(text);
  EXPECT_EQ(encoded.find_first_of("&=+/?# "), std::string::npos) << encoded;
  auto decoded = QueryText("x=" + encoded, "x");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(**decoded, text);
  EXPECT_EQ(PercentEncode("alice.b-c_d~e"), "alice.b-c_d~e");
}

TEST(DirectoryActionsTest, TracksOutcomeAndForgetsTheOldest) {
  DirectoryActions actions;
  const WallTime start{std::chrono::seconds(1000)};
  uint64_t first = actions.Begin("sync", start);
  EXPECT_EQ(first, 1u);
  auto running = actions.Json(first);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(*running,
            "{\"id\":1,\"kind\":\"sync\",\"state\":\"running\",\"outcome\":\"\","
            "\"started_unix_micros\":1000000000}");
  EXPECT_FALSE(actions.IsDone(first));
  actions.Finish(first, Status::Unavailable("ldap down"), start + std::chrono::seconds(2));
  EXPECT_TRUE(actions.IsDone(first));
  auto done = actions.Json(first);
  ASSERT_TRUE(done.ok());
  EXPECT_NE(done->find("\"state\":\"done\""), std::string::npos) << *done;
  EXPECT_NE(done->find("\"outcome\":\"Unavailable: ldap down\""), std::string::npos) << *done;
  EXPECT_NE(done->find("\"finished_unix_micros\":1002000000"), std::string::npos) << *done;

  for (size_t i = 0; i < kDirectoryActionsKept; ++i) actions.Begin("import", start);
  EXPECT_EQ(actions.Json(first).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(actions.Json(first + 1).ok());
  EXPECT_TRUE(actions.Json(kDirectoryActionsKept + 1).ok());
  // A late completion of a forgotten action changes nothing.
  actions.Finish(first, Status::Ok(), start);
  EXPECT_EQ(actions.Json(first).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace lifeboat::admin
