// Replay server: answers DolphinDB API requests from a recording (bench/replay_record.py) so that
// benchmarks measure the client, not the server. One thread, epoll, non-blocking sockets.
//
//   replay_server --recording FILE [--port N]     prints "listening on PORT", stops on SIGTERM/SIGINT
//
// A request is matched on its key (kind, header after the session id, body) and then on its
// argument bytes, compared as they arrive against every recorded request with that key (objects
// are self-delimiting, so the first candidate whose bytes all arrived is the answer). A login call
// matches any arguments: they are framed as scalars and skipped. The reply is the recorded one with
// this connection's session id. A request with no recorded reply gets an error line naming it and
// the connection is closed (its remaining bytes cannot be framed).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "recording.h"

namespace replay {
namespace {

// Bytes one scalar argument takes (flag word included), 0 if more bytes are needed, -1 if it is not
// a scalar this server can frame.
long scalarSize(const char* p, size_t n) {
    if (n < 2) return 0;
    unsigned type = static_cast<unsigned char>(p[0]), form = static_cast<unsigned char>(p[1]);
    if (form != 0) return -1;
    size_t width = 0;
    switch (type) {
        case 1:
        case 2: width = 1; break;   // BOOL, CHAR
        case 3: width = 2; break;   // SHORT
        case 4:
        case 6:
        case 7:
        case 8:
        case 9:
        case 10:
        case 11:
        case 15:   // INT, temporal, FLOAT
            width = 4;
            break;
        case 5:
        case 12:
        case 13:
        case 14:
        case 16: width = 8; break;   // LONG, temporal, DOUBLE
        case 17:
        case 18: {   // SYMBOL, STRING
            const void* nul = std::memchr(p + 2, 0, n - 2);
            return nul ? static_cast<const char*>(nul) - p + 1 : 0;
        }
        default: return -1;
    }
    return n >= 2 + width ? static_cast<long>(2 + width) : 0;
}

struct Conn {
    enum class State { Head, Args, AnyArgs, Write };
    int fd = -1;
    std::string sid;
    State state = State::Head;
    std::string in;   // header and body (and a login call's arguments) of the current request
    std::vector<const Entry*> alive;
    size_t argPos = 0;
    unsigned argCount = 0;
    std::string error;   // an error reply being written; the connection closes after it
    iovec iov[3]{};
    int iovFirst = 0;
    bool waitingForOut = false;
};

class Server {
public:
    Server(const Recording& rec, int port) : rec_(rec) {
        for (const Entry& e : rec.entries()) index_[e.key].push_back(&e);
        listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listenFd_, 512) != 0)
            throw std::runtime_error(std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno));
        socklen_t len = sizeof addr;
        ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        ::sigprocmask(SIG_BLOCK, &mask, nullptr);
        sigFd_ = ::signalfd(-1, &mask, SFD_CLOEXEC);
        watch(listenFd_, EPOLLIN, nullptr);
        watch(sigFd_, EPOLLIN, &sigFd_);
        buf_.resize(1 << 20);
    }

    int port() const { return port_; }

    void run() {
        epoll_event events[256];
        for (;;) {
            int n = ::epoll_wait(epfd_, events, 256, -1);
            if (n < 0 && errno == EINTR) continue;
            for (int i = 0; i < n; ++i) {
                void* tag = events[i].data.ptr;
                if (tag == &sigFd_) return;
                if (tag == nullptr) {
                    accept();
                    continue;
                }
                Conn* c = static_cast<Conn*>(tag);
                if (c->state == Conn::State::Write ? !flush(c) : !readFrom(c)) drop(c);
            }
        }
    }

private:
    void watch(int fd, uint32_t events, void* tag) {
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = tag;
        ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    }
    void rearm(Conn* c, uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = c;
        ::epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &ev);
    }

    void accept() {
        for (;;) {
            int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) return;
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto c = std::make_unique<Conn>();
            c->fd = fd;
            c->sid = std::to_string(1000000000 + ++sessions_);
            watch(fd, EPOLLIN, c.get());
            conns_[c.get()] = std::move(c);
        }
    }

    void drop(Conn* c) {
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr);
        ::close(c->fd);
        conns_.erase(c);
    }

    // false: close the connection.
    bool readFrom(Conn* c) {
        ssize_t n = ::recv(c->fd, buf_.data(), buf_.size(), 0);
        if (n == 0) return false;
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        return feed(c, buf_.data(), static_cast<size_t>(n));
    }

    bool feed(Conn* c, const char* p, size_t n) {
        switch (c->state) {
            case Conn::State::Head: c->in.append(p, n); return head(c);
            case Conn::State::Args: return args(c, p, n);
            case Conn::State::AnyArgs: c->in.append(p, n); return anyArgs(c);
            case Conn::State::Write: return fail(c, "request bytes arrived before the previous reply was written");
        }
        return false;
    }

    bool head(Conn* c) {
        size_t nl = c->in.find('\n');
        if (nl == std::string::npos) {
            if (c->in.size() > 4096) return fail(c, "request header line longer than 4096 bytes");
            return true;
        }
        std::string_view line(c->in.data(), nl);
        size_t s1 = line.find(' '), s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
        if (s2 == std::string_view::npos) return fail(c, "malformed request header: " + std::string(line));
        char* end = nullptr;
        unsigned long bodyLen = std::strtoul(c->in.data() + s2 + 1, &end, 10);
        if (end == c->in.data() + s2 + 1 || bodyLen > (1u << 26))
            return fail(c, "malformed request header: " + std::string(line));
        size_t bodyEnd = nl + 1 + bodyLen;
        if (c->in.size() < bodyEnd) return true;
        key_.assign(line.substr(0, s1));
        key_.append(c->in, s2, bodyEnd - s2);
        auto it = index_.find(key_);
        if (it == index_.end()) return fail(c, "no recorded reply for the request " + printable(key_));
        c->alive = it->second;
        c->argPos = 0;
        std::string rest = c->in.substr(bodyEnd);
        c->in.clear();
        if (c->alive.front()->anyArgs) {
            std::string_view body = c->alive.front()->body();   // function\nNAME\nCOUNT\nENDIAN
            size_t a = body.find('\n'), b = body.find('\n', a + 1);
            c->argCount = static_cast<unsigned>(std::strtoul(body.data() + b + 1, nullptr, 10));
            c->state = Conn::State::AnyArgs;
            c->in = std::move(rest);
            return anyArgs(c);
        }
        c->state = Conn::State::Args;
        return args(c, rest.data(), rest.size());
    }

    bool args(Conn* c, const char* p, size_t n) {
        std::erase_if(c->alive, [&](const Entry* e) {
            size_t left = e->args.size() - c->argPos;
            return n > left || std::memcmp(e->args.data() + c->argPos, p, n) != 0;
        });
        c->argPos += n;
        if (c->alive.empty()) return fail(c, "no recorded reply for the arguments of the request " + printable(key_));
        for (const Entry* e : c->alive)
            if (e->args.size() == c->argPos) return reply(c, *e);
        return true;
    }

    bool anyArgs(Conn* c) {
        size_t pos = 0;
        for (unsigned i = 0; i < c->argCount; ++i) {
            long size = scalarSize(c->in.data() + pos, c->in.size() - pos);
            if (size < 0) return fail(c, "a login argument that is not a scalar this server can frame");
            if (size == 0) return true;
            pos += static_cast<size_t>(size);
        }
        if (pos != c->in.size()) return fail(c, "bytes after the last argument of a login call");
        c->in.clear();
        return reply(c, *c->alive.front());
    }

    bool reply(Conn* c, const Entry& e) {
        c->iov[0] = {const_cast<char*>(e.prefix.data()), e.prefix.size()};
        c->iov[1] = {c->sid.data(), c->sid.size()};
        c->iov[2] = {const_cast<char*>(e.rest.data()), e.rest.size()};
        return startWrite(c);
    }

    bool fail(Conn* c, const std::string& why) {
        std::fprintf(stderr, "replay_server: %s\n", why.c_str());
        c->error = " 0 1\nreplay server: " + why + "\n";
        c->iov[0] = {nullptr, 0};
        c->iov[1] = {c->sid.data(), c->sid.size()};
        c->iov[2] = {c->error.data(), c->error.size()};
        return startWrite(c);
    }

    bool startWrite(Conn* c) {
        c->iovFirst = 0;
        c->state = Conn::State::Write;
        return flush(c);
    }

    bool flush(Conn* c) {
        while (c->iovFirst < 3) {
            ssize_t n = ::writev(c->fd, c->iov + c->iovFirst, 3 - c->iovFirst);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN) return false;
                if (!c->waitingForOut) rearm(c, EPOLLOUT);
                c->waitingForOut = true;
                return true;
            }
            auto done = static_cast<size_t>(n);
            while (c->iovFirst < 3 && done >= c->iov[c->iovFirst].iov_len) done -= c->iov[c->iovFirst++].iov_len;
            if (c->iovFirst < 3) {
                c->iov[c->iovFirst].iov_base = static_cast<char*>(c->iov[c->iovFirst].iov_base) + done;
                c->iov[c->iovFirst].iov_len -= done;
            }
        }
        if (c->waitingForOut) rearm(c, EPOLLIN);
        c->waitingForOut = false;
        c->state = Conn::State::Head;
        return c->error.empty();
    }

    static std::string printable(std::string_view key) {
        std::string out;
        for (char ch : key.substr(0, 160)) out += ch == '\n' ? std::string("\\n") : std::string(1, ch);
        return out;
    }

    const Recording& rec_;
    std::unordered_map<std::string_view, std::vector<const Entry*>> index_;
    std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
    std::vector<char> buf_;
    std::string key_;
    int listenFd_ = -1, epfd_ = -1, sigFd_ = -1, port_ = 0;
    uint64_t sessions_ = 0;
};

}   // namespace
}   // namespace replay

int main(int argc, char** argv) {
    std::string path;
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string opt = argv[i];
        if (opt == "--recording") path = argv[i + 1];
        else if (opt == "--port") port = std::atoi(argv[i + 1]);
        else return std::fprintf(stderr, "replay_server: unknown option %s\n", argv[i]), 2;
    }
    if (path.empty()) return std::fprintf(stderr, "usage: replay_server --recording FILE [--port N]\n"), 2;
    std::signal(SIGPIPE, SIG_IGN);
    try {
        replay::Recording rec(path);
        replay::Server server(rec, port);
        std::printf("listening on %d\n", server.port());
        std::fflush(stdout);
        server.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "replay_server: %s\n", e.what());
        return 1;
    }
    return 0;
}
