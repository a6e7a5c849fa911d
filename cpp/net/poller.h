// Readiness of many sockets in one thread: epoll, plus an eventfd so another thread can wake
// the waiter (new deadline, shutdown). Thread-safe: watch/unwatch/wake from any thread.
#pragma once

#include <vector>

namespace ddb {

class Poller {
public:
    Poller();   // throws NetworkError if the kernel refuses
    ~Poller();
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    // Reports `tag` once when `fd` becomes readable or hangs up (one-shot: watch again to re-arm,
    // with the same or another tag). A fired fd stays registered, disarmed, until unwatched or
    // closed: re-arming it is one epoll_ctl instead of two.
    void watch(int fd, void* tag);
    // Forgets `fd`; an fd closed meanwhile is fine.
    void unwatch(int fd);
    // Appends the tags of ready fds to `ready`; returns after timeoutMs (< 0: no limit), when
    // something is ready, or when wake() is called.
    void wait(std::vector<void*>& ready, int timeoutMs);
    void wake();

private:
    int epoll_ = -1;
    int event_ = -1;
};

}   // namespace ddb
