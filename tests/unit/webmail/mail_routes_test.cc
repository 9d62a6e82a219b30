// The mail routes of the webmail core (mail_routes.h), driven as the evhttp driver drives them:
// Handle, run the job over a mailbox projection held in memory, fold the events it proposes.
// Alice and Bob each have mail; every route is tried with Bob's ids from Alice's session.
#include "modules/webmail/mail_routes.h"

#include <gtest/gtest.h>

#include <cctype>
#include <map>

#include "modules/auth/auth_projection.h"
#include "modules/mailbox/mailbox_projection.h"
#include "modules/webmail/handler.h"
#include "modules/webmail/mail_limits.h"
#include "simulator/manual_env.h"
#include "tests/unit/eventlog/map_projection_state.h"
#include "tests/unit/mailbox/in_memory_state.h"

namespace lifeboat::webmail {
namespace {

constexpr std::string_view kOrigin = "https://mail.example.com";
constexpr std::string_view kPassword = "correct horse battery";
constexpr int64_t kDay0 = int64_t{1'700'000'000} * 1'000'000;

std::string PlainMail(const std::string& from, const std::string& subject,
                      const std::string& body) {
  return "From: " + from + "\r\nTo: someone@example.com\r\nSubject: " + subject +
         "\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <" + subject +
         "@example.com>\r\n\r\n" + body + "\r\n";
}

// A text part, an HTML part and one attachment whose name tries to climb out of a folder.
std::string MailWithAttachment() {
  return "From: Mallory <mallory@evil.example>\r\nTo: alice@example.com\r\nSubject: invoice\r\n"
         "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=b1\r\n\r\n"
         "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease pay.\r\n"
         "--b1\r\nContent-Type: text/html\r\n\r\n<p>Please pay.</p>\r\n"
         "--b1\r\nContent-Type: text/html\r\n"
         "Content-Disposition: attachment; filename=\"../../etc/in\\\"v.html\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\nPHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\r\n"
         "--b1--\r\n";
}

class MailRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddUser("u-alice", "alice@example.com", "Alice Martin", "Finance");
    AddUser("u-bob", "bob@example.com", "Bob Durand", "Sales");
    for (int i = 0; i < 3; ++i) {
      Receive("a" + std::to_string(i),
              PlainMail("Carol <carol@example.net>", "hello" + std::to_string(i),
                        "Body " + std::to_string(i)),
              kDay0 + i, {{"u-alice", "Inbox"}});
    }
    Receive("attached", MailWithAttachment(), kDay0 + 10, {{"u-alice", "Inbox"}});
    Receive("bob-secret", PlainMail("Dave <dave@example.net>", "secret", "for Bob only"),
            kDay0 + 11, {{"u-bob", "Inbox"}});
    alice_ = LogIn("alice@example.com");
  }

  void AddUser(const std::string& id, const std::string& address, const std::string& name,
               const std::string& department) {
    events::DirectoryEntry entry;
    entry.set_id(id);
    entry.set_kind(events::DIRECTORY_ENTRY_KIND_USER);
    entry.set_primary_address(address);
    entry.add_addresses(address);
    entry.set_display_name(name);
    entry.set_department(department);
    entry.set_telephone_number("+33 1 23 45 67 89");
    directory_.Upsert(entry);
    names_[address] = id;
  }

  void Fold(events::Event event) {
    event.set_index(++index_);
    if (event.timestamp_unix_micros() == 0) event.set_timestamp_unix_micros(kDay0 + 100);
    bodies_.Record(event);
    ASSERT_TRUE(mailbox_projection_.Apply(event, mailbox_state_).ok());
  }

  void Receive(const std::string& mail_id, const std::string& raw, int64_t at_micros,
               const std::vector<std::pair<std::string, std::string>>& deliveries) {
    events::Event event;
    event.set_timestamp_unix_micros(at_micros);
    events::MailReceived* mail = event.mutable_mail_received();
    mail->set_mail_id(mail_id);
    mail->set_raw(raw);
    for (const auto& [mailbox_id, folder] : deliveries) {
      events::MailDelivery* delivery = mail->add_deliveries();
      delivery->set_mailbox_id(mailbox_id);
      delivery->set_folder(folder);
    }
    Fold(event);
  }

  struct Session {
    std::string id;
    std::string csrf;
  };

  Session LogIn(const std::string& user) {
    HttpRequest request = Post("/api/login", "{\"user\":\"" + user + "\",\"password\":\"" +
                                                 std::string(kPassword) + "\"}");
    Handled handled = handler_.Handle(request);
    auth::LoginRequest login = std::get<StartLogin>(handled).request;
    login.user_id = names_.at(user);
    EXPECT_FALSE(core_.Admit(login).has_value());
    auth::LoginStep step = core_.AfterDirectory(login, auth::DirectoryAnswer::kBindAccepted);
    auth::LoginOutcome outcome;
    if (auto* done = std::get_if<auth::LoginOutcome>(&step)) {
      outcome = *done;
    } else if (auto* hash = std::get_if<auth::HashJob>(&step)) {
      outcome = core_.AfterHash(login, hash->Run());
    } else {
      outcome = core_.AfterVerify(login, std::get<auth::VerifyJob>(step).Run());
    }
    Reply reply = handler_.LoginReply(outcome);
    for (events::Event event : reply.events) {
      event.set_timestamp_unix_micros(env_.WallNow().count());
      EXPECT_TRUE(auth_projection_.Apply(event, auth_state_).ok());
    }
    auth_projection_.OnBatchCommitted();
    EXPECT_EQ(reply.response.status, 200) << reply.response.body;
    std::string_view cookie = *reply.response.Header("Set-Cookie");
    cookie.remove_prefix(auth::kSessionCookieName.size() + 1);
    Session session;
    session.id = std::string(cookie.substr(0, cookie.find(';')));
    session.csrf = auth::CsrfToken(session.id);
    return session;
  }

  static HttpRequest Post(std::string target, std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.target = std::move(target);
    request.body = std::move(body);
    request.peer_address = "198.51.100.7";
    request.headers = {{"Origin", std::string(kOrigin)}, {"Content-Type", "application/json"}};
    return request;
  }
  HttpRequest AlicePost(std::string target, std::string body) {
    HttpRequest request = Post(std::move(target), std::move(body));
    request.headers.emplace_back("Cookie", std::string(auth::kSessionCookieName) + "=" + alice_.id);
    request.headers.emplace_back("X-CSRF-Token", alice_.csrf);
    return request;
  }
  HttpRequest AliceGet(std::string target) {
    HttpRequest request;
    request.method = "GET";
    request.target = std::move(target);
    request.peer_address = "198.51.100.7";
    request.headers.emplace_back("Cookie", std::string(auth::kSessionCookieName) + "=" + alice_.id);
    return request;
  }

  // Handle, run the job, fold its events into the mailbox projection.
  HttpResponse Drive(const HttpRequest& request) {
    Handled handled = handler_.Handle(request);
    Reply reply;
    if (auto* job = std::get_if<StartMailJob>(&handled)) {
      reply = job->job(MailStore{reader_, directory_});
    } else {
      reply = std::get<Reply>(std::move(handled));
    }
    last_events_ = reply.events;
    for (const events::Event& event : reply.events) Fold(event);
    return reply.response;
  }

  std::optional<mailbox::MessageEntry> Entry(const std::string& mailbox_id, const std::string& id) {
    auto entry = reader_.GetMessage(mailbox_id, id);
    if (!entry.ok()) return std::nullopt;
    return *entry;
  }

  simulator::ManualEnv env_{7};
  auth::AuthView auth_view_;
  auth::AuthProjection auth_projection_{auth_view_};
  eventlog::testing::MapProjectionState auth_state_;
  auth::LoginThrottle throttle_;
  auth::LoginCore core_{env_, auth_view_, throttle_};
  auth::SessionActivity activity_;
  WebmailHandler handler_{env_, auth_view_, activity_, WebmailConfig{std::string(kOrigin)}};
  directory::DirectoryView directory_{{"example.com"}};
  std::map<std::string, std::string> names_;
  mailbox::MailboxProjection mailbox_projection_;
  mailbox::testing::InMemoryState mailbox_state_;
  mailbox::testing::InMemoryBodies bodies_;
  mailbox::MailboxReader reader_{mailbox_state_, &bodies_};
  uint64_t index_ = 0;
  Session alice_;
  std::vector<events::Event> last_events_;
};

TEST_F(MailRoutesTest, FoldersListInboxAndSentFirstWithCounts) {
  HttpResponse response = Drive(AliceGet("/api/folders"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body,
            "{\"folders\":[{\"name\":\"Inbox\",\"total\":4,\"unread\":4},"
            "{\"name\":\"Sent\",\"total\":0,\"unread\":0},"
            "{\"name\":\"Trash\",\"total\":0,\"unread\":0}]}");
}

TEST_F(MailRoutesTest, MessagesPageNewestFirstWithACursor) {
  HttpResponse first = Drive(AliceGet("/api/messages?folder=Inbox&limit=3"));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find("\"id\":\"attached\""), std::string::npos);
  EXPECT_LT(first.body.find("\"attached\""), first.body.find("\"a2\""));
  EXPECT_NE(first.body.find("\"next\":\"a1\""), std::string::npos) << first.body;
  EXPECT_NE(first.body.find("\"date\":\"2023-11-14T22:13:20Z\""), std::string::npos);
  HttpResponse second = Drive(AliceGet("/api/messages?folder=Inbox&limit=3&before=a1"));
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_NE(second.body.find("\"id\":\"a0\""), std::string::npos);
  EXPECT_EQ(second.body.find("\"id\":\"a1\""), std::string::npos);
  EXPECT_NE(second.body.find("\"next\":\"\""), std::string::npos);
  // Bob's message is no cursor of Alice's, and limits are named.
  EXPECT_EQ(Drive(AliceGet("/api/messages?before=bob-secret")).status, 400);
  EXPECT_EQ(Drive(AliceGet("/api/messages?limit=101")).status, 400);
  EXPECT_EQ(Drive(AliceGet("/api/messages?limit=x")).status, 400);
  EXPECT_EQ(Drive(AliceGet("/api/messages?folder=%ZZ")).status, 400);
}

TEST_F(MailRoutesTest, AMessageShowsItsTextAndAttachments) {
  HttpResponse response = Drive(AliceGet("/api/messages/attached"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_NE(response.body.find("\"text\":\"Please pay."), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("\"has_html\":true"), std::string::npos);
  EXPECT_NE(response.body.find("\"content_type\":\"text/html\""), std::string::npos);
  EXPECT_NE(response.body.find("\"folder\":\"Inbox\""), std::string::npos);
}

TEST_F(MailRoutesTest, AnAttachmentIsServedAloneUnderASafeNameAndANonRunnableType) {
  HttpResponse response = Drive(AliceGet("/api/messages/attached/attachments/0"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "<script>alert(1)</script>");
  EXPECT_EQ(response.Header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(response.Header("Content-Disposition"),
            "attachment; filename=\"in_v.html\"; filename*=UTF-8''in%22v.html");
  EXPECT_EQ(response.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.Header("Content-Security-Policy"), "default-src 'none'; sandbox");
  EXPECT_EQ(Drive(AliceGet("/api/messages/attached/attachments/1")).status, 404);
  EXPECT_EQ(Drive(AliceGet("/api/messages/attached/attachments/..")).status, 400);
  EXPECT_EQ(Drive(AliceGet("/api/messages/attached/attachments/-1")).status, 404);
}

TEST_F(MailRoutesTest, AnotherUsersMessageIsNotFoundOnEveryRoute) {
  for (const char* target :
       {"/api/messages/bob-secret", "/api/messages/bob-secret/attachments/0"}) {
    HttpResponse response = Drive(AliceGet(target));
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(response.body.find("Bob"), std::string::npos);
  }
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/api/messages/bob-secret/flags", "{\"seen\":true}"},
           {"/api/messages/bob-secret/move", "{\"folder\":\"Trash\"}"},
           {"/api/messages/bob-secret/delete", "{}"},
           {"/api/send", "{\"to\":[\"x@example.net\"],\"in_reply_to\":\"bob-secret\"}"}}) {
    HttpResponse response = Drive(AlicePost(target, body));
    EXPECT_EQ(response.status, 404) << target << " " << response.body;
    EXPECT_TRUE(last_events_.empty()) << target;
  }
  std::optional<mailbox::MessageEntry> bobs = Entry("u-bob", "bob-secret");
  ASSERT_TRUE(bobs.has_value());
  EXPECT_EQ(bobs->folder(), "Inbox");
  EXPECT_TRUE(bobs->flags().empty());
}

TEST_F(MailRoutesTest, FlagsMoveAndDeleteAreEvents) {
  ASSERT_EQ(Drive(AlicePost("/api/messages/a0/flags", "{\"seen\":true,\"flagged\":true}")).status,
            200);
  ASSERT_EQ(last_events_.size(), 1u);
  EXPECT_TRUE(last_events_[0].has_message_flags_changed());
  EXPECT_EQ(Entry("u-alice", "a0")->flags_size(), 2);
  ASSERT_EQ(Drive(AlicePost("/api/messages/a0/flags", "{\"flagged\":false}")).status, 200);
  EXPECT_EQ(Entry("u-alice", "a0")->flags_size(), 1);

  ASSERT_EQ(Drive(AlicePost("/api/messages/a0/move", "{\"folder\":\"Archive\"}")).status, 200);
  EXPECT_EQ(Entry("u-alice", "a0")->folder(), "Archive");
  EXPECT_EQ(Drive(AlicePost("/api/messages/a0/move", "{\"folder\":\"Nowhere\"}")).status, 400);
  EXPECT_EQ(Drive(AlicePost("/api/messages/a0/move", "{\"folder\":\"\"}")).status, 400);

  ASSERT_EQ(Drive(AlicePost("/api/messages/a0/delete", "{}")).status, 200);
  EXPECT_EQ(Entry("u-alice", "a0")->folder(), "Trash");
  ASSERT_EQ(Drive(AlicePost("/api/messages/a0/delete", "{}")).status, 200);
  EXPECT_TRUE(last_events_.at(0).has_messages_purged());
  EXPECT_FALSE(Entry("u-alice", "a0").has_value());
  EXPECT_EQ(Drive(AliceGet("/api/messages/a0")).status, 404);
}

TEST_F(MailRoutesTest, StateChangesNeedTheCsrfTokenAndWellFormedJson) {
  HttpRequest no_token = AlicePost("/api/messages/a0/flags", "{\"seen\":true}");
  no_token.headers.pop_back();
  EXPECT_EQ(Drive(no_token).status, 403);
  EXPECT_EQ(Drive(AlicePost("/api/messages/a0/flags", "{\"seen\":")).status, 400);
  EXPECT_EQ(Drive(AlicePost("/api/messages/a0/flags", "{\"seen\":\"yes\"}")).status, 400);
  EXPECT_EQ(Drive(AlicePost("/api/messages/a0/flags", "{}")).status, 400);
  EXPECT_EQ(Drive(AlicePost("/api/messages/a0/delete", "{\"all\":true}")).status, 400);
  EXPECT_EQ(Drive(AliceGet("/api/messages/a0/flags")).status, 405);
  EXPECT_TRUE(Entry("u-alice", "a0")->flags().empty());
  EXPECT_EQ(Entry("u-alice", "a0")->folder(), "Inbox");
}

TEST_F(MailRoutesTest, NoExportRouteExists) {
  for (const char* target :
       {"/api/export", "/api/messages.mbox", "/api/messages/a0/raw", "/api/messages/a0/source",
        "/api/folders/Inbox/export", "/api/messages/a0/attachments"}) {
    EXPECT_EQ(Drive(AliceGet(target)).status, 404) << target;
  }
}

TEST_F(MailRoutesTest, SendingFilesInSentAndLocalInboxesWithTheSessionsOwnFrom) {
  std::string body =
      "{\"to\":[\"bob@example.com\",\"partner@example.net\"],\"subject\":\"Plan\","
      "\"text\":\"See attached.\",\"in_reply_to\":\"a1\",\"attachments\":[{\"name\":"
      "\"plan.txt\",\"content_type\":\"text/plain\",\"data_base64\":\"SGVsbG8=\"}]}";
  HttpResponse response = Drive(AlicePost("/api/send", body));
  ASSERT_EQ(response.status, 202) << response.body;
  ASSERT_EQ(last_events_.size(), 1u);
  const events::MailReceived& mail = last_events_[0].mail_received();
  EXPECT_EQ(mail.source(), events::MAIL_SOURCE_WEBMAIL);
  EXPECT_EQ(mail.mail_from(), "alice@example.com");
  EXPECT_EQ(std::vector<std::string>(mail.rcpt_to().begin(), mail.rcpt_to().end()),
            (std::vector<std::string>{"bob@example.com", "partner@example.net"}));
  EXPECT_NE(mail.raw().find("From: Alice Martin <alice@example.com>\r\n"), std::string::npos)
      << mail.raw();
  EXPECT_NE(mail.raw().find("In-Reply-To: <hello1@example.com>"), std::string::npos);
  std::string lower = mail.raw();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(lower.find("message-id: <" + mail.mail_id() + "@example.com>"), std::string::npos)
      << mail.raw();
  EXPECT_NE(mail.raw().find("SGVsbG8="), std::string::npos);
  EXPECT_NE(response.body.find(mail.mail_id()), std::string::npos);
  std::optional<mailbox::MessageEntry> sent = Entry("u-alice", mail.mail_id());
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->folder(), "Sent");
  EXPECT_EQ(sent->metadata().attachments_size(), 1);
  ASSERT_TRUE(Entry("u-bob", mail.mail_id()).has_value());
  EXPECT_EQ(Entry("u-bob", mail.mail_id())->folder(), "Inbox");
}

TEST_F(MailRoutesTest, SendRefusesAForgedFromAndBadRecipients) {
  EXPECT_EQ(
      Drive(AlicePost("/api/send", "{\"to\":[\"x@example.net\"],\"from\":\"bob@example.com\"}"))
          .status,
      400);
  EXPECT_EQ(Drive(AlicePost("/api/send", "{\"to\":[]}")).status, 400);
  EXPECT_EQ(Drive(AlicePost("/api/send", "{\"to\":[\"x@example.net>\\r\\nBcc: y@z\"]}")).status,
            400);
  EXPECT_EQ(
      Drive(AlicePost("/api/send", "{\"to\":[\"a@b\"],\"subject\":\"x\\r\\nBcc: y@z\"}")).status,
      400);
  std::string many = "{\"to\":[";
  for (size_t i = 0; i <= kSendRecipientsMax; ++i) {
    many += (i ? ",\"" : "\"") + std::to_string(i) + "@example.net\"";
  }
  EXPECT_EQ(Drive(AlicePost("/api/send", many + "]}")).status, 400);
  EXPECT_TRUE(last_events_.empty());
}

TEST_F(MailRoutesTest, TheDirectoryFindsColleagues) {
  HttpResponse response = Drive(AliceGet("/api/directory?q=sales"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body,
            "{\"people\":[{\"name\":\"Bob Durand\",\"email\":\"bob@example.com\",\"title\":\"\","
            "\"department\":\"Sales\",\"phone\":\"+33 1 23 45 67 89\"}]}");
  EXPECT_EQ(Drive(AliceGet("/api/directory?q=")).status, 400);
}

TEST_F(MailRoutesTest, MailRoutesNeedASession) {
  HttpRequest request = AliceGet("/api/folders");
  request.headers.clear();
  EXPECT_EQ(Drive(request).status, 401);
}

}  // namespace
}  // namespace lifeboat::webmail
