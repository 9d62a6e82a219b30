// Golden transcripts: every tests/unit/smtp/transcripts/NAME.in is run through a Session and
// compared with NAME.ref; a mismatch prints a unified diff. To regenerate after a deliberate
// change: LIFEBOAT_REGENERATE_TRANSCRIPTS=1 ./smtp_transcript_test, then review every changed
// line of the .ref files (git diff) before committing them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/smtp/transcript_runner.h"

namespace lifeboat::smtp::testing {
namespace {

namespace fs = std::filesystem;

fs::path TranscriptDir() {
  return fs::path(LIFEBOAT_SMTP_TRANSCRIPT_DIR);
}

std::vector<std::string> TranscriptNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(TranscriptDir())) {
    if (entry.path().extension() == ".in") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class TranscriptTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TranscriptTest, RepliesMatchReference) {
  const fs::path in_path = TranscriptDir() / (GetParam() + ".in");
  const fs::path ref_path = TranscriptDir() / (GetParam() + ".ref");
  const std::string actual = RunTranscript(ReadFile(in_path));
  const char* regenerate = std::getenv("LIFEBOAT_REGENERATE_TRANSCRIPTS");
  if (regenerate != nullptr && std::string(regenerate) == "1") {
    std::ofstream(ref_path, std::ios::binary) << actual;
    GTEST_SKIP() << "regenerated " << ref_path << ": review it before committing";
  }
  ASSERT_TRUE(fs::exists(ref_path)) << ref_path << " is missing; regenerate and review it";
  const std::string expected = ReadFile(ref_path);
  EXPECT_TRUE(expected == actual) << UnifiedDiff(expected, actual, ref_path.string(), "actual");
}

INSTANTIATE_TEST_SUITE_P(Golden, TranscriptTest, ::testing::ValuesIn(TranscriptNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(UnifiedDiffTest, EqualTextsHaveNoDiff) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "x", "y"), "");
}

TEST(UnifiedDiffTest, ChangedLineIsShownRemovedAndAdded) {
  std::string diff = UnifiedDiff("a\nb\nc\n", "a\nB\nc\n", "expected", "actual");
  EXPECT_NE(diff.find("-b\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find("+B\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find(" a\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find("@@ -1,3 +1,3 @@\n"), std::string::npos) << diff;
  EXPECT_LT(diff.find("-b\n"), diff.find("+B\n")) << diff;
}

}  // namespace
}  // namespace lifeboat::smtp::testing
