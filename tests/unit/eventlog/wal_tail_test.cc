// wal::FindEnd on LevelDB write-ahead log bytes: where a crash-torn tail ends and when damage is
// corruption instead. The logs are framed here as LevelDB's log::Writer frames them
// (doc/log_format.md), then cut, zeroed or flipped the way each case needs; one test checks the
// framing against a WAL that LevelDB itself wrote.

#include "eventlog/wal_tail.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "eventlog/crc32c.h"
#include "tests/unit/eventlog/store_test_support.h"

namespace lifeboat::eventlog::wal {
namespace {

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Frames records as LevelDB does: fragments never cross a 32 KiB block, a block with fewer than
// 7 bytes left gets a zero trailer. Remembers where each record starts and ends.
class LogBuilder {
 public:
  void Add(const std::string& record) {
    starts_.push_back(bytes_.size());
    size_t left = record.size();
    size_t offset = 0;
    bool begin = true;
    do {
      const size_t block_left = kBlockBytes - bytes_.size() % kBlockBytes;
      if (block_left < kHeaderBytes) {
        bytes_.append(block_left, '\0');
        continue;
      }
      const size_t avail = kBlockBytes - bytes_.size() % kBlockBytes - kHeaderBytes;
      const size_t length = std::min(left, avail);
      const bool end = length == left;
      FragmentType type = begin && end ? FragmentType::kFull
                          : begin      ? FragmentType::kFirst
                          : end        ? FragmentType::kLast
                                       : FragmentType::kMiddle;
      Emit(type, record.substr(offset, length));
      offset += length;
      left -= length;
      begin = false;
    } while (left > 0);
    ends_.push_back(bytes_.size());
  }

  // The preallocated space after the records.
  void Zeros(size_t count) { bytes_.append(count, '\0'); }

  std::string& bytes() { return bytes_; }
  size_t start(size_t record) const { return starts_.at(record); }
  size_t end(size_t record) const { return ends_.at(record); }

 private:
  void Emit(FragmentType type, const std::string& payload) {
    const char type_byte = static_cast<char>(type);
    const uint32_t crc = crc32c::Extend(crc32c::Value(std::string_view(&type_byte, 1)), payload);
    PutFixed32(&bytes_, crc32c::Mask(crc));
    bytes_.push_back(static_cast<char>(payload.size() & 0xff));
    bytes_.push_back(static_cast<char>(payload.size() >> 8));
    bytes_.push_back(type_byte);
    bytes_ += payload;
  }

  std::string bytes_;
  std::vector<size_t> starts_;
  std::vector<size_t> ends_;
};

std::string Record(size_t bytes, char seed) {
  std::string record;
  for (size_t i = 0; i < bytes; ++i) record.push_back(static_cast<char>(seed + i % 23 + 1));
  return record;
}

// Three small records and one of 70,000 bytes (three fragments over three blocks), then zeros.
LogBuilder FourRecords() {
  LogBuilder log;
  log.Add(Record(100, 'a'));
  log.Add(Record(5000, 'b'));
  log.Add(Record(300, 'c'));
  log.Add(Record(70000, 'd'));
  log.Zeros(200000);
  return log;
}

void ZeroPageAt(std::string* bytes, size_t offset) {
  const size_t page = offset - offset % kPageBytes;
  std::fill(bytes->begin() + page, bytes->begin() + page + kPageBytes, '\0');
}

TEST(WalTailTest, EmptyAndAllZeroLogsEndAtZero) {
  EXPECT_EQ(FindEnd("").value(), 0u);
  EXPECT_EQ(FindEnd(std::string(100000, '\0')).value(), 0u);
}

TEST(WalTailTest, CompleteRecordsEndWhereTheZerosBegin) {
  LogBuilder log = FourRecords();
  EXPECT_EQ(FindEnd(log.bytes()).value(), log.end(3));
  log.bytes().resize(log.end(3));  // an ordinary, exactly sized file
  EXPECT_EQ(FindEnd(log.bytes()).value(), log.end(3));
}

TEST(WalTailTest, BlockTrailersAreSkipped) {
  LogBuilder log;
  // The first record leaves 3 bytes in block 0: LevelDB pads them and moves on.
  log.Add(Record(kBlockBytes - kHeaderBytes - 3, 'a'));
  log.Add(Record(10, 'b'));
  ASSERT_EQ(log.end(0), kBlockBytes - 3);
  ASSERT_EQ(log.end(1), kBlockBytes + kHeaderBytes + 10);
  log.Zeros(1000);
  EXPECT_EQ(FindEnd(log.bytes()).value(), log.end(1));
}

TEST(WalTailTest, RecordCutByEndOfFileIsTheTornTail) {
  LogBuilder log = FourRecords();
  for (size_t cut : {log.start(3) + 3, log.start(3) + 5000, log.start(3) + 40000, log.end(3) - 1}) {
    EXPECT_EQ(FindEnd(log.bytes().substr(0, cut)).value(), log.end(2)) << "cut at " << cut;
  }
}

TEST(WalTailTest, LostPageInsideTheLastRecordIsTheTornTail) {
  for (size_t into : {size_t{5000}, size_t{30000}, size_t{40000}, size_t{69000}}) {
    LogBuilder log = FourRecords();
    ZeroPageAt(&log.bytes(), log.start(3) + into);
    EXPECT_EQ(FindEnd(log.bytes()).value(), log.end(2)) << into << " bytes into the record";
  }
}

TEST(WalTailTest, LostHeaderPageOfTheLastRecordIsTheTornTail) {
  LogBuilder log;
  log.Add(Record(8192, 'a'));  // ends in the middle of page 2
  log.Add(Record(9000, 'b'));
  log.Zeros(50000);
  // The torn record's first bytes share page 2 with record 0, which was synced: keep record 0,
  // lose what record 1 wrote to that page and after.
  // Record 1 spans pages 2 to 4. Page 2 holds record 0's synced end and record 1's header; the
  // crash lost record 1's part of it and page 4, and kept page 3.
  std::string& bytes = log.bytes();
  const std::string original = bytes;
  std::fill(bytes.begin() + static_cast<long>(log.start(1)), bytes.end(), '\0');
  std::copy_n(original.begin() + 3 * kPageBytes, kPageBytes, bytes.begin() + 3 * kPageBytes);
  ASSERT_LT(log.start(1), 3 * kPageBytes);
  ASSERT_GT(log.end(1), 4 * kPageBytes);
  EXPECT_EQ(FindEnd(bytes).value(), log.end(0));
}

TEST(WalTailTest, FlippedByteInTheLastRecordIsCorruption) {
  LogBuilder log = FourRecords();
  log.bytes()[log.start(3) + 20000] ^= 0x5a;
  Result<uint64_t> end = FindEnd(log.bytes());
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().code(), StatusCode::kCorruption);
  EXPECT_NE(end.status().message().find("checksum mismatch"), std::string::npos)
      << end.status().ToString();
}

TEST(WalTailTest, DamageBeforeAnIntactRecordIsCorruptionNotATail) {
  {
    LogBuilder log = FourRecords();
    // A page lost in record 1 (and with it record 2 and the start of 3): 3 goes on after it.
    ZeroPageAt(&log.bytes(), log.start(1) + 4500);
    Result<uint64_t> end = FindEnd(log.bytes());
    ASSERT_FALSE(end.ok());
    EXPECT_NE(end.status().message().find("data after a torn record"), std::string::npos)
        << end.status().ToString();
  }
  {
    LogBuilder log = FourRecords();  // a zeroed page holding record 0 and 1's start
    ZeroPageAt(&log.bytes(), log.start(0));
    Result<uint64_t> end = FindEnd(log.bytes());
    ASSERT_FALSE(end.ok());
    EXPECT_NE(end.status().message().find("intact record after it"), std::string::npos)
        << end.status().ToString();
  }
  {
    LogBuilder log = FourRecords();  // zeros, then data in the same page
    std::fill_n(log.bytes().begin() + static_cast<long>(log.start(3)), 20, '\0');
    log.bytes().resize(log.start(3) + 100);
    EXPECT_EQ(FindEnd(log.bytes()).status().code(), StatusCode::kCorruption);
  }
  {
    LogBuilder log = FourRecords();  // a damaged header
    log.bytes()[log.start(2) + 6] = 9;
    EXPECT_EQ(FindEnd(log.bytes()).status().code(), StatusCode::kCorruption);
  }
}

TEST(WalTailTest, FragmentsOutOfOrderAreCorruption) {
  LogBuilder log;
  log.Add(Record(40000, 'a'));  // a first fragment in block 0, its last in block 1
  log.bytes().resize(kBlockBytes);
  log.Add(Record(10, 'b'));  // a whole record where the last fragment was
  log.Zeros(1000);
  Result<uint64_t> end = FindEnd(log.bytes());
  ASSERT_FALSE(end.ok());
  EXPECT_NE(end.status().message().find("out of order"), std::string::npos)
      << end.status().ToString();
}

// The framing above is LevelDB's: a WAL LevelDB wrote, read as bytes, ends at its own size.
TEST(WalTailTest, AgreesWithAWalLevelDbWrote) {
  store_testing::TempDir dir;
  {
    leveldb::DB* raw = nullptr;
    leveldb::Options options;
    options.create_if_missing = true;
    ASSERT_TRUE(leveldb::DB::Open(options, dir.path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    leveldb::WriteOptions sync;
    sync.sync = true;
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(db->Put(sync, "k" + std::to_string(i), Record(1000 + 997 * i, 'a')).ok());
    }
  }
  std::string wal;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".log") wal = entry.path().string();
  }
  ASSERT_FALSE(wal.empty());
  std::ifstream file(wal, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 3 * kBlockBytes);
  EXPECT_EQ(FindEnd(bytes).value(), bytes.size());
  EXPECT_EQ(FindEnd(bytes + std::string(100000, '\0')).value(), bytes.size());
}

}  // namespace
}  // namespace lifeboat::eventlog::wal
