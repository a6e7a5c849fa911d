#include "net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <chrono>
#include <cstring>
#include <vector>

#include "errors.h"
#include "net/wait_scope.h"

namespace ddb {

namespace {
std::string errnoText(int err) { return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")"; }

void setNonBlocking(int fd) {
    int fl = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}
}   // namespace

Socket::~Socket() { close(); }

void Socket::connect(const std::string& host, int port, int timeoutMs, bool keepAlive) {
    close();
    aborted_ = false;
    peer_ = host + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc != 0) throw NetworkError("Failed to resolve " + peer_ + ": " + gai_strerror(rc));
    std::string lastError = "no address";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            lastError = errnoText(errno);
            continue;
        }
        setNonBlocking(fd);
        rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno != EINPROGRESS) {
            lastError = errnoText(errno);
            ::close(fd);
            continue;
        }
        if (rc != 0) {
            // In slices, like a read: abort() and the thread's wait scopes (Ctrl-C, a pool closed
            // while it connects) end a connect to a host that does not answer.
            pollfd p{fd, POLLOUT, 0};
            int n;
            for (;;) {
                int left = static_cast<int>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
                n = left <= 0 ? 0 : ::poll(&p, 1, WaitScope::boundMs(std::min(left, 200)));
                if (n > 0 || (n < 0 && errno != EINTR)) break;
                try {
                    if (aborted_) throw NetworkError("Connection to " + peer_ + " was closed");
                    WaitScope::check();
                    if (left <= 0)
                        throw TimeoutError("Connect to " + peer_ + " timed out after " + std::to_string(timeoutMs) + " ms");
                } catch (...) {
                    ::close(fd);
                    freeaddrinfo(res);
                    throw;
                }
            }
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (n < 0 || err != 0) {
                lastError = errnoText(n < 0 ? errno : err);
                ::close(fd);
                continue;
            }
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (keepAlive) {
            int idle = 30, interval = 5, count = 3;
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
        }
        fd_ = fd;
        freeaddrinfo(res);
        return;
    }
    freeaddrinfo(res);
    throw NetworkError("Failed to connect to " + peer_ + ": " + lastError);
}

void Socket::waitFor(short events, int timeoutMs, const char* what) {
    pollfd p{fd_, events, 0};
    for (;;) {
        if (aborted_) throw NetworkError("Connection to " + peer_ + " was closed");
        // Wake up periodically so abort() is noticed even if shutdown() raced with poll(), and
        // for the thread's wait scopes (request deadline, Ctrl-C).
        int slice = WaitScope::boundMs(timeoutMs < 0 ? 200 : std::min(timeoutMs, 200));
        int n = ::poll(&p, 1, slice);
        if (n > 0) return;
        WaitScope::check();
        if (n < 0 && errno != EINTR) throw NetworkError(std::string(what) + " failed on " + peer_ + ": " + errnoText(errno));
        if (n == 0 && timeoutMs >= 0) {
            timeoutMs -= slice;
            if (timeoutMs <= 0) throw TimeoutError(std::string(what) + " from " + peer_ + " timed out");
        }
    }
}

size_t Socket::readSome(void* dst, size_t n) {
    if (fd_ < 0 || aborted_) throw NetworkError("Connection to " + peer_ + " is closed");
    WaitScope::check();
    for (;;) {
        ssize_t got = ::recv(fd_, dst, n, 0);
        if (got > 0) return static_cast<size_t>(got);
        if (got == 0) throw NetworkError("Connection to " + peer_ + " was closed by the server");
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            waitFor(POLLIN, readTimeoutMs_, "Reading");
            continue;
        }
        throw NetworkError("Reading from " + peer_ + " failed: " + errnoText(errno));
    }
}

void Socket::writeAll(std::span<const ByteRange> ranges) {
    if (fd_ < 0 || aborted_) throw NetworkError("Connection to " + peer_ + " is closed");
    std::vector<iovec> iov;
    iov.reserve(ranges.size());
    for (const ByteRange& r : ranges)
        if (r.size) iov.push_back({const_cast<uint8_t*>(r.data), r.size});
    size_t next = 0;   // the first range not sent completely
    while (next < iov.size()) {
        msghdr message{};
        message.msg_iov = iov.data() + next;
        message.msg_iovlen = std::min<size_t>(iov.size() - next, IOV_MAX);
        ssize_t sent = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
        if (sent > 0) {
            auto left = static_cast<size_t>(sent);
            while (left > 0 && left >= iov[next].iov_len) left -= iov[next++].iov_len;
            if (left > 0) {
                iov[next].iov_base = static_cast<char*>(iov[next].iov_base) + left;
                iov[next].iov_len -= left;
            }
            continue;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            waitFor(POLLOUT, writeTimeoutMs_, "Writing");
            continue;
        }
        throw NetworkError("Writing to " + peer_ + " failed: " + errnoText(errno));
    }
}

void Socket::abort() {
    aborted_ = true;
    int fd = fd_;
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

void Socket::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

void SocketSource::fill() {
    if (pos_ == end_) pos_ = end_ = 0;
    size_t got = socket_.readSome(buffer_.data() + end_, buffer_.size() - end_);
    end_ += got;
    received_ += got;
}

void SocketSource::read(void* dst, size_t n) {
    char* out = static_cast<char*>(dst);
    size_t have = end_ - pos_;
    if (have >= n) {
        if (n) std::memcpy(out, buffer_.data() + pos_, n);
        pos_ += n;
        return;
    }
    if (have) std::memcpy(out, buffer_.data() + pos_, have);
    pos_ = end_ = 0;
    out += have;
    n -= have;
    // Large remainders go straight into the destination.
    while (n >= kBufferSize / 4) {
        size_t got = socket_.readSome(out, n);
        received_ += got;
        out += got;
        n -= got;
    }
    while (n > 0) {
        fill();
        size_t take = std::min(n, end_ - pos_);
        std::memcpy(out, buffer_.data() + pos_, take);
        pos_ += take;
        out += take;
        n -= take;
    }
}

void SocketSource::readUntil(char terminator, std::string& out, size_t maxLength) {
    size_t appended = 0;
    for (;;) {
        if (pos_ == end_) fill();
        const char* start = buffer_.data() + pos_;
        const void* hit = std::memchr(start, terminator, end_ - pos_);
        size_t n = hit ? static_cast<const char*>(hit) - start : end_ - pos_;
        if (appended + n > maxLength) throw ProtocolError("string longer than " + std::to_string(maxLength) + " bytes");
        out.append(start, n);
        appended += n;
        pos_ += n;
        if (hit) {
            ++pos_;
            return;
        }
        if (end_ == buffer_.size() && pos_ == end_) pos_ = end_ = 0;
    }
}

}   // namespace ddb
