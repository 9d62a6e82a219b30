#include "appliance/webmail/ui_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace lifeboat::webmail {
namespace {

namespace fs = std::filesystem;

constexpr const char* kInstalledUiDir = "/usr/share/lifeboat/webmail";

Result<std::string> ReadWhole(const fs::path& path) {
  std::error_code error;
  auto bytes = fs::file_size(path, error);
  if (error) return Status::IoError("webmail UI: " + path.string() + ": " + error.message());
  if (bytes > kStaticFileBytesMax) {
    return Status::InvalidArgument("webmail UI: " + path.string() + " is too large");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::IoError("webmail UI: cannot read " + path.string());
  return content.str();
}

}  // namespace

std::string DefaultUiDir() {
  std::error_code error;
  fs::path binary = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    fs::path beside = binary.parent_path().parent_path() / "webmail-ui";
    if (fs::is_regular_file(beside / "index.html", error)) return beside.string();
  }
  if (fs::is_regular_file(fs::path(kInstalledUiDir) / "index.html", error)) return kInstalledUiDir;
  return "";
}

Result<StaticAssets> LoadUiFiles(const std::string& dir) {
  StaticAssets assets;
  fs::path root(dir);
  std::error_code error;
  if (!fs::is_regular_file(root / "index.html", error)) {
    return Status::NotFound("webmail UI: no index.html in " + dir);
  }
  auto index = ReadWhole(root / "index.html");
  if (!index.ok()) return index.status();
  LB_RETURN_IF_ERROR(assets.Add("index.html", std::move(index).value()));
  fs::path assets_dir = root / "assets";
  if (!fs::is_directory(assets_dir, error)) return assets;
  for (const fs::directory_entry& entry : fs::directory_iterator(assets_dir, error)) {
    if (!entry.is_regular_file() || entry.is_symlink()) continue;
    auto body = ReadWhole(entry.path());
    if (!body.ok()) return body.status();
    LB_RETURN_IF_ERROR(
        assets.Add("assets/" + entry.path().filename().string(), std::move(body).value()));
  }
  if (error) return Status::IoError("webmail UI: " + assets_dir.string() + ": " + error.message());
  return assets;
}

}  // namespace lifeboat::webmail
