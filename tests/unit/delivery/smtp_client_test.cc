// Golden transcripts of the SMTP client core (issue #11 Build 3 and 8): each test plays a server
// and compares the whole dialogue, actions and results included, with the transcript beside it.
#include "modules/delivery/smtp_client.h"

#include <gtest/gtest.h>

#include "tests/unit/delivery/client_transcript.h"

namespace lifeboat::delivery {
namespace {

using testing::ClientTranscript;
using testing::ExpectTranscript;

ClientConfig Config(TlsPolicy tls) {
  ClientConfig config;
  config.helo_name = "lifeboat.corp.test";
  config.tls = tls;
  return config;
}

Envelope Mail(std::vector<std::string> recipients,
              std::string content = "Subject: hi\r\n\r\nhello\r\n") {
  Envelope envelope;
  envelope.mail_from = "sender@example.org";
  envelope.rcpt_to = std::move(recipients);
  envelope.content = std::move(content);
  return envelope;
}

constexpr std::string_view kEhloPlain =
    "250-mx.corp.test\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n";
constexpr std::string_view kEhloPipelining =
    "250-mx.corp.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";

// Up to the first ReadyForMail of a plaintext session without PIPELINING.
void Greet(ClientTranscript& t, std::string_view ehlo = kEhloPlain) {
  t.Start();
  t.Server("220 mx.corp.test ESMTP\r\n");
  t.Server(ehlo);
}

TEST(SmtpClientTest, NormalSessionWithoutPipelining) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t);
  t.Send(Mail({"alice@corp.test", "nobody@corp.test"},
              "Subject: dots\r\n\r\n.leading dot\nbare LF above\r\n"));
  t.Server("250 2.1.0 Ok\r\n");
  t.Server("250 2.1.5 Ok\r\n");
  t.Server("550 5.1.1 <nobody@corp.test>: Recipient address rejected\r\n");
  t.Server("354 End data with <CR><LF>.<CR><LF>\r\n");
  t.Server("250 2.0.0 Ok: queued as 4AbC\r\n");
  t.Quit();
  t.Server("221 2.0.0 Bye\r\n");
  ExpectTranscript("normal_session", t.text());
  EXPECT_TRUE(t.client().closed());
}

TEST(SmtpClientTest, StartTlsThenPipeliningAndConnectionReuse) {
  ClientConfig config = Config(TlsPolicy::kRequired);
  ClientTranscript t(config);
  t.Start();
  t.Server("220 mx.corp.test ESMTP\r\n");
  t.Server("250-mx.corp.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
  t.Server("220 2.0.0 Ready to start TLS\r\n");
  t.TlsEstablished();
  t.Server(kEhloPipelining);
  Envelope eight_bit =
      Mail({"alice@corp.test", "bob@corp.test"}, "Subject: caf\xc3\xa9\r\n\r\nx\r\n");
  eight_bit.body_8bit = true;
  t.Send(std::move(eight_bit));
  t.Server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n");
  t.Server("250 2.0.0 Ok: queued as 1\r\n");
  t.Send(Mail({"carol@corp.test"}));
  t.Server("250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n");
  t.Server("451 4.3.0 try later\r\n354 go ahead\r\n");
  t.Server("250 2.0.0 Ok\r\n");
  EXPECT_TRUE(t.client().tls_active());
  ExpectTranscript("starttls_pipelining_reuse", t.text());
}

TEST(SmtpClientTest, StartTlsRequiredButNotOffered) {
  ClientConfig config = Config(TlsPolicy::kRequired);
  ClientTranscript t(config);
  t.Start();
  t.Send(Mail({"alice@corp.test"}));  // handed over before the session is ready: it waits
  t.Server("220 mx.corp.test ESMTP\r\n");
  t.Server(kEhloPipelining);
  t.Server("221 2.0.0 Bye\r\n");
  ExpectTranscript("starttls_required_not_offered", t.text());
}

TEST(SmtpClientTest, OpportunisticTlsGoesOnInPlaintextWhenStartTlsIsRefused) {
  ClientConfig config = Config(TlsPolicy::kOpportunistic);
  ClientTranscript t(config);
  t.Start();
  t.Server("220 mx.example.net ESMTP\r\n");
  t.Server("250-mx.example.net\r\n250 STARTTLS\r\n");
  t.Server("454 4.7.0 TLS not available due to local problem\r\n");
  EXPECT_TRUE(t.client().ready_for_mail());
  EXPECT_FALSE(t.client().tls_active());
  ExpectTranscript("opportunistic_tls_refused", t.text());
}

TEST(SmtpClientTest, TlsHandshakeFailure) {
  ClientConfig config = Config(TlsPolicy::kRequired);
  ClientTranscript t(config);
  t.Start();
  t.Send(Mail({"alice@corp.test"}));
  t.Server("220 mx.corp.test ESMTP\r\n");
  t.Server("250-mx.corp.test\r\n250 STARTTLS\r\n");
  t.Server("220 2.0.0 Ready to start TLS\r\n");
  t.TlsFailed("certificate verify failed: unable to get local issuer certificate");
  ExpectTranscript("tls_handshake_failed", t.text());
}

TEST(SmtpClientTest, StartTlsResponseInjection) {
  // A man in the middle appends a reply to the 220: it must not be read as if it came over TLS.
  ClientConfig config = Config(TlsPolicy::kRequired);
  ClientTranscript t(config);
  t.Start();
  t.Server("220 mx.corp.test ESMTP\r\n");
  t.Server("250-mx.corp.test\r\n250 STARTTLS\r\n");
  t.Server("220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 PIPELINING\r\n");
  ExpectTranscript("starttls_response_injection", t.text());
}

TEST(SmtpClientTest, PrimaryThatAnswersGarbage) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  t.Start();
  t.Send(Mail({"alice@corp.test"}));
  t.Server("HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n");
  ExpectTranscript("garbage_greeting", t.text());
}

TEST(SmtpClientTest, GarbageMidTransaction) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t, kEhloPipelining);
  t.Send(Mail({"alice@corp.test", "bob@corp.test"}));
  t.Server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n\x16\x03\x01 not smtp\r\n");
  ExpectTranscript("garbage_mid_transaction", t.text());
}

TEST(SmtpClientTest, StallsMidDataThenTimesOut) {
  // The primary reads the content but never answers the final ".": after the RFC 5321
  // 4.5.3.2.6 wait, every recipient is retried and flagged as possibly delivered.
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t, kEhloPipelining);
  t.Send(Mail({"alice@corp.test"}));
  t.Server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n");
  t.DeadlinePasses();
  ExpectTranscript("stall_mid_data", t.text());
}

TEST(SmtpClientTest, StallBeforeTheGreeting) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  t.Start();
  t.Send(Mail({"alice@corp.test"}));
  t.DeadlinePasses();
  ExpectTranscript("stall_before_greeting", t.text());
}

TEST(SmtpClientTest, ConnectionResetDuringRcpt) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t);
  t.Send(Mail({"alice@corp.test", "bob@corp.test"}));
  t.Server("250 2.1.0 Ok\r\n");
  t.Server("550 5.1.1 no such user\r\n");
  t.ConnectionClosed();
  ExpectTranscript("reset_during_rcpt", t.text());
}

TEST(SmtpClientTest, ConnectionResetAfterTheFinalDot) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t, kEhloPipelining);
  t.Send(Mail({"alice@corp.test"}));
  t.Server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n");
  t.ConnectionClosed();
  ExpectTranscript("reset_after_dot", t.text());
}

TEST(SmtpClientTest, TemporaryFailureAtRcpt) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t, kEhloPipelining);
  t.Send(Mail({"alice@corp.test", "bob@corp.test"}));
  t.Server(
      "250 2.1.0 Ok\r\n450 4.2.0 <alice@corp.test>: mailbox busy\r\n"
      "451 4.3.0 <bob@corp.test>: temporary lookup failure\r\n"
      "554 5.5.1 Error: no valid recipients\r\n");
  ExpectTranscript("rcpt_4xx", t.text());
}

TEST(SmtpClientTest, PermanentFailureAtDataEnd) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t, kEhloPipelining);
  t.Send(Mail({"alice@corp.test", "bob@corp.test"}));
  t.Server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n");
  t.Server("554-5.7.1 message content rejected\r\n554 5.7.1 see policy\r\n");
  ExpectTranscript("data_end_5xx", t.text());
}

TEST(SmtpClientTest, TooLongReplyLine) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t);
  t.Send(Mail({"alice@corp.test"}));
  t.Server("250 " + std::string(3000, 'x') + "\r\n");
  ExpectTranscript("too_long_reply_line", t.text());
}

TEST(SmtpClientTest, MailRefusedWithoutPipeliningSendsNoRcpt) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  Greet(t);
  t.Send(Mail({"alice@corp.test", "bob@corp.test"}));
  t.Server("452 4.3.1 Insufficient system storage\r\n");
  t.Send(Mail({"carol@corp.test"}));
  t.Server("250 2.0.0 Ok\r\n");
  t.Server("550 5.7.1 sender rejected\r\n");
  t.DeadlinePasses();  // idle: QUIT
  t.ConnectionClosed();
  ExpectTranscript("mail_refused_no_pipelining", t.text());
}

TEST(SmtpClientTest, HeloFallbackAndSizeAnd8BitMime) {
  ClientConfig config = Config(TlsPolicy::kOpportunistic);
  ClientTranscript t(config);
  t.Start();
  t.Server("220 old.corp.test SMTP\r\n");
  t.Server("502 5.5.2 Error: command not recognized\r\n");
  t.Server("250 old.corp.test\r\n");
  Envelope eight_bit = Mail({"alice@corp.test"}, "Subject: caf\xc3\xa9\r\n\r\n");
  eight_bit.body_8bit = true;
  t.Send(std::move(eight_bit));  // no 8BITMIME after HELO: refused here, nothing sent
  t.Send(Mail({"alice@corp.test"}));
  t.Server("250 Ok\r\n");
  t.Server("250 Ok\r\n");
  t.Server("354 go ahead\r\n");
  t.Server("250 Ok\r\n");
  ExpectTranscript("helo_fallback", t.text());

  ClientTranscript sized(config);
  Greet(sized, "250-mx.corp.test\r\n250 SIZE 20\r\n");
  sized.Send(Mail({"alice@corp.test"}));  // 22 bytes > 20
  ExpectTranscript("size_exceeded", sized.text());
}

TEST(SmtpClientTest, GreetingRefused) {
  ClientConfig config = Config(TlsPolicy::kNone);
  ClientTranscript t(config);
  t.Start();
  t.Send(Mail({"alice@corp.test"}));
  t.Server("554 5.3.2 mx.corp.test service currently unavailable\r\n");
  t.Server("221 Bye\r\n");
  ExpectTranscript("greeting_554", t.text());
}

TEST(SmtpClientTest, EnvelopesThatCannotGoOnTheWireAreRefused) {
  ClientConfig config = Config(TlsPolicy::kNone);
  SmtpClient client(config);
  client.Start(MonoTime{0});
  (void)client.TakeActions();
  for (const std::string& bad : std::vector<std::string>{"a@b\r\nRCPT TO:<evil@x>", "a b@c",
                                                         "<a@b>", std::string(400, 'a'), ""}) {
    EXPECT_EQ(client.Send(Mail({bad}), MonoTime{0}).code(), StatusCode::kInvalidArgument) << bad;
  }
  Envelope bad_sender = Mail({"alice@corp.test"});
  bad_sender.mail_from = "x@y\nDATA";
  EXPECT_EQ(client.Send(bad_sender, MonoTime{0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Send(Mail({}), MonoTime{0}).code(), StatusCode::kInvalidArgument);
  std::vector<std::string> many(kRecipientsPerTransactionMax + 1, "a@corp.test");
  EXPECT_EQ(client.Send(Mail(many), MonoTime{0}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(client.TakeActions().empty());
  EXPECT_TRUE(client.can_send());
  Envelope null_sender = Mail({"alice@corp.test"});
  null_sender.mail_from = "";  // a DSN: MAIL FROM:<>
  EXPECT_TRUE(client.Send(null_sender, MonoTime{0}).ok());
}

}  // namespace
}  // namespace lifeboat::delivery
