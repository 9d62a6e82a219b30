// The compaction rule for bodies kept in the log (modules/mailbox/mailbox_projection.h): a log
// prefix holding a body that a stored message still references is never compacted; once the
// last message holding it is purged, compaction may pass it, and the bodies above stay readable.
#include "appliance/log_compaction.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "appliance/log_mail_bodies.h"
#include "appliance/mailbox_read_state.h"
#include "eventlog/log_store.h"
#include "modules/mailbox/mailbox_projection.h"
#include "modules/mailbox/mailbox_reader.h"

namespace lifeboat {
namespace {

constexpr int64_t kReceivedAt = 1'800'000'000'000'000;
constexpr char kMailbox[] = "alice";

class LogCompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lifeboat-log-compaction-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    eventlog::LogStoreOptions log_options;
    log_options.path = dir_ + "/log";
    auto log = eventlog::LogStore::Open(log_options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
    auto runner = eventlog::ProjectionRunner::Open(StateOptions("state"), {&projection_});
    ASSERT_TRUE(runner.ok()) << runner.status().ToString();
    runner_ = std::move(runner).value();
  }
  void TearDown() override {
    runner_.reset();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  eventlog::ProjectionRunnerOptions StateOptions(const std::string& name) const {
    eventlog::ProjectionRunnerOptions options;
    options.path = dir_ + "/" + name;
    return options;
  }
  // Appends and folds one event; returns its index.
  uint64_t Append(events::Event event) {
    event.set_timestamp_unix_micros(kReceivedAt + static_cast<int64_t>(log_->last_index()));
    eventlog::LogRecord record{log_->last_index() + 1, 1, event.SerializeAsString()};
    EXPECT_TRUE(log_->Append({&record, 1}).ok());
    EXPECT_TRUE(runner_->ApplyThrough(*log_, log_->last_index()).ok());
    return record.index;
  }
  uint64_t Receive(const std::string& mail_id, const std::string& raw) {
    events::Event event;
    events::MailReceived* mail = event.mutable_mail_received();
    mail->set_mail_id(mail_id);
    mail->set_raw(raw);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), digest);
    mail->set_body_sha256(digest, sizeof digest);
    mail->add_deliveries()->set_mailbox_id(kMailbox);
    return Append(event);
  }
  void Purge(const std::string& message_id) {
    events::Event event;
    event.mutable_messages_purged()->set_mailbox_id(kMailbox);
    event.mutable_messages_purged()->add_message_ids(message_id);
    Append(event);
  }
  uint64_t Limit() {
    Result<uint64_t> limit = LogCompactionLimit(*runner_, runner_->applied_index());
    EXPECT_TRUE(limit.ok()) << limit.status().ToString();
    return limit.ok() ? *limit : 0;
  }
  // Asks for everything folded to go; returns what the rule let through.
  uint64_t CompactAll() {
    Result<uint64_t> through =
        CompactLogPrefix(*log_, *runner_, runner_->applied_index(), log_->last_index());
    EXPECT_TRUE(through.ok()) << through.status().ToString();
    return through.ok() ? *through : 0;
  }
  Result<std::string> Raw(const std::string& message_id) {
    StateMailboxReadState state(*runner_);
    LogMailBodies bodies(*log_);
    mailbox::MailboxReader reader(state, &bodies);
    return reader.GetRawMessage(kMailbox, message_id);
  }

  std::string dir_;
  mailbox::MailboxProjection projection_;
  std::unique_ptr<eventlog::LogStore> log_;
  std::unique_ptr<eventlog::ProjectionRunner> runner_;
};

const std::string kBodyA = "Subject: a\r\n\r\nfirst body\r\n";
const std::string kBodyB = "Subject: b\r\n\r\nsecond body\r\n";

TEST_F(LogCompactionTest, ReferencedBodyIsNeverCompactedAndLaterBodiesStayReadable) {
  ASSERT_EQ(Receive("a", kBodyA), 1u);
  ASSERT_EQ(Receive("b", kBodyB), 2u);
  ASSERT_EQ(Receive("c", kBodyA), 3u);  // the same bytes again: still read from event 1

  // Every event is folded, but event 1 holds a body two messages read.
  EXPECT_EQ(Limit(), 0u);
  EXPECT_EQ(CompactAll(), 0u);
  EXPECT_EQ(log_->first_index(), 1u);

  // The message that brought the body is purged; its copy "c" still reads event 1.
  Purge("a");
  EXPECT_EQ(Limit(), 0u);
  EXPECT_EQ(CompactAll(), 0u);
  Result<std::string> c = Raw("c");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, kBodyA);

  // The last holder of body A goes: the log may now drop event 1, and only it (B is at 2).
  Purge("c");
  EXPECT_EQ(Limit(), 1u);
  EXPECT_EQ(CompactAll(), 1u);
  EXPECT_EQ(log_->first_index(), 2u);
  Result<std::string> b = Raw("b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, kBodyB);

  // No body left in the log: everything folded may go.
  Purge("b");
  EXPECT_EQ(Limit(), log_->last_index());
  EXPECT_EQ(CompactAll(), log_->last_index());
  EXPECT_EQ(log_->first_index(), log_->last_index() + 1);
}

TEST_F(LogCompactionTest, NothingBeyondTheAppliedIndexIsCompacted) {
  ASSERT_EQ(Receive("a", kBodyA), 1u);
  Purge("a");
  // Folded through 2 with no body pinned, but a caller that says only 1 is applied gets 1.
  Result<uint64_t> through = CompactLogPrefix(*log_, *runner_, 1, log_->last_index());
  ASSERT_TRUE(through.ok()) << through.status().ToString();
  EXPECT_EQ(*through, 1u);
  EXPECT_EQ(log_->first_index(), 2u);
}

TEST_F(LogCompactionTest, BodyIndexKeysRebuildToTheSameStateHash) {
  Receive("a", kBodyA);
  Receive("b", kBodyB);
  Receive("c", kBodyA);
  Purge("a");
  Purge("b");
  Result<std::string> incremental = runner_->StateHash();
  ASSERT_TRUE(incremental.ok());
  mailbox::MailboxProjection fresh;
  Result<std::string> rebuilt = eventlog::Rebuild(*log_, StateOptions("rebuilt"), {&fresh});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(*rebuilt, *incremental);
  EXPECT_EQ(Limit(), 0u);  // "c" still reads event 1
}

}  // namespace
}  // namespace lifeboat
