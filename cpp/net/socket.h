// A TCP client socket with bounded waits: connect, read and write all honour a timeout, and
// abort() from another thread wakes a blocked read or write at once. A TlsStream (net/tls.h) runs
// over it for TLS connections.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/transport.h"
#include "protocol/io.h"

namespace ddb {

class Socket final : public Transport {
public:
    Socket() = default;
    ~Socket() override;
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    // Throws NetworkError (refused, unreachable, DNS) or TimeoutError.
    void connect(const std::string& host, int port, int timeoutMs, bool keepAlive);
    // Reads 1..n bytes; throws NetworkError on EOF/reset, TimeoutError after readTimeoutMs.
    size_t readSome(void* dst, size_t n) override;
    using Transport::writeAll;
    // One sendmsg() per up to IOV_MAX ranges: column buffers go to the kernel without a copy here.
    void writeAll(std::span<const ByteRange> ranges) override;
    // Wakes any blocked read/write; the socket is unusable afterwards. Thread-safe.
    void abort();
    void close();
    bool isOpen() const { return fd_ >= 0 && !aborted_; }
    int fd() const { return fd_; }

    void setReadTimeout(int ms) { readTimeoutMs_ = ms; }   // < 0: none
    int readTimeout() const { return readTimeoutMs_; }
    void setWriteTimeout(int ms) { writeTimeoutMs_ = ms; }
    const std::string& peer() const { return peer_; }

private:
    void waitFor(short events, int timeoutMs, const char* what);

    int fd_ = -1;
    std::atomic<bool> aborted_{false};
    int readTimeoutMs_ = -1;
    int writeTimeoutMs_ = 30000;
    std::string peer_;
};

// Buffered reads from a Transport: small reads come from a buffer, large ones go straight into
// the caller's memory, so column bytes land in their final Buffer without an extra copy.
class SocketSource final : public Source {
public:
    explicit SocketSource(Transport& transport) : socket_(transport), buffer_(kBufferSize, '\0') {}
    void read(void* dst, size_t n) override;
    void readUntil(char terminator, std::string& out, size_t maxLength) override;
    std::string_view peek() override { return std::string_view(buffer_.data() + pos_, end_ - pos_); }
    void consume(size_t n) override { pos_ += n; }
    uint64_t bytesReceived() const { return received_; }
    // Unconsumed buffered bytes (a complete reply must leave none).
    size_t buffered() const { return end_ - pos_; }

private:
    static constexpr size_t kBufferSize = 256 * 1024;
    void fill();

    Transport& socket_;
    std::string buffer_;
    size_t pos_ = 0;
    size_t end_ = 0;
    uint64_t received_ = 0;
};

}   // namespace ddb
