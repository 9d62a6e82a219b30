// Session timelines that are clearer as code than as transcripts: action order, pausing, stale
// deadlines, and what happens to calls after the session closed.
#include "modules/smtp/session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>

#include "appliance/env/check.h"
#include "modules/smtp/policy/default_chain.h"
#include "tests/unit/smtp/fixed_resolver.h"

namespace lifeboat::smtp {
namespace {

using namespace std::chrono_literals;

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.hostname = "mx.example.com";
    config_.tls_available = true;
    auto built = BuildDefaultPolicy(policy_config_, resolver_, limiter_);
    ASSERT_TRUE(built.ok());
    policy_ = std::move(built).value();
    session_ = std::make_unique<Session>(config_, policy_->chain, PeerInfo{"192.0.2.9", 2525});
    session_->Start(now_);
    Sent();
  }

  // Everything sent since the last call, concatenated; other actions are counted.
  std::string Sent() {
    std::string out;
    for (Action& action : session_->TakeActions()) {
      if (auto* send = std::get_if<SendBytes>(&action)) out += send->bytes;
      if (std::holds_alternative<StartTls>(action)) ++starttls_;
      if (std::holds_alternative<CloseConnection>(action)) ++closes_;
      if (auto* arm = std::get_if<ArmDeadline>(&action)) deadline_ = arm->deadline;
      if (auto* propose = std::get_if<ProposeMail>(&action)) proposals_.push_back(propose->mail);
    }
    return out;
  }

  void Send(std::string_view bytes) { session_->OnBytes(bytes, now_, WallTime(0)); }

  SessionConfig config_;
  PolicyConfig policy_config_;
  testing::FixedRecipientResolver resolver_;
  MessageRateLimiter limiter_{10, 1s, 100};
  std::unique_ptr<DefaultPolicy> policy_;
  std::unique_ptr<Session> session_;
  MonoTime now_{0};
  MonoTime deadline_{0};
  int starttls_ = 0;
  int closes_ = 0;
  std::vector<MailProposal> proposals_;
};

TEST_F(SessionTest, GreetingArmsTheInitialTimeout) {
  EXPECT_EQ(deadline_, now_ + kSmtpInitialTimeout);
}

TEST_F(SessionTest, PlaintextPipelinedAfterStartTlsIsNeverAnswered) {
  Send("EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<evil@x.example>\r\n");
  std::string sent = Sent();
  EXPECT_NE(sent.find("220 2.0.0 Ready to start TLS\r\n"), std::string::npos);
  EXPECT_EQ(sent.find("2.1.0"), std::string::npos);
  EXPECT_EQ(starttls_, 1);
  EXPECT_TRUE(session_->input_paused());
  Send("RCPT TO:<alice@example.com>\r\n");  // still before the handshake: dropped
  EXPECT_EQ(Sent(), "");
  session_->OnTlsEstablished(TlsFacts{"TLSv1.3", "X"}, now_);
  Send("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(Sent(), "503 5.5.1 Error: send HELO/EHLO first\r\n");  // RFC 3207 4.2: forgotten
}

TEST_F(SessionTest, NoReplyUntilCommitThenPipelinedCommandsResume) {
  Send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
  Sent();
  Send("Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(Sent(), "");
  ASSERT_EQ(proposals_.size(), 1u);
  EXPECT_TRUE(session_->input_paused());
  EXPECT_EQ(deadline_, now_ + kSmtpCommitReplyTimeout);
  session_->OnMailCommitted(CommitOutcome::kCommitted, "M1", now_, WallTime(0));
  EXPECT_EQ(Sent(), "250 2.0.0 Ok: queued as M1\r\n221 2.0.0 Bye\r\n");
  EXPECT_EQ(closes_, 1);
}

TEST_F(SessionTest, CommitTimeoutClosesAndALateCommitIsIgnored) {
  Send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
  Send(".\r\n");
  Sent();
  now_ += kSmtpCommitReplyTimeout - 1s;
  session_->OnDeadline(now_);  // early: ignored
  EXPECT_EQ(Sent(), "");
  now_ += 1s;
  session_->OnDeadline(now_);
  EXPECT_EQ(Sent(), "421 4.3.0 mx.example.com Error: storage timeout, try later\r\n");
  session_->OnMailCommitted(CommitOutcome::kCommitted, "M1", now_, WallTime(0));
  EXPECT_EQ(Sent(), "");
  EXPECT_TRUE(session_->closed());
}

TEST_F(SessionTest, EveryCommandRestartsTheIdleTimeout) {
  now_ += 4min;
  Send("NOOP\r\n");
  Sent();
  EXPECT_EQ(deadline_, now_ + kSmtpServerIdleTimeout);
  now_ += 4min;
  session_->OnDeadline(now_);  // a stale timer from before the NOOP
  EXPECT_FALSE(session_->closed());
}

TEST_F(SessionTest, PartialCommandLineDoesNotExtendTheDeadline) {
  MonoTime before = deadline_;
  now_ += 1min;
  Send("NO");
  Sent();
  EXPECT_EQ(deadline_, before);  // slow-drip bytes do not keep a session alive
}

TEST_F(SessionTest, ProposalCarriesEnvelopeAndFacts) {
  Send(
      "EHLO c.example\r\nMAIL FROM:<a@b.example> BODY=8BITMIME\r\n"
      "RCPT TO:<alice@example.com>\r\nRCPT TO:<Postmaster>\r\nDATA\r\n..x\r\n.\r\n");
  ASSERT_EQ(proposals_.size(), 0u);
  Sent();
  ASSERT_EQ(proposals_.size(), 1u);
  const MailProposal& mail = proposals_[0];
  EXPECT_EQ(mail.mail_from, "a@b.example");
  EXPECT_EQ(mail.rcpt_to,
            (std::vector<std::string>{"alice@example.com", "Postmaster@mx.example.com"}));
  EXPECT_EQ(mail.peer_address, "192.0.2.9:2525");
  EXPECT_TRUE(mail.body_8bitmime);
  EXPECT_EQ(mail.raw.substr(0, 10), "Received: ");
  EXPECT_EQ(mail.raw.substr(mail.raw.size() - 4), ".x\r\n");
}

TEST_F(SessionTest, CallsAfterCloseDoNothing) {
  Send("QUIT\r\n");
  EXPECT_EQ(Sent(), "221 2.0.0 Bye\r\n");
  Send("NOOP\r\n");
  session_->OnDeadline(now_ + 1h);
  EXPECT_EQ(Sent(), "");
  EXPECT_EQ(closes_, 1);
}

class RefuseConnect : public PolicyFilter {
 public:
  FilterVerdict OnConnect(const PolicyContext& context) override {
    EXPECT_EQ(context.peer_ip, "192.0.2.9");
    return FilterVerdict::Stop(MakeReply(421, "4.7.0", "mx.example.com Service not available"));
  }
};

TEST(SessionConnectTest, ConnectRefusalIsA421AndCloseWithoutGreeting) {
  SessionConfig config;
  config.hostname = "mx.example.com";
  PolicyChain chain;
  chain.Add(std::make_unique<RefuseConnect>());
  Session session(config, chain, PeerInfo{"192.0.2.9", 2525});
  session.Start(MonoTime(0));
  std::vector<Action> actions = session.TakeActions();
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(std::get<SendBytes>(actions[0]).bytes,
            "421 4.7.0 mx.example.com Service not available\r\n");
  EXPECT_TRUE(std::holds_alternative<CloseConnection>(actions[1]));
  EXPECT_TRUE(session.closed());
}

// The sans-I/O core must not care how TCP splits the stream: the same bytes fed whole, one octet
// at a time, or in uneven pieces give the same replies and the same messages.
std::string RunSplit(std::string_view stream, size_t piece_max) {
  SessionConfig config;
  config.hostname = "mx.example.com";
  testing::FixedRecipientResolver resolver;
  MessageRateLimiter limiter(100, 1s, 100);
  auto policy = BuildDefaultPolicy(PolicyConfig{}, resolver, limiter);
  LB_CHECK(policy.ok());
  Session session(config, (*policy)->chain, PeerInfo{"192.0.2.9", 2525});
  session.Start(MonoTime(0));
  std::string log;
  auto drain = [&]() {
    bool proposed = true;
    while (proposed) {
      proposed = false;
      for (Action& action : session.TakeActions()) {
        if (auto* send = std::get_if<SendBytes>(&action)) log += send->bytes;
        if (std::holds_alternative<CloseConnection>(action)) log += "[close]";
        if (auto* propose = std::get_if<ProposeMail>(&action)) {
          log += "[propose " + propose->mail.raw + "]";
          proposed = true;
        }
      }
      if (proposed) {
        session.OnMailCommitted(CommitOutcome::kCommitted, "M", MonoTime(0), WallTime(0));
      }
    }
  };
  drain();
  size_t offset = 0;
  size_t piece = 1;
  while (offset < stream.size()) {
    size_t size = std::min({piece, piece_max, stream.size() - offset});
    session.OnBytes(stream.substr(offset, size), MonoTime(0), WallTime(0));
    drain();
    offset += size;
    piece = piece % 7 + 1;  // uneven pieces: 1, 2, ... 7, 1, ...
  }
  return log;
}

TEST(SessionSplitTest, SameRepliesHoweverTheStreamIsSplit) {
  const std::string streams[] = {
      "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\n"
      "RCPT TO:<nobody@example.com>\r\nDATA\r\nSubject: s\r\n\r\n..dot\r\n.\r\n"
      "MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.com>\r\nBDAT 5\r\nab\r\nc"
      "BDAT 0 LAST\r\nNOOP\r\nQUIT\r\n",
      "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\n"
      "DATA\r\nx\r\n.\rMAIL FROM:<evil@x.example>\r\n",
      "EHLO c.example\r\nNOOP\nQUIT\r\n",
  };
  for (const std::string& stream : streams) {
    const std::string whole = RunSplit(stream, stream.size());
    EXPECT_EQ(RunSplit(stream, 1), whole) << stream;
    EXPECT_EQ(RunSplit(stream, 7), whole) << stream;
    EXPECT_NE(whole.find("[close]"), std::string::npos) << whole;
  }
}

// Random streams built from SMTP fragments and stray octets, with commits, TLS and deadlines at
// random points: every invariant the session checks must hold, and a closed session stays quiet.
TEST(SessionRandomTest, RandomStreamsKeepInvariants) {
  static const char* const kFragments[] = {
      "EHLO c.example\r\n",
      "HELO c.example\r\n",
      "MAIL FROM:<a@b.example>\r\n",
      "MAIL FROM:<> SIZE=10 SMTPUTF8\r\n",
      "RCPT TO:<alice@example.com>\r\n",
      "RCPT TO:<x%y@example.com>\r\n",
      "RCPT TO:<Postmaster>\r\n",
      "DATA\r\n",
      "BDAT 3\r\n",
      "BDAT 0 LAST\r\n",
      "BDAT 2 LAST\r\n",
      "RSET\r\n",
      "NOOP\r\n",
      "STARTTLS\r\n",
      "VRFY a\r\n",
      "HELP\r\n",
      ".\r\n",
      "..\r\n",
      "\r\n",
      "x",
      "\xC3\xA9",
      "QUIT\r\n",
      "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nx\r\n.\r\n",
      "MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.com>\r\nBDAT 2 LAST\r\nab"};
  // Rarer: octets that end the session (bare CR/LF) or are odd.
  static const char* const kStrays[] = {"\n", "\r", ".", "\0", "\xFF", "BDAT x\r\n"};
  std::mt19937_64 random(20261128);
  SessionConfig config;
  config.hostname = "mx.example.com";
  config.tls_available = true;
  config.limits.message_bytes_max = 200;
  testing::FixedRecipientResolver resolver;
  MessageRateLimiter limiter(1000, 1s, 100);
  auto policy = BuildDefaultPolicy(PolicyConfig{}, resolver, limiter);
  ASSERT_TRUE(policy.ok());
  int proposals = 0, handshakes = 0, steps = 0;
  for (int run = 0; run < 300; ++run) {
    Session session(config, (*policy)->chain, PeerInfo{"192.0.2.9", 2525});
    MonoTime now(0);
    session.Start(now);
    bool closed = false, proposal = false, tls_pending = false;
    for (int step = 0; step < 60 && !closed; ++step) {
      std::string bytes;
      for (int k = random() % 4; k >= 0; --k) {
        bytes += random() % 40 == 0 ? kStrays[random() % std::size(kStrays)]
                                    : kFragments[random() % std::size(kFragments)];
      }
      int what = static_cast<int>(random() % 10);
      if (what == 0 && proposal) {
        session.OnMailCommitted(static_cast<CommitOutcome>(random() % 3), "M", now, WallTime(0));
        proposal = false;
      } else if (what == 1 && tls_pending) {
        session.OnTlsEstablished(TlsFacts{"TLSv1.3", "X"}, now);
        tls_pending = false;
      } else if (what == 2) {
        now += std::chrono::seconds(random() % 400);
        session.OnDeadline(now);
      } else {
        session.OnBytes(bytes, now, WallTime(0));
      }
      for (Action& action : session.TakeActions()) {
        ASSERT_FALSE(closed) << "action after CloseConnection";
        if (std::holds_alternative<CloseConnection>(action)) closed = true;
        if (std::holds_alternative<ProposeMail>(action)) {
          ASSERT_FALSE(proposal) << "second proposal before the first was answered";
          proposal = true;
          ++proposals;
        }
        if (std::holds_alternative<StartTls>(action)) {
          tls_pending = true;
          ++handshakes;
        }
        if (auto* send = std::get_if<SendBytes>(&action)) {
          ASSERT_GE(send->bytes.size(), 2u);
          ASSERT_EQ(send->bytes.substr(send->bytes.size() - 2), "\r\n");
        }
      }
      EXPECT_EQ(session.closed(), closed);
      ++steps;
    }
  }
  // The streams must reach the interesting states, or the test proves little.
  EXPECT_GT(proposals, 10);
  EXPECT_GT(handshakes, 10);
  EXPECT_GT(steps, 2000);
  std::printf("random sessions: %d steps, %d proposals, %d handshakes\n", steps, proposals,
              handshakes);
}

}  // namespace
}  // namespace lifeboat::smtp
