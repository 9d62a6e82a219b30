#include "eventlog/crc32c.h"

#include <array>

namespace lifeboat::eventlog::crc32c {
namespace {

// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
constexpr uint32_t kPolynomialReflected = 0x82f63b78u;
constexpr size_t kSliceCount = 8;

using Tables = std::array<std::array<uint32_t, 256>, kSliceCount>;

constexpr Tables MakeTables() {
  Tables tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kPolynomialReflected : 0u);
    tables[0][byte] = crc;
  }
  // tables[k][b]: the CRC of byte b followed by k zero bytes (slicing-by-8).
  for (size_t slice = 1; slice < kSliceCount; ++slice) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t previous = tables[slice - 1][byte];
      tables[slice][byte] = (previous >> 8) ^ tables[0][previous & 0xffu];
    }
  }
  return tables;
}

constexpr Tables kTables = MakeTables();

}  // namespace

uint32_t ExtendPortable(uint32_t init_crc, std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  uint32_t crc = ~init_crc;
  while (n >= kSliceCount) {
    // Byte-wise little-endian load: the tables follow the stream's byte order on any host.
    uint32_t low = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                   (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
    uint32_t high = static_cast<uint32_t>(p[4]) | (static_cast<uint32_t>(p[5]) << 8) |
                    (static_cast<uint32_t>(p[6]) << 16) | (static_cast<uint32_t>(p[7]) << 24);
    low ^= crc;
    crc = kTables[7][low & 0xffu] ^ kTables[6][(low >> 8) & 0xffu] ^
          kTables[5][(low >> 16) & 0xffu] ^ kTables[4][low >> 24] ^ kTables[3][high & 0xffu] ^
          kTables[2][(high >> 8) & 0xffu] ^ kTables[1][(high >> 16) & 0xffu] ^
          kTables[0][high >> 24];
    p += kSliceCount;
    n -= kSliceCount;
  }
  while (n > 0) {
    crc = (crc >> 8) ^ kTables[0][(crc ^ *p) & 0xffu];
    ++p;
    --n;
  }
  return ~crc;
}

#if defined(__x86_64__)
namespace {

// SSE 4.2 has a CRC-32C instruction (Intel SDM, CRC32): 8 bytes per instruction, roughly ten
// times the table's speed, which matters for 10 KiB to 50 MiB records on the fsync path.
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t init_crc, std::string_view data) {
  const char* p = data.data();
  size_t n = data.size();
  uint64_t crc = ~init_crc;
  while (n >= 8) {
    uint64_t word;
    __builtin_memcpy(&word, p, 8);
    crc = __builtin_ia32_crc32di(crc, word);
    p += 8;
    n -= 8;
  }
  auto crc32 = static_cast<uint32_t>(crc);
  while (n > 0) {
    crc32 = __builtin_ia32_crc32qi(crc32, static_cast<unsigned char>(*p));
    ++p;
    --n;
  }
  return ~crc32;
}

const bool kHasSse42 = __builtin_cpu_supports("sse4.2");

}  // namespace

uint32_t Extend(uint32_t init_crc, std::string_view data) {
  return kHasSse42 ? ExtendSse42(init_crc, data) : ExtendPortable(init_crc, data);
}
#else
uint32_t Extend(uint32_t init_crc, std::string_view data) {
  return ExtendPortable(init_crc, data);
}
#endif

}  // namespace lifeboat::eventlog::crc32c
