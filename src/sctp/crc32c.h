// CRC32c (Castagnoli, RFC 9260 Appendix A), the SCTP checksum: the SSE4.2 instruction where
// the CPU has it (checked once at run time), a table otherwise.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace peerkit::sctp {

std::uint32_t crc32c(ByteSpan data);
// The CRC of (earlier bytes ++ data), given the CRC of the earlier bytes (0 for none).
std::uint32_t crc32c_extend(std::uint32_t crc_so_far, ByteSpan data);
// The same, always the table (for tests: both paths give the same answers).
std::uint32_t crc32c_portable(ByteSpan data, std::uint32_t crc_so_far = 0);
bool crc32c_hardware_available();

}  // namespace peerkit::sctp
