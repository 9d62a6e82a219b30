// The queries behind `lifeboat mailbox` and `lifeboat directory`, over a real mailbox projection
// folded into memory and a directory view: address resolution, newest-first merge of folders,
// limits, counts, errors, and the case-insensitive directory search.
#include "appliance/admin/mailbox_queries.h"

#include <gtest/gtest.h>

#include <map>

#include "appliance/admin/directory_queries.h"
#include "modules/mailbox/mailbox_projection.h"
#include "tests/unit/mailbox/in_memory_state.h"

namespace lifeboat::admin {
namespace {

constexpr int64_t kDay0 = int64_t{1'700'000'000} * 1'000'000;
constexpr int64_t kMinute = 60'000'000;

// Serves the "mailbox" projection from an in-memory map, as the runner serves it from LevelDB.
class FakeStateReader final : public eventlog::StateReader {
 public:
  explicit FakeStateReader(const mailbox::testing::InMemoryState& mailbox) : mailbox_(mailbox) {}
  Result<std::optional<std::string>> Get(std::string_view projection,
                                         std::string_view key) const override {
    if (projection != mailbox::MailboxProjection::kName) return std::optional<std::string>();
    return mailbox_.Get(key);
  }
  Result<KeyValues> Scan(std::string_view projection, std::string_view prefix,
                         std::string_view start_after, size_t limit) const override {
    if (projection != mailbox::MailboxProjection::kName) return KeyValues();
    return mailbox_.Scan(prefix, start_after, limit);
  }

 private:
  const mailbox::testing::InMemoryState& mailbox_;
};

events::DirectoryEntry User(const std::string& id, const std::string& sam,
                            const std::string& display_name,
                            const std::vector<std::string>& addresses) {
  events::DirectoryEntry entry;
  entry.set_id(id);
  entry.set_kind(events::DIRECTORY_ENTRY_KIND_USER);
  entry.set_sam_account_name(sam);
  entry.set_display_name(display_name);
  entry.set_primary_address(addresses.front());
  for (const std::string& address : addresses) entry.add_addresses(address);
  return entry;
}

std::string Raw(const std::string& subject) {
  return "From: Bob Chen <bob@outside.example>\r\nTo: alice@corp.example\r\nSubject: " + subject +
         "\r\nMessage-ID: <" + subject + "@outside.example>\r\n\r\nBody of " + subject + "\r\n";
}

class MailboxQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    events::DirectoryEntry alice =
        User("u-alice", "alice", "Alice Martin", {"alice@corp.example", "a.martin@corp.example"});
    alice.add_member_of_ids("g-sales");
    alice.set_mobile("+1 555 0101");
    view_.Upsert(alice);
    view_.Upsert(User("u-bob", "bchen", "Bob Chen", {"bob@corp.example"}));
    events::DirectoryEntry sales = User("g-sales", "sales", "Sales team", {"sales@corp.example"});
    sales.set_kind(events::DIRECTORY_ENTRY_KIND_GROUP);
    sales.add_member_ids("u-alice");
    view_.Upsert(sales);
    Provision("u-alice", "alice@corp.example");
    Provision("u-bob", "bob@corp.example");
  }
  void Apply(events::Event event) {
    event.set_index(++index_);
    bodies_.Record(event);
    ASSERT_TRUE(projection_.Apply(event, state_).ok());
  }
  void Provision(const std::string& mailbox_id, const std::string& address) {
    events::Event event;
    event.set_timestamp_unix_micros(kDay0);
    event.mutable_mailbox_provisioned()->set_mailbox_id(mailbox_id);
    event.mutable_mailbox_provisioned()->set_primary_address(address);
    Apply(event);
  }
  void Receive(const std::string& mail_id, int64_t at_micros, const std::string& mailbox_id,
               const std::string& folder) {
    events::Event event;
    event.set_timestamp_unix_micros(at_micros);
    events::MailReceived* mail = event.mutable_mail_received();
    mail->set_mail_id(mail_id);
    mail->set_mail_from("bob@outside.example");
    mail->set_raw(Raw(mail_id));
    events::MailDelivery* delivery = mail->add_deliveries();
    delivery->set_mailbox_id(mailbox_id);
    delivery->set_folder(folder);
    Apply(event);
  }
  // The message ids of NDJSON lines, in order.
  static std::vector<std::string> Ids(const std::string& lines) {
    std::vector<std::string> ids;
    constexpr std::string_view kKey = "\"message_id\":\"";
    for (size_t at = lines.find(kKey); at != std::string::npos; at = lines.find(kKey, at + 1)) {
      size_t start = at + kKey.size();
      ids.push_back(lines.substr(start, lines.find('"', start) - start));
    }
    return ids;
  }

  directory::DirectoryView view_{{"corp.example"}};
  mailbox::MailboxProjection projection_;
  mailbox::testing::InMemoryState state_;
  mailbox::testing::InMemoryBodies bodies_;
  FakeStateReader reader_{state_};
  MailboxQueries queries_{view_, reader_, bodies_};
  uint64_t index_ = 0;
};

TEST_F(MailboxQueriesTest, ListsEveryFolderNewestFirstUpToTheLimit) {
  Receive("m1", kDay0 + 1 * kMinute, "u-alice", "Inbox");
  Receive("m2", kDay0 + 2 * kMinute, "u-alice", "Sent");
  Receive("m3", kDay0 + 3 * kMinute, "u-alice", "Inbox");
  Receive("m4", kDay0 + 4 * kMinute, "u-alice", "Archive");

  auto all = queries_.Messages("alice@corp.example", "", 50);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(Ids(*all), (std::vector<std::string>{"m4", "m3", "m2", "m1"}));
  EXPECT_NE(all->find("\"folder\":\"Archive\""), std::string::npos);
  EXPECT_NE(all->find("\"from\":\"bob@outside.example\""), std::string::npos) << *all;
  EXPECT_NE(all->find("\"subject\":\"m4\""), std::string::npos);
  EXPECT_NE(all->find("\"received_unix_micros\":" + std::to_string(kDay0 + 4 * kMinute)),
            std::string::npos);
  EXPECT_NE(all->find("\"message_id_header\":\"m4@outside.example\""), std::string::npos);
  EXPECT_NE(all->find("\"event_index\":6"), std::string::npos) << *all;

  auto two = queries_.Messages("alice@corp.example", "", 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(Ids(*two), (std::vector<std::string>{"m4", "m3"}));
  auto inbox = queries_.Messages("alice@corp.example", "Inbox", 50);
  ASSERT_TRUE(inbox.ok());
  EXPECT_EQ(Ids(*inbox), (std::vector<std::string>{"m3", "m1"}));
  EXPECT_EQ(queries_.Messages("alice@corp.example", "Trash", 50).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(queries_.Messages("alice@corp.example", "", 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(queries_.Messages("alice@corp.example", "", kMailboxMessagesMax + 1).status().code(),
            StatusCode::kInvalidArgument);
}

// The next_after cursor of an NDJSON page, "" when the page has none.
std::string NextAfter(const std::string& lines) {
  constexpr std::string_view kKey = "{\"next_after\":\"";
  size_t at = lines.find(kKey);
  if (at == std::string::npos) return "";
  size_t start = at + kKey.size();
  return lines.substr(start, lines.find('"', start) - start);
}

TEST_F(MailboxQueriesTest, PagesWithTheAfterCursorVisitEveryMessageOnceInOrder) {
  // Three folders, and messages received in the same microsecond (ordered by log index).
  Receive("m1", kDay0 + 1 * kMinute, "u-alice", "Inbox");
  Receive("m2", kDay0 + 2 * kMinute, "u-alice", "Sent");
  Receive("m3", kDay0 + 2 * kMinute, "u-alice", "Inbox");
  Receive("m4", kDay0 + 3 * kMinute, "u-alice", "Archive");
  Receive("m5", kDay0 + 3 * kMinute, "u-alice", "Inbox");
  Receive("m6", kDay0 + 4 * kMinute, "u-alice", "Sent");
  const std::vector<std::string> newest_first = {"m6", "m5", "m4", "m3", "m2", "m1"};
  for (uint64_t page_size : std::vector<uint64_t>{1, 2, 3, 4, 6}) {
    std::vector<std::string> seen;
    std::string after;
    for (int page = 0; page < 10; ++page) {
      auto lines = queries_.Messages("alice@corp.example", "", page_size, after);
      ASSERT_TRUE(lines.ok()) << lines.status().ToString();
      std::vector<std::string> ids = Ids(*lines);
      EXPECT_LE(ids.size(), page_size);
      seen.insert(seen.end(), ids.begin(), ids.end());
      after = NextAfter(*lines);
      if (after.empty()) break;
      EXPECT_EQ(after, ids.back()) << "page size " << page_size;
    }
    EXPECT_EQ(seen, newest_first) << "page size " << page_size;
  }
  // A full last page says nothing more remains; one folder pages on its own.
  auto all = queries_.Messages("alice@corp.example", "", 6);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(NextAfter(*all), "");
  auto inbox = queries_.Messages("alice@corp.example", "Inbox", 2, "m5");
  ASSERT_TRUE(inbox.ok());
  EXPECT_EQ(Ids(*inbox), (std::vector<std::string>{"m3", "m1"}));
  EXPECT_EQ(NextAfter(*inbox), "");
  auto first_inbox = queries_.Messages("alice@corp.example", "Inbox", 2);
  ASSERT_TRUE(first_inbox.ok());
  EXPECT_EQ(NextAfter(*first_inbox), "m3");
}

TEST_F(MailboxQueriesTest, AnUnknownCursorIsInvalidArgument) {
  Receive("m1", kDay0 + kMinute, "u-alice", "Inbox");
  Receive("m2", kDay0 + kMinute, "u-bob", "Inbox");
  auto unknown = queries_.Messages("alice@corp.example", "", 10, "m9");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  // Another mailbox's message is no cursor for this one.
  EXPECT_EQ(queries_.Messages("alice@corp.example", "", 10, "m2").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(queries_.Messages("alice@corp.example", "", 10, "m 1").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckAfterCursor("n1-66208dd47d3a1fb090006.1").ok());
  EXPECT_FALSE(CheckAfterCursor("").ok());
  EXPECT_FALSE(CheckAfterCursor("caf\xC3\xA9").ok());
  auto after_last = queries_.Messages("alice@corp.example", "", 10, "m1");
  ASSERT_TRUE(after_last.ok());
  EXPECT_EQ(*after_last, "");
}

TEST_F(MailboxQueriesTest, ResolvesAliasesIdsAndUnprovisionedMailboxes) {
  Receive("m1", kDay0 + kMinute, "u-alice", "Inbox");
  Receive("m2", kDay0 + kMinute, "u-ghost", "Inbox");  // an id nobody provisioned
  EXPECT_EQ(queries_.ResolveMailbox("A.Martin@CORP.example").value(), "u-alice");
  EXPECT_EQ(queries_.ResolveMailbox("u-alice").value(), "u-alice");
  EXPECT_EQ(queries_.ResolveMailbox("u-ghost").value(), "u-ghost");
  auto ghost = queries_.Messages("u-ghost", "", 10);
  ASSERT_TRUE(ghost.ok());
  EXPECT_EQ(Ids(*ghost), (std::vector<std::string>{"m2"}));
  EXPECT_EQ(queries_.ResolveMailbox("sales@corp.example").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(queries_.ResolveMailbox("carol@corp.example").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(queries_.ResolveMailbox("").status().code(), StatusCode::kInvalidArgument);
  auto bob = queries_.Messages("bob@corp.example", "", 10);
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(*bob, "");
}

TEST_F(MailboxQueriesTest, ShowsOneMessageAndItsRawBytes) {
  Receive("m1", kDay0 + kMinute, "u-alice", "Inbox");
  auto detail = queries_.Message("alice@corp.example", "m1");
  ASSERT_TRUE(detail.ok()) << detail.status().ToString();
  EXPECT_NE(detail->find("\"to\":[{\"name\":\"\",\"address\":\"alice@corp.example\"}]"),
            std::string::npos)
      << *detail;
  EXPECT_NE(detail->find("\"mail_from\":\"bob@outside.example\""), std::string::npos);
  EXPECT_NE(detail->find("\"from_name\":\"Bob Chen\""), std::string::npos);
  auto raw = queries_.RawMessage("u-alice", "m1");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, Raw("m1"));
  EXPECT_EQ(queries_.Message("alice@corp.example", "m9").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(queries_.RawMessage("bob@corp.example", "m1").status().code(), StatusCode::kNotFound);
}

TEST_F(MailboxQueriesTest, ListsMailboxesWithMessageCounts) {
  Receive("m1", kDay0 + kMinute, "u-alice", "Inbox");
  Receive("m2", kDay0 + 2 * kMinute, "u-alice", "Sent");
  auto mailboxes = queries_.Mailboxes(10);
  ASSERT_TRUE(mailboxes.ok());
  EXPECT_EQ(*mailboxes,
            "{\"mailbox_id\":\"u-alice\",\"primary_address\":\"alice@corp.example\","
            "\"provisioned\":true,\"folders\":[\"Inbox\",\"Sent\"],\"message_count\":2,"
            "\"message_count_capped\":false,\"unprovisioned_deliveries\":0,"
            "\"created_unix_micros\":" +
                std::to_string(kDay0) +
                "}\n"
                "{\"mailbox_id\":\"u-bob\",\"primary_address\":\"bob@corp.example\","
                "\"provisioned\":true,\"folders\":[\"Inbox\",\"Sent\"],\"message_count\":0,"
                "\"message_count_capped\":false,\"unprovisioned_deliveries\":0,"
                "\"created_unix_micros\":" +
                std::to_string(kDay0) + "}\n");
  auto first = queries_.Mailboxes(1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->find("u-bob"), std::string::npos);
  EXPECT_FALSE(queries_.Mailboxes(0).ok());
}

TEST_F(MailboxQueriesTest, MessageCountStopsAtItsBound) {
  for (uint64_t i = 0; i <= kMailboxCountMessagesMax; ++i) {
    Receive("m" + std::to_string(i), kDay0 + static_cast<int64_t>(i) * kMinute, "u-bob", "Inbox");
  }
  auto mailboxes = queries_.Mailboxes(kMailboxesMax);
  ASSERT_TRUE(mailboxes.ok());
  EXPECT_NE(mailboxes->find("\"mailbox_id\":\"u-bob\""), std::string::npos);
  EXPECT_NE(mailboxes->find("\"message_count\":" + std::to_string(kMailboxCountMessagesMax) +
                            ",\"message_count_capped\":true"),
            std::string::npos)
      << *mailboxes;
  EXPECT_NE(mailboxes->find("\"message_count\":0,\"message_count_capped\":false"),
            std::string::npos);
}

TEST_F(MailboxQueriesTest, DirectoryShowResolvesGroupsAndSearchIgnoresCase) {
  auto alice = DirectoryEntryQuery(view_, "a.martin@corp.example");
  ASSERT_TRUE(alice.ok()) << alice.status().ToString();
  EXPECT_NE(alice->find("\"id\":\"u-alice\""), std::string::npos);
  EXPECT_NE(alice->find("\"mobile\":\"+1 555 0101\""), std::string::npos);
  EXPECT_NE(alice->find("\"disabled\":false"), std::string::npos);
  EXPECT_NE(alice->find("\"addresses\":[\"alice@corp.example\",\"a.martin@corp.example\"]"),
            std::string::npos);
  EXPECT_NE(alice->find("\"groups\":[{\"id\":\"g-sales\",\"display_name\":\"Sales team\","
                        "\"primary_address\":\"sales@corp.example\"}]"),
            std::string::npos)
      << *alice;
  EXPECT_TRUE(DirectoryEntryQuery(view_, "u-bob").ok());
  EXPECT_EQ(DirectoryEntryQuery(view_, "nobody@corp.example").status().code(),
            StatusCode::kNotFound);

  auto by_name = DirectorySearchQuery(view_, "MARTIN", 10);
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(*by_name,
            "{\"id\":\"u-alice\",\"kind\":\"user\",\"primary_address\":\"alice@corp.example\","
            "\"display_name\":\"Alice Martin\",\"sam_account_name\":\"alice\","
            "\"disabled\":false}\n");
  auto by_account = DirectorySearchQuery(view_, "bCh", 10);
  ASSERT_TRUE(by_account.ok());
  EXPECT_NE(by_account->find("\"id\":\"u-bob\""), std::string::npos);
  auto by_domain = DirectorySearchQuery(view_, "@corp.EXAMPLE", 10);
  ASSERT_TRUE(by_domain.ok());
  EXPECT_EQ(std::count(by_domain->begin(), by_domain->end(), '\n'), 3);
  auto limited = DirectorySearchQuery(view_, "corp", 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(std::count(limited->begin(), limited->end(), '\n'), 2);
  auto none = DirectorySearchQuery(view_, "zebra", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
  EXPECT_EQ(DirectorySearchQuery(view_, "", 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DirectorySearchQuery(view_, std::string(kDirectorySearchTextBytesMax + 1, 'a'), 10)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(DirectorySearchQuery(view_, "a", 0).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lifeboat::admin
