// The mailbox projection folded over an in-memory state, read back through MailboxReader: bodies
// stored once, reference counts, purge, flags, moves, newest-first paging, replay.
#include "modules/mailbox/mailbox_projection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "modules/mailbox/journal.h"
#include "modules/mailbox/mailbox_keys.h"
#include "modules/mailbox/mailbox_reader.h"
#include "tests/unit/mailbox/in_memory_state.h"

namespace lifeboat::mailbox {
namespace {

using testing::InMemoryState;

constexpr int64_t kDay0 = int64_t{1'700'000'000} * 1'000'000;

std::string RawMessage(const std::string& subject) {
  return "From: Alice <alice@example.com>\r\nTo: team@example.com\r\nSubject: " + subject +
         "\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <" + subject +
         "@example.com>\r\n\r\nBody of " + subject + "\r\n";
}

class MailboxProjectionTest : public ::testing::Test {
 protected:
  void Apply(events::Event event) {
    event.set_index(++index_);
    events_.push_back(event);
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
    Apply(event);
  }
  void Purge(const std::string& mailbox_id, const std::vector<std::string>& ids) {
    events::Event event;
    event.set_timestamp_unix_micros(kDay0);
    event.mutable_messages_purged()->set_mailbox_id(mailbox_id);
    for (const std::string& id : ids) event.mutable_messages_purged()->add_message_ids(id);
    Apply(event);
  }
  std::vector<std::string> FolderIds(const std::string& mailbox_id, const std::string& folder) {
    Result<FolderPage> page = reader_.ListFolder(mailbox_id, folder, "", kListPageEntriesMax);
    EXPECT_TRUE(page.ok());
    std::vector<std::string> ids;
    for (const MessageEntry& entry : page->messages) ids.push_back(entry.message_id());
    return ids;
  }

  MailboxProjection projection_;
  InMemoryState state_;
  testing::InMemoryBodies bodies_;
  MailboxReader reader_{state_, &bodies_};
  std::vector<events::Event> events_;
  uint64_t index_ = 0;
};

TEST_F(MailboxProjectionTest, ProvisioningCreatesInboxAndSent) {
  Provision("u1", "alice@example.com");
  Result<MailboxRecord> record = reader_.GetMailbox("u1");
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->provisioned());
  EXPECT_EQ(record->primary_address(), "alice@example.com");
  ASSERT_EQ(record->folders_size(), 2);
  EXPECT_EQ(record->folders(0), "Inbox");
  EXPECT_EQ(record->folders(1), "Sent");
  EXPECT_EQ(reader_.GetMailbox("nobody").status().code(), StatusCode::kNotFound);
}

// The refs/ record of one message's body.
BodyRefs RefsOf(const InMemoryState& state, const std::string& sha256_hex) {
  BodyRefs refs;
  EXPECT_TRUE(refs.ParseFromString(state.rows().at(BodyRefsKey(sha256_hex))));
  return refs;
}

TEST_F(MailboxProjectionTest, BodyIsStoredOnceForThreeRecipients) {
  for (const char* id : {"u1", "u2", "u3"}) Provision(id, std::string(id) + "@example.com");
  std::string raw = RawMessage("hello");
  Receive("m1", raw, kDay0 + 1, {{"u1", "Inbox"}, {"u2", "Inbox"}, {"u3", "Inbox"}});

  // One body record, pointing at the event that carries the bytes; no copy of them in state.
  EXPECT_EQ(state_.CountWithPrefix("refs/"), 1u);
  EXPECT_EQ(state_.CountWithPrefix("body/"), 0u);
  EXPECT_EQ(state_.CountWithPrefix("msg/"), 3u);
  BodyRefs refs = RefsOf(state_, reader_.GetMessage("u1", "m1")->body_sha256_hex());
  EXPECT_EQ(refs.count(), 3u);
  EXPECT_EQ(refs.event_index(), index_);
  EXPECT_EQ(refs.size_bytes(), raw.size());
  for (const char* id : {"u1", "u2", "u3"}) {
    Result<std::string> stored = reader_.GetRawMessage(id, "m1");
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(*stored, raw);
    Result<MessageEntry> entry = reader_.GetMessage(id, "m1");
    ASSERT_TRUE(entry.ok());
    EXPECT_EQ(entry->metadata().subject(), "hello");
    EXPECT_EQ(entry->folder(), "Inbox");
    EXPECT_EQ(entry->received_unix_micros(), kDay0 + 1);
  }
}

TEST_F(MailboxProjectionTest, PurgeDecrementsAndDeletesTheBodyAtZero) {
  for (const char* id : {"u1", "u2"}) Provision(id, std::string(id) + "@example.com");
  Receive("m1", RawMessage("shared"), kDay0, {{"u1", "Inbox"}, {"u2", "Inbox"}});
  std::string hex = reader_.GetMessage("u1", "m1")->body_sha256_hex();

  Purge("u1", {"m1"});
  EXPECT_EQ(reader_.GetMessage("u1", "m1").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(FolderIds("u1", "Inbox").empty());
  EXPECT_EQ(RefsOf(state_, hex).count(), 1u);
  EXPECT_TRUE(reader_.GetRawMessage("u2", "m1").ok());

  Purge("u2", {"m1"});
  EXPECT_FALSE(state_.rows().contains(BodyRefsKey(hex)));
  EXPECT_EQ(state_.CountWithPrefix("id/"), 0u);
  Purge("u2", {"m1"});  // purging twice is harmless
}

TEST_F(MailboxProjectionTest, SameBodyInTwoMailsSharesOneBody) {
  Provision("u1", "a@example.com");
  std::string raw = RawMessage("dup");
  Receive("m1", raw, kDay0, {{"u1", "Inbox"}});
  const uint64_t first_event = index_;
  Receive("m2", raw, kDay0 + 5, {{"u1", "Inbox"}});
  std::string hex = reader_.GetMessage("u1", "m2")->body_sha256_hex();
  EXPECT_EQ(state_.CountWithPrefix("refs/"), 1u);
  EXPECT_EQ(RefsOf(state_, hex).count(), 2u);
  // Both entries read the bytes of the first event that brought them.
  EXPECT_EQ(RefsOf(state_, hex).event_index(), first_event);
  bodies_.Forget(index_);
  EXPECT_EQ(*reader_.GetRawMessage("u1", "m2"), raw);
  Purge("u1", {"m1"});
  EXPECT_EQ(RefsOf(state_, hex).count(), 1u);
  Purge("u1", {"m2"});
  EXPECT_EQ(state_.CountWithPrefix("refs/"), 0u);
}

TEST_F(MailboxProjectionTest, RawBytesAreCheckedAgainstTheirHash) {
  Provision("u1", "a@example.com");
  Receive("m1", RawMessage("checked"), kDay0, {{"u1", "Inbox"}});
  bodies_.Replace(index_, RawMessage("tampered"));
  EXPECT_EQ(reader_.GetRawMessage("u1", "m1").status().code(), StatusCode::kCorruption);
  bodies_.Forget(index_);
  Result<std::string> gone = reader_.GetRawMessage("u1", "m1");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("m1"), std::string::npos) << gone.status().message();
}

TEST_F(MailboxProjectionTest, BodiesWrittenInStateBeforeStillRead) {
  // State written before bodies stayed in the log: bytes under body/<hex>, no event_index.
  Provision("u1", "a@example.com");
  std::string raw = RawMessage("legacy");
  Receive("m1", raw, kDay0, {{"u1", "Inbox"}});
  std::string hex = reader_.GetMessage("u1", "m1")->body_sha256_hex();
  BodyRefs refs = RefsOf(state_, hex);
  refs.clear_event_index();
  state_.Put(BodyRefsKey(hex), refs.SerializeAsString());
  state_.Put(BodyKey(hex), raw);
  bodies_.Forget(index_);
  EXPECT_EQ(*reader_.GetRawMessage("u1", "m1"), raw);
  Purge("u1", {"m1"});
  EXPECT_FALSE(state_.rows().contains(BodyKey(hex)));
  EXPECT_FALSE(state_.rows().contains(BodyRefsKey(hex)));
}

TEST_F(MailboxProjectionTest, MailWithoutLogIndexIsRefused) {
  Provision("u1", "a@example.com");
  events::Event event;
  event.set_timestamp_unix_micros(kDay0);
  event.mutable_mail_received()->set_mail_id("m1");
  event.mutable_mail_received()->set_raw(RawMessage("x"));
  event.mutable_mail_received()->add_deliveries()->set_mailbox_id("u1");
  EXPECT_EQ(projection_.Apply(event, state_).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(state_.CountWithPrefix("msg/"), 0u);
}

TEST_F(MailboxProjectionTest, FlagsAreAddedAndRemovedAsASet) {
  Provision("u1", "a@example.com");
  Receive("m1", RawMessage("f"), kDay0, {{"u1", "Inbox"}});
  events::Event change;
  change.set_timestamp_unix_micros(kDay0);
  auto* flags = change.mutable_message_flags_changed();
  flags->set_mailbox_id("u1");
  flags->set_message_id("m1");
  flags->add_flags_added("\\Seen");
  flags->add_flags_added("\\Flagged");
  flags->add_flags_added("\\Seen");
  Apply(change);
  Result<MessageEntry> entry = reader_.GetMessage("u1", "m1");
  ASSERT_EQ(entry->flags_size(), 2);
  EXPECT_EQ(entry->flags(0), "\\Flagged");
  EXPECT_EQ(entry->flags(1), "\\Seen");

  flags->clear_flags_added();
  flags->add_flags_removed("\\Flagged");
  Apply(change);
  entry = reader_.GetMessage("u1", "m1");
  ASSERT_EQ(entry->flags_size(), 1);
  EXPECT_EQ(entry->flags(0), "\\Seen");

  flags->set_message_id("gone");  // a race with a purge: ignored, not an error
  Apply(change);
}

TEST_F(MailboxProjectionTest, MoveCreatesTheFolderAndKeepsOrderAndFlags) {
  Provision("u1", "a@example.com");
  Receive("m1", RawMessage("one"), kDay0, {{"u1", "Inbox"}});
  Receive("m2", RawMessage("two"), kDay0 + 10, {{"u1", "Inbox"}});
  events::Event move;
  move.set_timestamp_unix_micros(kDay0 + 20);
  auto* moved = move.mutable_message_moved();
  moved->set_mailbox_id("u1");
  moved->set_message_id("m1");
  moved->set_from_folder("Inbox");
  moved->set_to_folder("Archive/2023");
  Apply(move);

  EXPECT_EQ(FolderIds("u1", "Inbox"), std::vector<std::string>{"m2"});
  EXPECT_EQ(FolderIds("u1", "Archive/2023"), std::vector<std::string>{"m1"});
  Result<MessageEntry> entry = reader_.GetMessage("u1", "m1");
  EXPECT_EQ(entry->folder(), "Archive/2023");
  EXPECT_EQ(entry->received_unix_micros(), kDay0);
  Result<MailboxRecord> record = reader_.GetMailbox("u1");
  EXPECT_EQ(record->folders_size(), 3);
  // "Archive/2023" must not be listed as a folder "Archive" holding "2023/...".
  EXPECT_TRUE(FolderIds("u1", "Archive").empty());
  EXPECT_TRUE(reader_.GetRawMessage("u1", "m1").ok());
}

TEST_F(MailboxProjectionTest, FolderListsNewestFirstInPages) {
  Provision("u1", "a@example.com");
  // Arrival order deliberately not time order: the key, not the arrival, orders the listing.
  for (int minute : {3, 1, 4, 0, 2}) {
    Receive("m" + std::to_string(minute), RawMessage("s" + std::to_string(minute)),
            kDay0 + int64_t{minute} * 60'000'000, {{"u1", "Inbox"}});
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    Result<FolderPage> page = reader_.ListFolder("u1", "Inbox", token, 2);
    ASSERT_TRUE(page.ok());
    for (const MessageEntry& entry : page->messages) seen.push_back(entry.message_id());
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{"m4", "m3", "m2", "m1", "m0"}));
  EXPECT_EQ(reader_.ListFolder("u1", "Inbox", "mbox/x", 2).status().code(),
            StatusCode::kInvalidArgument);

  Result<std::vector<MessageEntry>> older =
      reader_.ListFolderReceivedBefore("u1", "Inbox", kDay0 + 2 * 60'000'000, 10);
  ASSERT_TRUE(older.ok());
  ASSERT_EQ(older->size(), 2u);
  EXPECT_EQ((*older)[0].message_id(), "m1");
  EXPECT_EQ((*older)[1].message_id(), "m0");
}

TEST_F(MailboxProjectionTest, UnprovisionedMailboxKeepsItsMailAndIsReported) {
  Receive("m1", RawMessage("early"), kDay0, {{"ghost", "Inbox"}, {"", "Inbox"}});
  Result<MailboxRecord> ghost = reader_.GetMailbox("ghost");
  ASSERT_TRUE(ghost.ok());
  EXPECT_FALSE(ghost->provisioned());
  EXPECT_EQ(ghost->unprovisioned_deliveries(), 1u);
  EXPECT_EQ(FolderIds("ghost", "Inbox"), std::vector<std::string>{"m1"});
  EXPECT_EQ(FolderIds(std::string(kUnaddressedMailboxId), "Inbox"), std::vector<std::string>{"m1"});

  Provision("ghost", "ghost@example.com");
  ghost = reader_.GetMailbox("ghost");
  EXPECT_TRUE(ghost->provisioned());
  EXPECT_EQ(FolderIds("ghost", "Inbox"), std::vector<std::string>{"m1"});
  Result<MailboxPage> all = reader_.ListMailboxes("", 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->mailboxes.size(), 2u);
}

TEST_F(MailboxProjectionTest, HistoryFoldersAndSelfSentMailGetDistinctIds) {
  Provision("u1", "a@example.com");
  Receive("m1", RawMessage("note to self"), kDay0,
          {{"u1", "Sent"}, {"u1", "Inbox"}, {"u1", "Inbox"}, {"u1", "Projects"}});
  EXPECT_EQ(FolderIds("u1", "Sent"), std::vector<std::string>{"m1"});
  EXPECT_EQ(FolderIds("u1", "Inbox"), std::vector<std::string>{"m1.1"});
  EXPECT_EQ(FolderIds("u1", "Projects"), std::vector<std::string>{"m1.2"});
  BodyRefs refs;
  ASSERT_TRUE(refs.ParseFromString(
      state_.rows().at(BodyRefsKey(reader_.GetMessage("u1", "m1")->body_sha256_hex()))));
  EXPECT_EQ(refs.count(), 3u);
}

TEST_F(MailboxProjectionTest, SameMailFoldedTwiceChangesNothing) {
  Provision("u1", "a@example.com");
  Receive("m1", RawMessage("x"), kDay0, {{"u1", "Inbox"}});
  const auto before = state_.rows();
  Receive("m1", RawMessage("x"), kDay0, {{"u1", "Inbox"}});
  EXPECT_EQ(state_.rows().size(), before.size());
  BodyRefs refs;
  ASSERT_TRUE(refs.ParseFromString(
      state_.rows().at(BodyRefsKey(reader_.GetMessage("u1", "m1")->body_sha256_hex()))));
  EXPECT_EQ(refs.count(), 1u);
}

TEST_F(MailboxProjectionTest, WrongBodyHashIsCorruption) {
  events::Event event;
  event.set_index(1);
  event.mutable_mail_received()->set_mail_id("m1");
  event.mutable_mail_received()->set_raw("x");
  event.mutable_mail_received()->set_body_sha256(std::string(32, '\0'));
  event.mutable_mail_received()->add_deliveries()->set_mailbox_id("u1");
  Status status = projection_.Apply(event, state_);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
}

TEST_F(MailboxProjectionTest, MailboxesListInPages) {
  for (const char* id : {"u3", "u1", "u2"}) Provision(id, std::string(id) + "@example.com");
  Result<MailboxPage> first = reader_.ListMailboxes("", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->mailboxes.size(), 2u);
  EXPECT_EQ(first->mailboxes[0].mailbox_id(), "u1");
  EXPECT_EQ(first->mailboxes[1].mailbox_id(), "u2");
  Result<MailboxPage> second = reader_.ListMailboxes(first->next_page_token, 2);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->mailboxes.size(), 1u);
  EXPECT_EQ(second->mailboxes[0].mailbox_id(), "u3");
  EXPECT_TRUE(second->next_page_token.empty());
}

TEST_F(MailboxProjectionTest, JournalCopyIsFiledInSentAndInbox) {
  Provision("id-alice", "alice@contoso.com");
  Provision("id-bob", "bob@contoso.com");
  std::string raw =
      "From: alice@contoso.com\r\nTo: bob@contoso.com, x@fabrikam.com\r\nSubject: plan\r\n\r\n"
      "text\r\n";
  auto resolve = [](std::string_view address) {
    if (address == "alice@contoso.com") return AddressResolution{false, {"id-alice"}};
    if (address == "bob@contoso.com") return AddressResolution{false, {"id-bob"}};
    return AddressResolution{};
  };
  JournalIntake intake = IntakeJournalMessage(raw, JournalFormat::kBccCopy, resolve);
  events::Event event;
  event.set_timestamp_unix_micros(kDay0);
  events::MailReceived* mail = event.mutable_mail_received();
  mail->set_mail_id("j1");
  mail->set_raw(intake.original);
  mail->set_source(events::MAIL_SOURCE_JOURNAL);
  for (const events::MailDelivery& delivery : intake.deliveries) *mail->add_deliveries() = delivery;
  Apply(event);
  EXPECT_EQ(FolderIds("id-alice", "Sent"), std::vector<std::string>{"j1"});
  EXPECT_EQ(FolderIds("id-bob", "Inbox"), std::vector<std::string>{"j1"});
  EXPECT_EQ(reader_.GetMessage("id-bob", "j1")->source(), events::MAIL_SOURCE_JOURNAL);
  EXPECT_EQ(state_.CountWithPrefix("refs/"), 1u);
  EXPECT_EQ(*reader_.GetRawMessage("id-bob", "j1"), intake.original);
}

TEST_F(MailboxProjectionTest, ReplayGivesTheSameState) {
  for (const char* id : {"u1", "u2"}) Provision(id, std::string(id) + "@example.com");
  Receive("m1", RawMessage("a"), kDay0, {{"u1", "Inbox"}, {"u2", "Inbox"}});
  Receive("m2", RawMessage("b"), kDay0 + 1, {{"u1", "Sent"}, {"u2", "Inbox"}});
  Receive("m3", "garbage \xff\xfe without headers", kDay0 + 2, {{"u2", "Old"}});
  events::Event flags;
  flags.set_timestamp_unix_micros(kDay0 + 3);
  flags.mutable_message_flags_changed()->set_mailbox_id("u2");
  flags.mutable_message_flags_changed()->set_message_id("m2");
  flags.mutable_message_flags_changed()->add_flags_added("\\Seen");
  Apply(flags);
  events::Event move;
  move.set_timestamp_unix_micros(kDay0 + 4);
  move.mutable_message_moved()->set_mailbox_id("u1");
  move.mutable_message_moved()->set_message_id("m1");
  move.mutable_message_moved()->set_to_folder("Done");
  Apply(move);
  Purge("u2", {"m1"});
  events::Event unrelated;
  unrelated.mutable_login_failed()->set_user_name("mallory");
  Apply(unrelated);

  InMemoryState rebuilt;
  MailboxProjection fresh;
  for (const events::Event& event : events_) ASSERT_TRUE(fresh.Apply(event, rebuilt).ok());
  EXPECT_EQ(rebuilt.rows(), state_.rows());
}

}  // namespace
}  // namespace lifeboat::mailbox
