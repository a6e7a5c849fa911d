// PROTOCOL_ARROW results (PROTOCOL.md §7.2): the framing of an Arrow IPC stream, read off the
// wire into one contiguous buffer without Arrow itself. The binding hands that buffer to pyarrow
// in one call; the message contents (schemas, batches) are validated there.
#pragma once

#include <cstdint>
#include <memory>

#include "protocol/io.h"

namespace ddb {

class Buffer;

// Reads messages (continuation marker 0xFFFFFFFF or the legacy form without it, a flatbuffer
// Message whose bodyLength says how many body bytes follow) up to and including the
// end-of-stream marker, and returns every byte read (`firstByte` already consumed by the
// caller). Throws ProtocolError on malformed framing; with an unknown remaining size (a socket)
// the buffer grows only as bytes arrive.
std::shared_ptr<Buffer> readArrowStream(Source& in, uint8_t firstByte);

}   // namespace ddb
