#pragma once
// One bound connection to an LDAP server through libldap's synchronous API. It blocks, so it is
// used only on the directory sync thread, never on the loop (DESIGN.md "Storage": LDAP runs off
// the loop thread). Every libldap result becomes a Status; libldap types stay in the .cc file.
//
// Security: ldaps:// or StartTLS, certificate verified against `ca_file` (or the system store)
// with LDAP_OPT_X_TLS_DEMAND; plain ldap:// is refused unless allow_plaintext (lab only). The
// password travels only inside TLS (RFC 4513 5.1.2: simple bind without TLS exposes it).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/status.h"
#include "modules/directory/ldap_entry.h"

struct ldap;  // libldap's LDAP handle
struct ldapcontrol;
struct berval;

namespace lifeboat::directory {

// A sync reads at most this many entries (a directory ten times our largest customer's).
inline constexpr size_t kLdapSyncEntriesMax = 1'000'000;
// AD returns at most 1500 values of a multi-valued attribute per read (MaxValRange); the rest
// comes in ranged reads "member;range=1500-*" (MS-ADTS 3.1.1.3.1.3.3). We follow at most this many.
inline constexpr size_t kLdapRangedReadsMax = 10'000;
// DirSync maxBytes: how much one DirSync reply may carry (MS-ADTS 3.1.1.3.4.1.3).
inline constexpr int kDirSyncReplyBytesMax = 1024 * 1024;

struct LdapConnectOptions {
  std::string uri;  // "ldaps://dc1.corp.example:636", "ldap://dc1" (+ start_tls)
  bool start_tls = false;
  bool allow_plaintext = false;
  std::string ca_file;  // "" = the system trust store
  std::string bind_dn;
  std::string password;
  Duration network_timeout = std::chrono::seconds(10);
  Duration operation_timeout = std::chrono::seconds(120);
};

enum class LdapScope { kBase, kSubtree };

struct DirSyncPage {
  std::vector<LdapEntry> entries;
  std::string cookie;  // opaque bytes to send next time
  bool more = false;   // the server has more changes right now: ask again with `cookie`
};

class LdapConnection {
 public:
  // Connects, applies TLS and binds. Unavailable when the server cannot be reached (try the next
  // one), FailedPrecondition when it refuses the bind or TLS verification fails, InvalidArgument
  // for a bad URI or plaintext without allow_plaintext.
  static Result<std::unique_ptr<LdapConnection>> Open(const LdapConnectOptions& options);
  ~LdapConnection();
  LdapConnection(const LdapConnection&) = delete;
  LdapConnection& operator=(const LdapConnection&) = delete;

  // Paged search (RFC 2696), ranged attributes completed. `page_size` entries per round trip.
  Result<std::vector<LdapEntry>> PagedSearch(const std::string& base, LdapScope scope,
                                             const std::string& filter,
                                             const std::vector<std::string>& attributes,
                                             int page_size);
  // One entry by DN, nullopt when it does not exist.
  Result<std::optional<LdapEntry>> Read(const std::string& dn,
                                        const std::vector<std::string>& attributes);
  // One DirSync round (MS-ADTS 3.1.1.3.4.1.3, control 1.2.840.113556.1.4.841). `base` must be a
  // naming context root. Deleted objects come back as tombstones (isDeleted: TRUE).
  Result<DirSyncPage> DirSync(const std::string& base, const std::string& filter,
                              const std::vector<std::string>& attributes,
                              const std::string& cookie);

  const std::string& uri() const { return uri_; }
  // AD: ask for extended DNs (control 1.2.840.113556.1.4.529, string form) on searches and reads,
  // so member and manager values carry the target's GUID.
  void set_extended_dn(bool on) { extended_dn_ = on; }

 private:
  LdapConnection(::ldap* handle, std::string uri, Duration operation_timeout)
      : handle_(handle), uri_(std::move(uri)), operation_timeout_(operation_timeout) {}
  Status CompleteRanges(LdapEntry& entry);
  Status SearchOnePage(const std::string& base, LdapScope scope, const std::string& filter,
                       char** attributes, ::ldapcontrol* page, std::vector<LdapEntry>& out,
                       ::berval& cookie);

  ::ldap* handle_;
  std::string uri_;
  Duration operation_timeout_;
  bool extended_dn_ = false;
};

}  // namespace lifeboat::directory
