#include "modules/directory/ldap_source.h"

#include <algorithm>
#include <set>
#include <utility>

#include "modules/ascii/ascii_case.h"
#include "modules/directory/base64.h"
#include "modules/directory/entry_mapping.h"
#include "modules/directory/secrets_file.h"

namespace lifeboat::directory {
namespace {

constexpr std::string_view kDirSyncCookiePrefix = "dirsync:";
constexpr std::string_view kTimestampCookiePrefix = "modifytimestamp:";
constexpr std::string_view kDirSyncControlOid = "1.2.840.113556.1.4.841";
// One sync follows at most this many DirSync replies (each up to kDirSyncReplyBytesMax).
constexpr size_t kDirSyncRoundsMax = 100'000;

std::string MaxModifyTimestamp(const std::vector<LdapEntry>& entries, std::string since) {
  for (const LdapEntry& entry : entries) {
    std::string stamp = NormalizeGeneralizedTime(entry.First("modifytimestamp"));
    if (stamp > since) since = stamp;
  }
  return since;
}

}  // namespace

LdapSource::LdapSource(Env& env, LdapSourceOptions options)
    : env_(env), options_(std::move(options)) {}

std::vector<std::string> SyncAttributes(std::string_view private_address_attribute) {
  // Operational attributes (entryUUID, createTimestamp, modifyTimestamp) only come when named.
  // "name" is AD's RDN attribute: DirSync reports a rename or a move only through it (Samba
  // 4.17 leaves cn out); on OpenLDAP it is the supertype of cn/sn and brings nothing new.
  return {"objectClass",
          "name",
          "objectGUID",
          "entryUUID",
          "isDeleted",
          "sAMAccountName",
          "userPrincipalName",
          "mail",
          "proxyAddresses",
          "displayName",
          "givenName",
          "sn",
          "cn",
          "department",
          "title",
          "telephoneNumber",
          "mobile",
          "manager",
          "userAccountControl",
          "member",
          "uniqueMember",
          "memberOf",
          "whenCreated",
          "createTimestamp",
          "modifyTimestamp",
          std::string(private_address_attribute)};
}

Result<std::unique_ptr<LdapConnection>> LdapSource::Connect() {
  if (options_.uris.empty()) return Status::InvalidArgument("directory: no LDAP server URI");
  Result<std::string> password = ReadSecretFile(options_.password_file);
  if (!password.ok()) return password.status();
  std::string failures;
  bool all_unavailable = true;
  for (const std::string& uri : options_.uris) {
    LdapConnectOptions connect{uri,
                               options_.start_tls,
                               options_.allow_plaintext,
                               options_.ca_file,
                               options_.bind_dn,
                               *password,
                               options_.network_timeout,
                               options_.operation_timeout};
    Result<std::unique_ptr<LdapConnection>> connection = LdapConnection::Open(connect);
    if (connection.ok()) return connection;
    if (connection.status().code() != StatusCode::kUnavailable) all_unavailable = false;
    if (!failures.empty()) failures += "; ";
    failures += connection.status().message();
  }
  if (all_unavailable) return Status::Unavailable("no directory server answered: " + failures);
  return Status::FailedPrecondition("no directory server accepted us: " + failures);
}

Result<SyncInput> LdapSource::Fetch(SyncMode mode, std::string_view cookie) {
  MonoTime start = env_.MonotonicNow();
  std::string method;
  std::string server;
  Result<SyncInput> input = [&]() -> Result<SyncInput> {
    Result<std::unique_ptr<LdapConnection>> connection = Connect();
    if (!connection.ok()) return connection.status();
    server = (*connection)->uri();
    return FetchFrom(**connection, mode, cookie, method);
  }();
  std::lock_guard lock(mutex_);
  if (!input.ok()) {
    status_.last_error = input.status().ToString();
    return input;
  }
  input->duration_micros =
      std::chrono::duration_cast<std::chrono::microseconds>(env_.MonotonicNow() - start).count();
  status_.last_success = env_.WallNow();
  status_.last_error.clear();
  status_.server = server;
  status_.method = method;
  return input;
}

Result<SyncInput> LdapSource::FetchFrom(LdapConnection& connection, SyncMode mode,
                                        std::string_view cookie, std::string& method) {
  Result<std::optional<LdapEntry>> root =
      connection.Read("", {"supportedControl", "defaultNamingContext"});
  if (!root.ok()) return root.status();
  bool dirsync = false;
  if (root->has_value()) {
    for (const std::string& oid : (*root)->Values("supportedcontrol")) {
      if (oid == kDirSyncControlOid) dirsync = true;
    }
  }
  method = dirsync ? "dirsync" : "modifytimestamp";
  connection.set_extended_dn(dirsync);  // AD: references by GUID, immune to renames
  return dirsync ? FetchDirSync(connection, mode, cookie)
                 : FetchByTimestamp(connection, mode, cookie);
}

Result<SyncInput> LdapSource::FetchDirSync(LdapConnection& connection, SyncMode mode,
                                           std::string_view cookie) {
  std::vector<std::string> attributes = SyncAttributes(options_.private_address_attribute);
  SyncInput input;
  std::optional<std::string> position;
  if (mode == SyncMode::kIncremental && cookie.starts_with(kDirSyncCookiePrefix)) {
    position = Base64Decode(cookie.substr(kDirSyncCookiePrefix.size()));
  }
  if (!position) {
    // Full: take the DirSync position first, then read everything. A change landing between
    // the two is read now and seen again by the next incremental sync: harmless, it is an upsert
    // of the same content (no event).
    std::string current;
    for (size_t round = 0;; ++round) {
      if (round >= kDirSyncRoundsMax) return Status::ResourceExhausted("DirSync: too many rounds");
      Result<DirSyncPage> page =
          connection.DirSync(options_.base_dn, options_.filter, attributes, current);
      if (!page.ok()) return page.status();
      current = page->cookie;
      if (!page->more) break;
    }
    Result<std::vector<LdapEntry>> entries = connection.PagedSearch(
        options_.base_dn, LdapScope::kSubtree, options_.filter, attributes, options_.page_size);
    if (!entries.ok()) return entries.status();
    input.mode = SyncMode::kFull;
    input.entries = std::move(entries).value();
    input.cookie = std::string(kDirSyncCookiePrefix) + Base64Encode(current);
    return input;
  }
  input.mode = SyncMode::kIncremental;
  std::set<std::string> seen;
  for (size_t round = 0;; ++round) {
    if (round >= kDirSyncRoundsMax) return Status::ResourceExhausted("DirSync: too many rounds");
    Result<DirSyncPage> page =
        connection.DirSync(options_.base_dn, options_.filter, attributes, *position);
    if (!page.ok()) return page.status();
    for (LdapEntry& changed : page->entries) {
      if (ascii::EqualsIgnoreCase(changed.First("isdeleted"), "TRUE")) {
        input.entries.push_back(std::move(changed));  // a tombstone: its objectGUID is enough
        continue;
      }
      std::string guid = GuidToText(changed.First("objectguid"));
      if (!seen.insert(guid.empty() ? DnKey(changed.dn) : guid).second) continue;
      // DirSync sends only the changed attributes: read the whole object, by GUID when we have
      // it (MS-ADTS 3.1.1.3.1.2.4 "<GUID=...>" DNs), so a rename racing this read still finds it.
      std::string dn = guid.empty() ? changed.dn : "<GUID=" + guid + ">";
      Result<std::optional<LdapEntry>> whole = connection.Read(dn, attributes);
      if (!whole.ok()) return whole.status();
      if (whole->has_value()) input.entries.push_back(std::move(**whole));
    }
    *position = page->cookie;
    if (!page->more) break;
  }
  input.cookie = std::string(kDirSyncCookiePrefix) + Base64Encode(*position);
  return input;
}

Result<SyncInput> LdapSource::FetchByTimestamp(LdapConnection& connection, SyncMode mode,
                                               std::string_view cookie) {
  std::vector<std::string> attributes = SyncAttributes(options_.private_address_attribute);
  SyncInput input;
  std::string since;
  if (mode == SyncMode::kIncremental && cookie.starts_with(kTimestampCookiePrefix)) {
    since = NormalizeGeneralizedTime(cookie.substr(kTimestampCookiePrefix.size()));
  }
  if (since.empty()) {
    Result<std::vector<LdapEntry>> entries = connection.PagedSearch(
        options_.base_dn, LdapScope::kSubtree, options_.filter, attributes, options_.page_size);
    if (!entries.ok()) return entries.status();
    input.mode = SyncMode::kFull;
    input.cookie = std::string(kTimestampCookiePrefix) + MaxModifyTimestamp(*entries, "");
    input.entries = std::move(entries).value();
    return input;
  }
  // ">=": timestamps have one-second resolution, so entries of the last second are read again
  // (unchanged entries emit nothing); ">" would miss a change made later in that same second.
  std::string changed_filter = "(&" + options_.filter + "(modifyTimestamp>=" + since + "))";
  Result<std::vector<LdapEntry>> entries = connection.PagedSearch(
      options_.base_dn, LdapScope::kSubtree, changed_filter, attributes, options_.page_size);
  if (!entries.ok()) return entries.status();
  Result<std::vector<LdapEntry>> ids =
      connection.PagedSearch(options_.base_dn, LdapScope::kSubtree, options_.filter,
                             {"entryUUID", "objectGUID"}, options_.page_size);
  if (!ids.ok()) return ids.status();
  input.mode = SyncMode::kIncremental;
  input.cookie = std::string(kTimestampCookiePrefix) + MaxModifyTimestamp(*entries, since);
  input.entries = std::move(entries).value();
  input.ids_complete = true;
  for (const LdapEntry& entry : *ids) {
    std::string_view id =
        entry.Has("objectguid") ? entry.First("objectguid") : entry.First("entryuuid");
    if (!id.empty()) input.present_ids.emplace_back(id);
  }
  return input;
}

LdapSourceStatus LdapSource::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::optional<Duration> LdapSource::SinceLastSuccess(WallTime now) const {
  std::lock_guard lock(mutex_);
  if (!status_.last_success) return std::nullopt;
  return std::chrono::duration_cast<Duration>(now - *status_.last_success);
}

}  // namespace lifeboat::directory
