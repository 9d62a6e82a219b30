// The data dir's cluster identity: encoding, and the refusals that keep two clusters apart.
#include "appliance/node_identity.h"

#include <gtest/gtest.h>

namespace lifeboat {
namespace {

TEST(NodeIdentityTest, RoundTrips) {
  NodeIdentity identity{"acme-prod", "n1", 1};
  EXPECT_EQ(EncodeIdentity(identity), "cluster_id=acme-prod\nnode_id=n1\nschema_version=1\n");
  auto decoded = DecodeIdentity(EncodeIdentity(identity));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->cluster_id, "acme-prod");
  EXPECT_EQ(decoded->node_id, "n1");
  EXPECT_EQ(decoded->schema_version, 1u);
}

TEST(NodeIdentityTest, MalformedIdentityIsCorruption) {
  EXPECT_EQ(DecodeIdentity("cluster_id=a\n").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeIdentity("garbage").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeIdentity("cluster_id=a\nnode_id=b\nschema_version=x\n").status().code(),
            StatusCode::kCorruption);
}

TEST(NodeIdentityTest, SameIdentityMayRun) {
  NodeIdentity identity{"acme", "n1", 1};
  EXPECT_TRUE(CheckIdentity(identity, identity, "/d").ok());
}

TEST(NodeIdentityTest, AnotherClusterIsRefusedNamingBothIds) {
  Status status = CheckIdentity({"acme", "n1", 1}, {"globex", "n1", 1}, "/d");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "data dir /d belongs to cluster \"acme\", but the config says cluster_id \"globex\": "
            "refusing to mix two clusters' logs (fix node.cluster_id or node.data_dir)");
}

TEST(NodeIdentityTest, AnotherNodeNameIsRefused) {
  Status status = CheckIdentity({"acme", "n1", 1}, {"acme", "n2", 1}, "/d");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("belongs to node \"n1\", but the config says id \"n2\""),
            std::string::npos);
}

TEST(NodeIdentityTest, NewerSchemaIsRefused) {
  Status status = CheckIdentity({"acme", "n1", 2}, {"acme", "n1", 1}, "/d");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "data dir /d: data dir schema 2 is newer than this lifeboat's 1: upgrade lifeboat");
}

}  // namespace
}  // namespace lifeboat
