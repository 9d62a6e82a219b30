#pragma once
// The cluster CA and the node certificates it signs (issue #13 item 4, `lifeboat cluster init`;
// DESIGN.md "Security model": replication over mutual TLS from a cluster CA). ECDSA P-256, made
// with the OpenSSL 3 API in process; serial numbers and times come from the Env.
//
// A directory holds one cluster's files:
//   ca.pem, ca.key                    the CA (the key stays with the operator, never on a node
//                                     that does not issue certificates)
//   node-<id>.pem, node-<id>.key      one node's certificate (CN "lifeboat-node-<id>", client and
//                                     server use) and key
// Keys are written 0600 and never overwritten (created exclusively).

#include <cstdint>
#include <string>

#include "appliance/env/env.h"
#include "appliance/env/status.h"

namespace lifeboat::tls {

inline constexpr int kClusterCaValidityDays = 3650;
inline constexpr int kClusterNodeCertificateValidityDays = 825;

std::string ClusterCaCertificatePath(const std::string& directory);
std::string ClusterCaKeyPath(const std::string& directory);
std::string ClusterNodeCertificatePath(const std::string& directory, uint64_t node_id);
std::string ClusterNodeKeyPath(const std::string& directory, uint64_t node_id);

// Creates ca.pem and ca.key in `directory` (which must exist). Fails if a CA key is there.
Status CreateClusterCa(Env& env, const std::string& directory);
// Signs a new certificate for node `node_id` with the CA in `directory`.
Status IssueClusterNodeCertificate(Env& env, const std::string& directory, uint64_t node_id);

}  // namespace lifeboat::tls
