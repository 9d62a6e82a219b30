#pragma once
// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, RFC 3720 appendix B.4) for log record checksums.
// Debian's LevelDB does not install its crc32c header and OpenSSL offers no CRC-32C, so this is a
// small implementation of our own: the SSE 4.2 CRC32 instruction when the CPU has it, else
// table-driven slicing-by-8. Masking follows LevelDB (util/crc32c.h): a CRC stored next to the
// data it covers is rotated and offset, so a CRC over bytes that embed CRCs does not degenerate.

#include <cstdint>
#include <string_view>

namespace lifeboat::eventlog::crc32c {

// CRC-32C of `data` continued from `init_crc` (the CRC of the preceding bytes; 0 to start).
uint32_t Extend(uint32_t init_crc, std::string_view data);
inline uint32_t Value(std::string_view data) {
  return Extend(0, data);
}
// The table-driven version Extend falls back to without SSE 4.2; tests compare the two.
uint32_t ExtendPortable(uint32_t init_crc, std::string_view data);

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}
inline uint32_t Unmask(uint32_t masked_crc) {
  const uint32_t rotated = masked_crc - kMaskDelta;
  return (rotated >> 17) | (rotated << 15);
}

}  // namespace lifeboat::eventlog::crc32c
