#pragma once
// The LDAP driver: fetches what changed in AD / OpenLDAP and hands it to the sync core as a
// SyncInput. Blocking (libldap's synchronous API): call it from the directory sync thread only.
//
// Strategy, chosen from the server's root DSE:
//  * Active Directory / Samba (DirSync control 1.2.840.113556.1.4.841 advertised):
//    full = drain DirSync from an empty cookie (to hold the current position), then a paged
//    search (RFC 2696) of everything in scope; incremental = DirSync from the kept cookie. DirSync
//    returns changed objects with changed attributes only, so each changed object is re-read
//    whole by DN; deleted objects arrive as tombstones (isDeleted: TRUE) and become removals.
//  * Other servers (OpenLDAP): full = paged search; incremental = paged search of
//    (modifyTimestamp>=last seen) plus a paged listing of entryUUIDs in scope, whose diff against
//    the known entries finds the deletions.
// The cookie (kept in DirectorySyncCompleted) is "dirsync:<base64>" or "modifytimestamp:<time>";
// a cookie of the other kind, or none, means a full sync.
//
// Servers are tried in order (failover): the first that connects, verifies and binds is used
// for the whole fetch.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "modules/directory/ldap_connection.h"
#include "modules/directory/sync_core.h"

namespace lifeboat::directory {

inline constexpr int kLdapPageSizeDefault = 500;
// Users, groups and contacts; computer accounts (users in AD's class tree) are skipped later.
inline constexpr std::string_view kDefaultLdapFilter =
    "(|(objectClass=user)(objectClass=group)(objectClass=contact)(objectClass=inetOrgPerson)"
    "(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))";

struct LdapSourceOptions {
  std::vector<std::string> uris;  // tried in order
  bool start_tls = false;         // for ldap:// URIs
  bool allow_plaintext = false;   // lab only: simple bind without TLS
  std::string ca_file;            // "" = system trust store
  std::string bind_dn;            // "Administrator@corp.example.test", "cn=sync,dc=example,dc=test"
  std::string password_file;      // mode 0600, see secrets_file.h
  std::string base_dn;            // AD: the domain's naming context (DirSync needs it)
  std::string filter = std::string(kDefaultLdapFilter);
  std::string private_address_attribute = "otherMailbox";
  int page_size = kLdapPageSizeDefault;
  Duration network_timeout = std::chrono::seconds(10);
  Duration operation_timeout = std::chrono::seconds(120);
};

struct LdapSourceStatus {
  std::optional<WallTime> last_success;  // end of the last fetch that succeeded
  std::string last_error;                // of the last fetch; "" when it succeeded
  std::string server;                    // the URI that served the last successful fetch
  std::string method;                    // "dirsync" or "modifytimestamp"
};

// The attributes every sync asks for (with the configured private-address attribute). Public so
// that the benchmark's raw ldapsearch reads exactly the same data.
std::vector<std::string> SyncAttributes(std::string_view private_address_attribute);

class LdapSource {
 public:
  // `env` must outlive the source (only its thread-safe clocks are used).
  LdapSource(Env& env, LdapSourceOptions options);

  // Fetches a full or incremental change set. `cookie` is the last DirectorySyncCompleted cookie
  // of this source ("" when none: full). The result's mode says which one it did.
  // Errors: Unavailable (no server reachable: keep serving the last state, retry later),
  // FailedPrecondition (bind refused, TLS verification failed, secret file unsafe),
  // InvalidArgument (bad options). The status() records every outcome.
  Result<SyncInput> Fetch(SyncMode mode, std::string_view cookie);

  // Any thread.
  LdapSourceStatus status() const;
  // How long ago the last successful fetch ended; nullopt when none did.
  std::optional<Duration> SinceLastSuccess(WallTime now) const;

 private:
  Result<SyncInput> FetchFrom(LdapConnection& connection, SyncMode mode, std::string_view cookie,
                              std::string& method);
  Result<SyncInput> FetchDirSync(LdapConnection& connection, SyncMode mode,
                                 std::string_view cookie);
  Result<SyncInput> FetchByTimestamp(LdapConnection& connection, SyncMode mode,
                                     std::string_view cookie);
  Result<std::unique_ptr<LdapConnection>> Connect();

  Env& env_;
  LdapSourceOptions options_;
  mutable std::mutex mutex_;
  LdapSourceStatus status_;
};

}  // namespace lifeboat::directory
