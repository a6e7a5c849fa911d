// The byte stream a Connection talks through: a plain TCP Socket, or a TlsStream layered on one.
// Both bound every wait by the socket's timeouts and wake up when the socket is aborted, so the
// callers' timeout and cancellation paths are the same whichever transport runs underneath.
#pragma once

#include <cstddef>

namespace ddb {

class Transport {
public:
    virtual ~Transport() = default;
    // Reads 1..n bytes; throws NetworkError on EOF/reset, TimeoutError after the read timeout.
    virtual size_t readSome(void* dst, size_t n) = 0;
    virtual void writeAll(const void* data, size_t n) = 0;
    // Received bytes kept inside the transport rather than in the kernel (TLS records read ahead
    // or decrypted but not yet consumed): a poller watching the socket would not report them.
    virtual bool hasBuffered() const { return false; }
};

}   // namespace ddb
