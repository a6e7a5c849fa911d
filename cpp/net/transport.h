// The byte stream a Connection talks through: a plain TCP Socket, or a TlsStream layered on one.
// Both bound every wait by the socket's timeouts and wake up when the socket is aborted, so the
// callers' timeout and cancellation paths are the same whichever transport runs underneath.
#pragma once

#include <cstddef>
#include <span>

#include "protocol/io.h"

namespace ddb {

class Transport {
public:
    virtual ~Transport() = default;
    // Reads 1..n bytes; throws NetworkError on EOF/reset, TimeoutError after the read timeout.
    virtual size_t readSome(void* dst, size_t n) = 0;
    // Sends the ranges in order, as one stream of bytes (a request built around column buffers
    // it references: Sink::ranges()).
    virtual void writeAll(std::span<const ByteRange> ranges) = 0;
    void writeAll(const void* data, size_t n) {
        const ByteRange range{static_cast<const uint8_t*>(data), n};
        writeAll(std::span<const ByteRange>(&range, 1));
    }
    // Received bytes kept inside the transport rather than in the kernel (TLS records read ahead
    // or decrypted but not yet consumed): a poller watching the socket would not report them.
    virtual bool hasBuffered() const { return false; }
};

}   // namespace ddb
