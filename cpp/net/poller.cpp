#include "net/poller.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "errors.h"

namespace ddb {

Poller::Poller() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw NetworkError(std::string("epoll_create1 failed: ") + std::strerror(errno));
    event_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_ < 0) {
        ::close(epoll_);
        throw NetworkError(std::string("eventfd failed: ") + std::strerror(errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;   // the wake-up fd: no tag
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, event_, &ev);
}

Poller::~Poller() {
    ::close(event_);
    ::close(epoll_);
}

void Poller::watch(int fd, void* tag) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    ev.data.ptr = tag;
    // Mostly a re-arm of an fd that fired before (one system call); a new fd needs the ADD.
    if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev) == 0) return;
    if (errno == ENOENT && ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) == 0) return;
    throw NetworkError(std::string("epoll_ctl failed: ") + std::strerror(errno));
}

void Poller::unwatch(int fd) {
    if (fd >= 0) ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
}

void Poller::wait(std::vector<void*>& ready, int timeoutMs) {
    epoll_event events[64];
    int n = ::epoll_wait(epoll_, events, 64, timeoutMs < 0 ? -1 : timeoutMs);
    for (int i = 0; i < n; ++i) {
        // epoll_event is packed on x86-64: copy the pointer out rather than bind a reference to it.
        void* const ptr = events[i].data.ptr;
        if (ptr == nullptr) {
            uint64_t drained;
            while (::read(event_, &drained, sizeof drained) > 0) {}
            continue;
        }
        ready.push_back(ptr);
    }
}

void Poller::wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(event_, &one, sizeof one);
}

}   // namespace ddb
