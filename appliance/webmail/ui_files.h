#pragma once
// Loads the bundled webmail UI (modules/webmail/ui, built into <build>/webmail-ui, installed in
// /usr/share/lifeboat/webmail) into memory at start, so requests never touch the disk and no
// request path is ever joined to a file system path (webmail/static_assets.h).
//
// Runs once at node start, before the loop serves anyone: reading a few files there is the same
// kind of start-up I/O as reading the config.

#include <string>

#include "appliance/env/status.h"
#include "modules/webmail/static_assets.h"

namespace lifeboat::webmail {

// The UI directory to use when [webmail] ui_dir is not set: <dir of the running binary>/../
// webmail-ui (a build tree: build/<preset>/appliance/lifeboat), else /usr/share/lifeboat/webmail;
// the first that holds index.html. "" when neither does.
std::string DefaultUiDir();

// index.html and every regular file in assets/ (no subdirectories, no symlinks followed out of
// it). NotFound when `dir` has no index.html; InvalidArgument for a file StaticAssets refuses.
Result<StaticAssets> LoadUiFiles(const std::string& dir);

}  // namespace lifeboat::webmail
