// The CLI's progress line (appliance/cli/progress_line.h) on a manual clock: rewritten in place
// at most kProgressRefreshesPerSecond times a second, erased at the end, silent when disabled
// (stderr not a terminal); and the replay text `lifeboat rebuild` shows.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "appliance/cli/progress_line.h"

namespace lifeboat::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Everything written to `file` so far.
std::string Written(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string out;
  for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file))
    out.push_back(static_cast<char>(c));
  return out;
}

class CliProgressLineTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(file_, nullptr); }
  void TearDown() override { std::fclose(file_); }

  std::FILE* file_ = std::tmpfile();
  MonoTime now_{};
};

TEST_F(CliProgressLineTest, RewritesAtMostFourTimesASecondThenErases) {
  {
    ProgressLine line(file_, true, [this] { return now_; });
    line.Update("rebuild: 10 of 100 events");
    now_ += milliseconds(100);
    line.Update("rebuild: 20 of 100 events");  // too soon: not shown
    EXPECT_EQ(line.Elapsed(), milliseconds(100));
    now_ += milliseconds(200);
    line.Update("rebuild: 30 of 100");  // shorter: spaces cover the rest of the previous line
    line.Clear();
    line.Clear();  // idempotent
  }
  EXPECT_EQ(Written(file_), "\rrebuild: 10 of 100 events\rrebuild: 30 of 100       \r" +
                                std::string(18, ' ') + "\r");
}

TEST_F(CliProgressLineTest, DisabledWritesNothing) {
  {
    ProgressLine line(file_, false, [this] { return now_; });
    line.Update("rebuild: 10 of 100 events");
    now_ += seconds(1);
    line.Update("rebuild: 20 of 100 events");
  }
  EXPECT_EQ(Written(file_), "");
}

TEST_F(CliProgressLineTest, ALongLineIsCutToOneTerminalRow) {
  {
    ProgressLine line(file_, true, [this] { return now_; });
    line.Update(std::string(200, 'x'));
  }
  EXPECT_EQ(Written(file_), "\r" + std::string(79, 'x') + "\r" + std::string(79, ' ') + "\r");
}

TEST(CliProgressTextTest, ReplayShowsRateAndTimeLeftOnceTimeHasPassed) {
  EXPECT_EQ(ReplayProgressText(0, 1234567, Duration::zero()), "0 of 1,234,567 events (0%)");
  EXPECT_EQ(ReplayProgressText(500, 1000, seconds(1)),
            "500 of 1,000 events (50%), 500 events/s, about 1 s left");
  EXPECT_EQ(ReplayProgressText(1000, 1000, seconds(2)),
            "1,000 of 1,000 events (100%), 500 events/s");
  EXPECT_EQ(ReplayProgressText(100, 100000, seconds(10)),
            "100 of 100,000 events (0%), 10 events/s, about 2 h 46 min left");
  EXPECT_EQ(ReplayProgressText(0, 0, seconds(1)), "0 of 0 events");
}

TEST(CliProgressTextTest, HumanDuration) {
  EXPECT_EQ(HumanDuration(milliseconds(900)), "0 s");
  EXPECT_EQ(HumanDuration(seconds(59)), "59 s");
  EXPECT_EQ(HumanDuration(seconds(185)), "3 min 05 s");
  EXPECT_EQ(HumanDuration(seconds(3720)), "1 h 02 min");
  EXPECT_EQ(HumanDuration(-seconds(5)), "0 s");
}

}  // namespace
}  // namespace lifeboat::cli
