// Log records as JSON for operators: index and term from the record, mail bodies as lengths.
#include "appliance/admin/event_json.h"

#include <gtest/gtest.h>

#include "eventlog/events.pb.h"

namespace lifeboat::admin {
namespace {

eventlog::LogRecord Record(uint64_t index, const events::Event& event) {
  eventlog::LogRecord record;
  record.index = index;
  record.term = 1;
  EXPECT_TRUE(event.SerializeToString(&record.payload));
  return record;
}

TEST(EventJsonTest, MailBodyIsReplacedByItsLength) {
  events::Event event;
  event.set_node_id("n1");
  event.mutable_mail_received()->set_mail_id("q1");
  event.mutable_mail_received()->set_raw("Subject: \"mail_received\":{\r\n\r\nhello");
  auto json = RecordToJson(Record(42, event));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(*json,
            "{\"index\":\"42\",\"term\":\"1\",\"node_id\":\"n1\",\"mail_received\":"
            "{\"raw_bytes\":35,\"mail_id\":\"q1\"}}");
}

TEST(EventJsonTest, EmptyMailReceivedStillGetsItsLength) {
  events::Event event;
  event.mutable_mail_received();
  auto json = RecordToJson(Record(1, event));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, "{\"index\":\"1\",\"term\":\"1\",\"mail_received\":{\"raw_bytes\":0}}");
}

TEST(EventJsonTest, OtherEventsUseProtoFieldNames) {
  events::Event event;
  event.mutable_routing_changed()->set_scope("all");
  event.mutable_routing_changed()->set_mode(events::ROUTING_MODE_CONTINUITY);
  auto json = RecordToJson(Record(2, event));
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json,
            "{\"index\":\"2\",\"term\":\"1\",\"routing_changed\":{\"scope\":\"all\","
            "\"mode\":\"ROUTING_MODE_CONTINUITY\"}}");
}

TEST(EventJsonTest, TotpSecretIsRedacted) {
  events::Event event;
  event.mutable_auth()->mutable_totp_enrolled()->set_user_id("u1");
  event.mutable_auth()->mutable_totp_enrolled()->set_secret("12345678901234567890");
  auto json = RecordToJson(Record(3, event));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(*json,
            "{\"index\":\"3\",\"term\":\"1\",\"auth\":{\"totp_enrolled\":"
            "{\"secret\":\"[redacted]\",\"user_id\":\"u1\"}}}");
  // Neither the bytes nor their base64 form ("MTIzNDU2...") leak.
  EXPECT_EQ(json->find("MTIzNDU2Nzg5"), std::string::npos);
}

TEST(EventJsonTest, CachedVerifierIsRedacted) {
  events::Event event;
  auto* cached = event.mutable_auth()->mutable_credential_cached();
  cached->set_user_id("u2");
  cached->set_verifier_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
  cached->set_source(auth::CREDENTIAL_SOURCE_ACTIVATION);
  auto json = RecordToJson(Record(4, event));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(*json,
            "{\"index\":\"4\",\"term\":\"1\",\"auth\":{\"credential_cached\":"
            "{\"verifier_phc\":\"[redacted]\",\"user_id\":\"u2\","
            "\"source\":\"CREDENTIAL_SOURCE_ACTIVATION\"}}}");
  EXPECT_EQ(json->find("argon2id"), std::string::npos);
}

TEST(EventJsonTest, UnparseablePayloadIsCorruptionNamingTheIndex) {
  eventlog::LogRecord record;
  record.index = 9;
  record.payload = "\xff\xff\xff";
  auto json = RecordToJson(record);
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(json.status().message(), "log record 9: payload is not an events.Event");
}

}  // namespace
}  // namespace lifeboat::admin
