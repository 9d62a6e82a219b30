#include "modules/directory/importer.h"

#include <fstream>

#include "modules/ascii/ascii_case.h"

namespace lifeboat::directory {

Result<ImportFormat> FormatFromFileName(std::string_view file_name) {
  std::string lower = ascii::Lower(file_name);
  if (lower.ends_with(".csv")) return ImportFormat::kCsv;
  if (lower.ends_with(".ldif") || lower.ends_with(".ldf")) return ImportFormat::kLdif;
  return Status::InvalidArgument("import: " + std::string(file_name) +
                                 " is neither .csv nor .ldif");
}

Result<std::vector<events::Event>> ComputeImport(const DirectoryState& previous,
                                                 std::string_view name, std::string_view text,
                                                 ImportFormat format, SyncOptions options) {
  Result<std::vector<LdapEntry>> entries =
      format == ImportFormat::kCsv ? ParseCsv(text) : ParseLdif(text);
  if (!entries.ok()) return entries.status();
  options.source = "import:" + std::string(name);
  SyncInput input;
  input.mode = SyncMode::kFull;
  input.entries = std::move(entries).value();
  return ComputeSync(previous, input, options);
}

Result<std::string> ReadImportFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::IoError("import: cannot open " + path);
  std::string text;
  char buffer[65536];
  while (file.read(buffer, sizeof buffer) || file.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(file.gcount()));
    if (text.size() > kImportFileBytesMax) {
      return Status::ResourceExhausted("import: " + path + " is larger than the limit");
    }
  }
  if (file.bad()) return Status::IoError("import: read error on " + path);
  return text;
}

}  // namespace lifeboat::directory
