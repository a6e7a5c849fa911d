// Bare client: the physical limit of a benchmark row. It sends recorded request bytes and reads each
// reply to its last byte (into one buffer, allocated and touched once), nothing else: no decoding.
//
//   replay_client --recording FILE --port N --connect I [--setup I,J,...] --task K
//                 [--tasks N] [--connections C] [--warmup W] [--best 1]
//
// I, J, K are entry numbers in the recording. Every connection sends entry I (the connect
// request), then the setup entries, then the tasks are spread over the connections, one in flight
// per connection. Replies of the connect, setup and warm-up exchanges are compared with the
// recording byte for byte. Prints one JSON object: wall and CPU seconds of the timed tasks (with
// --best 1, of the fastest single task: bulk rows report their best, as the Python workloads do).
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "recording.h"

namespace replay {
namespace {

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "replay_client: %s\n", why.c_str());
    std::exit(1);
}

double cpuSeconds() {
    rusage r{};
    ::getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
}

int dial(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        die("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// One request as the wire carries it: the recorded bytes with this connection's session id.
std::string headOf(const Entry& e, const std::string& sid) {
    std::string_view kind = e.kind();
    std::string head(kind);
    head += ' ';
    head += sid;
    head.append(e.key.substr(kind.size()));
    return head;
}

// Sends head then body (a request's argument bytes, straight from the recording) in as few calls as
// the kernel allows.
void sendAll(int fd, std::string_view head, std::string_view body) {
    iovec iov[2] = {{const_cast<char*>(head.data()), head.size()}, {const_cast<char*>(body.data()), body.size()}};
    int first = iov[0].iov_len ? 0 : 1;
    while (first < 2) {
        msghdr msg{};
        msg.msg_iov = iov + first;
        msg.msg_iovlen = static_cast<size_t>(2 - first);
        ssize_t k = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die(std::string("send failed: ") + std::strerror(errno));
        auto done = static_cast<size_t>(k);
        while (first < 2 && done >= iov[first].iov_len) done -= iov[first++].iov_len;
        if (first < 2) {
            iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + done;
            iov[first].iov_len -= done;
        }
    }
}

// A reply is the recorded prefix, a session id of unknown length, then the recorded rest: its size
// is known once the space after the session id has arrived.
struct ReplyFrame {
    const Entry* entry = nullptr;
    size_t got = 0, total = 0;
    void start(const Entry& e) { entry = &e, got = 0, total = 0; }
    // false: more bytes are needed.
    bool advance(const char* buf) {
        if (!total && got > entry->prefix.size()) {
            const void* sp = std::memchr(buf + entry->prefix.size(), ' ', got - entry->prefix.size());
            if (sp) total = static_cast<const char*>(sp) - buf + entry->rest.size();
        }
        return total && got >= total;
    }
};

void verify(const char* buf, const ReplyFrame& f, std::string* sid) {
    const Entry& e = *f.entry;
    size_t sidLen = f.total - e.prefix.size() - e.rest.size();
    if (f.got != f.total || std::memcmp(buf, e.prefix.data(), e.prefix.size()) != 0 ||
        std::memcmp(buf + e.prefix.size() + sidLen, e.rest.data(), e.rest.size()) != 0)
        die("the reply to " + std::string(e.body().substr(0, 80)) +
            " differs from the recording: " + std::string(buf, std::min<size_t>(f.got, 120)));
    if (sid) sid->assign(buf + e.prefix.size(), sidLen);
}

// A blocking exchange: send, read the whole reply into buf.
void exchange(int fd, const Entry& e, const std::string& sid, std::vector<char>& buf, bool check, std::string* newSid = nullptr) {
    sendAll(fd, headOf(e, sid), e.args);
    ReplyFrame f;
    f.start(e);
    while (!f.advance(buf.data())) {
        size_t want = f.total ? f.total - f.got : buf.size() - f.got;
        if (f.got + want > buf.size()) die("reply larger than its recording");
        ssize_t k = ::recv(fd, buf.data() + f.got, want, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("the server closed the connection or failed: " + std::string(std::strerror(errno)));
        f.got += static_cast<size_t>(k);
    }
    if (check) verify(buf.data(), f, newSid);
}

struct Slot {
    int fd = -1;
    std::string sid, request;
    size_t sent = 0;
    ReplyFrame frame;
    std::vector<char> small;
};

// Tasks over several connections, one in flight on each, driven by one epoll loop.
void fanOut(std::vector<Slot>& slots, const Entry& task, long tasks) {
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    long started = 0, finished = 0;
    auto launch = [&](Slot& s) {
        s.sent = 0;
        s.frame.start(task);
        ssize_t k = ::send(s.fd, s.request.data(), s.request.size(), MSG_NOSIGNAL);
        if (k != static_cast<ssize_t>(s.request.size())) die("a fan-out request did not fit in one send");
        ++started;
    };
    for (Slot& s : slots) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &s;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
        s.small.resize(task.prefix.size() + task.rest.size() + 64);
        if (started < tasks) launch(s);
    }
    epoll_event events[64];
    while (finished < tasks) {
        int n = ::epoll_wait(ep, events, 64, 10000);
        if (n == 0) die("no reply within 10 s");
        for (int i = 0; i < n; ++i) {
            Slot& s = *static_cast<Slot*>(events[i].data.ptr);
            ssize_t k = ::recv(s.fd, s.small.data() + s.frame.got, s.small.size() - s.frame.got, 0);
            if (k <= 0) die("the server closed a fan-out connection");
            s.frame.got += static_cast<size_t>(k);
            if (!s.frame.advance(s.small.data())) continue;
            ++finished;
            if (started < tasks) launch(s);
        }
    }
    ::close(ep);
}

std::vector<size_t> parseList(const std::string& s) {
    std::vector<size_t> out;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t comma = s.find(',', pos);
        if (comma == std::string::npos) comma = s.size();
        out.push_back(std::strtoul(s.c_str() + pos, nullptr, 10));
        pos = comma + 1;
    }
    return out;
}

int run(int argc, char** argv) {
    std::string path, setupList;
    int port = 0;
    long connectId = -1, taskId = -1, tasks = 1, connections = 1, warmup = 1;
    bool best = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string opt = argv[i], val = argv[i + 1];
        if (opt == "--recording") path = val;
        else if (opt == "--port") port = std::atoi(val.c_str());
        else if (opt == "--connect") connectId = std::atol(val.c_str());
        else if (opt == "--setup") setupList = val;
        else if (opt == "--task") taskId = std::atol(val.c_str());
        else if (opt == "--tasks") tasks = std::atol(val.c_str());
        else if (opt == "--connections") connections = std::atol(val.c_str());
        else if (opt == "--warmup") warmup = std::atol(val.c_str());
        else if (opt == "--best") best = val == "1";
        else die("unknown option " + opt);
    }
    if (path.empty() || !port || connectId < 0 || taskId < 0 || tasks < 1 || connections < 1 || (best && connections > 1))
        die("usage: replay_client --recording FILE --port N --connect I [--setup I,J] --task K [--tasks N] [--connections C]");
    Recording rec(path);
    auto entry = [&](size_t id) -> const Entry& {
        if (id >= rec.entries().size()) die("no entry " + std::to_string(id) + " in the recording");
        return rec.entries()[id];
    };
    const Entry& task = entry(static_cast<size_t>(taskId));
    size_t largest = 0;
    for (const Entry& e : rec.entries()) largest = std::max(largest, e.prefix.size() + e.rest.size());
    std::vector<char> buf(largest + 64, 1);   // touched once: replies land in resident memory

    std::vector<Slot> slots(static_cast<size_t>(connections));
    for (Slot& s : slots) {
        s.fd = dial(port);
        exchange(s.fd, entry(static_cast<size_t>(connectId)), "0", buf, true, &s.sid);
        for (size_t id : parseList(setupList)) exchange(s.fd, entry(id), s.sid, buf, true);
        for (long w = 0; w < warmup; ++w) exchange(s.fd, task, s.sid, buf, true);
        s.request = headOf(task, s.sid);
        s.request.append(task.args);
    }
    double cpu0 = cpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    double bestWall = 1e300, bestCpu = 0;
    if (connections == 1) {
        for (long i = 0; i < tasks; ++i) {
            double c0 = best ? cpuSeconds() : 0;
            auto w0 = std::chrono::steady_clock::now();
            exchange(slots[0].fd, task, slots[0].sid, buf, false);
            if (!best) continue;
            double w = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
            if (w < bestWall) bestWall = w, bestCpu = cpuSeconds() - c0;
        }
    } else {
        fanOut(slots, task, tasks);
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = cpuSeconds() - cpu0;
    for (Slot& s : slots) ::close(s.fd);
    if (best) wall = bestWall, cpu = bestCpu, tasks = 1;
    std::printf("{\"wall\": %.9f, \"cpu\": %.9f, \"ops\": %ld, \"reply_bytes\": %zu, \"request_bytes\": %zu}\n", wall, cpu, tasks,
                task.prefix.size() + task.rest.size(), task.key.size() + task.args.size());
    return 0;
}

}   // namespace
}   // namespace replay

int main(int argc, char** argv) { return replay::run(argc, argv); }
