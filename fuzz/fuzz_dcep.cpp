// DCEP (src/sctp/dcep.h): never crashes; whatever decodes re-encodes to the same bytes.
#include <cstdint>
#include <cstdlib>

#include "sctp/dcep.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace peerkit::sctp;
  const peerkit::ByteSpan in(reinterpret_cast<const std::byte*>(data), size);
  (void)is_ack(in);
  const auto open = decode_open(in);
  if (!open) return 0;
  const auto again = encode_open(*open);
  if (again.size() != size || !std::equal(again.begin(), again.end(), in.begin())) std::abort();
  return 0;
}
