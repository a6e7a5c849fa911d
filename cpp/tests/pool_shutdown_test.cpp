// Pool::shutdown() is graceful: the tasks accepted before it run to completion and complete
// through their callbacks, later submissions are refused with PoolClosedError, and the wait is
// bounded by its deadline (then queued tasks fail and running ones are cut), in both pool modes.
// The peer is a scripted server on a real socket: it answers the handshake and probes, replies
// INT 2 to "ok" at once and to "slow" after a pause, and never to "silent".
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "errors.h"
#include "pool/pool.h"

namespace ddb {
namespace {

using Clock = std::chrono::steady_clock;

class ScriptedPeer {
public:
    explicit ScriptedPeer(int slowMs) : slowMs_(slowMs), listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind failed");
        socklen_t len = sizeof a;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        ::listen(listener_, 16);
        acceptor_ = std::thread([this] {
            for (;;) {
                int fd = ::accept(listener_, nullptr, nullptr);
                if (fd < 0) return;
                std::lock_guard<std::mutex> lock(mu_);
                fds_.push_back(fd);
                served_.emplace_back([this, fd] { serve(fd); });
            }
        });
    }

    ~ScriptedPeer() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stop_ = true;
            for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
        }
        wake_.notify_all();
        ::shutdown(listener_, SHUT_RDWR);
        acceptor_.join();
        for (auto& t : served_) t.join();
        for (int fd : fds_) ::close(fd);
        ::close(listener_);
    }

    int port() const { return port_; }

private:
    static bool readByte(int fd, char& c) { return ::recv(fd, &c, 1, 0) == 1; }

    void serve(int fd) {
        const std::string intTwo("\x04\x00\x02\x00\x00\x00", 6);
        for (;;) {
            std::string header;
            char c;
            while (readByte(fd, c) && c != '\n') header += c;
            if (header.empty()) return;
            size_t first = header.find(' '), second = header.find(' ', first + 1);
            size_t length = std::stoul(header.substr(second + 1));
            std::string body(length, '\0');
            for (size_t got = 0; got < length;) {
                ssize_t n = ::recv(fd, body.data() + got, length - got, 0);
                if (n <= 0) return;
                got += static_cast<size_t>(n);
            }
            std::string kind = body.substr(0, body.find('\n'));
            std::string rest = body.substr(kind.size() + 1);
            std::string text = kind == "script" ? rest : rest.substr(0, rest.find('\n'));
            std::string reply;
            if (kind == "connect" || text == "getRequiredAPIVersion") {
                reply = "4242 0 1\nOK\n";
            } else if (text == "isNodeInitialized") {
                reply = std::string("4242 1 1\nOK\n\x01\x00\x01", 15);
            } else {
                std::unique_lock<std::mutex> lock(mu_);
                if (text == "silent") wake_.wait(lock, [&] { return stop_; });
                if (text == "slow") wake_.wait_for(lock, std::chrono::milliseconds(slowMs_), [&] { return stop_; });
                if (stop_) return;
                reply = "4242 1 1\nOK\n" + intTwo;
            }
            if (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(reply.size())) return;
        }
    }

    const int slowMs_;
    int listener_;
    int port_ = 0;
    std::thread acceptor_;
    std::mutex mu_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::vector<int> fds_;
    std::vector<std::thread> served_;
};

// What each task's callback received: "2" (its INT result) or its error's type.
class Outcomes {
public:
    std::shared_ptr<Task> task(const std::string& script) {
        auto t = std::make_shared<Task>();
        t->script = script;
        size_t i = next_++;
        t->done = [this, i](Result&& r, std::exception_ptr e) {
            std::string what;
            try {
                if (e) std::rethrow_exception(e);
                what = r ? std::to_string(r->column.data->as<int32_t>()[0]) : "void";
            } catch (const PoolClosedError& err) {
                what = std::string("PoolClosedError: ") + err.what();
            } catch (const std::exception& err) {
                what = std::string("error: ") + err.what();
            }
            std::lock_guard<std::mutex> lock(mu_);
            got_[i] = what;
        };
        return t;
    }
    std::string operator[](size_t i) {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = got_.find(i);
        return it == got_.end() ? "(not completed)" : it->second;
    }

private:
    size_t next_ = 0;
    std::mutex mu_;
    std::map<size_t, std::string> got_;
};

PoolOptions optionsFor(int port, int ioThreads) {
    PoolOptions o;
    o.connect.host = "127.0.0.1";
    o.connect.port = port;
    o.size = 1;
    o.ioThreads = ioThreads;
    return o;
}

void waitRunning(Pool& pool) {
    auto until = Clock::now() + std::chrono::seconds(10);
    while (pool.stats().running == 0 && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

class PoolShutdown : public ::testing::TestWithParam<int> {};

TEST_P(PoolShutdown, AcceptedTasksRunToCompletionAndLateOnesAreRefused) {
    ScriptedPeer peer(300);
    Outcomes out;
    Pool pool(optionsFor(peer.port(), GetParam()));
    pool.open();
    pool.submit(out.task("slow"));
    pool.submit(out.task("ok"));
    pool.submit(out.task("slow"));
    waitRunning(pool);
    std::thread closer([&] { pool.shutdown(60000); });
    while (!pool.isShutdown()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_THROW(pool.submit(out.task("ok")), PoolClosedError);
    closer.join();
    EXPECT_EQ(out[0], "2");
    EXPECT_EQ(out[1], "2");
    EXPECT_EQ(out[2], "2");
    EXPECT_EQ(out[3], "(not completed)");   // refused: its callback is never called
    EXPECT_EQ(pool.stats().tasksDone, 3u);
}

TEST_P(PoolShutdown, TheDeadlineCutsARunningTaskAndFailsTheQueuedOnes) {
    ScriptedPeer peer(0);
    Outcomes out;
    Pool pool(optionsFor(peer.port(), GetParam()));
    pool.open();
    pool.submit(out.task("silent"));
    pool.submit(out.task("ok"));
    waitRunning(pool);
    auto t0 = Clock::now();
    pool.shutdown(300);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    EXPECT_GE(took, 250);
    EXPECT_LT(took, 10000);
    EXPECT_NE(out[0].find("PoolClosedError: The connection pool was shut down while this task ran"), std::string::npos) << out[0];
    EXPECT_NE(out[1].find("PoolClosedError: The connection pool was shut down before this task started"), std::string::npos)
        << out[1];
}

TEST_P(PoolShutdown, ALaterCallShortensTheWaitOfAFirstOne) {
    ScriptedPeer peer(0);
    Outcomes out;
    Pool pool(optionsFor(peer.port(), GetParam()));
    pool.open();
    pool.submit(out.task("silent"));
    waitRunning(pool);
    auto t0 = Clock::now();
    std::thread patient([&] { pool.shutdown(60000); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pool.shutdown(0);
    patient.join();
    EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t0).count(), 10);
    EXPECT_NE(out[0].find("while this task ran"), std::string::npos) << out[0];
}

TEST_P(PoolShutdown, FromACompletionCallbackItReturnsAtOnceAndTheDestructorDrains) {
    ScriptedPeer peer(300);
    Outcomes out;
    auto pool = std::make_unique<Pool>(optionsFor(peer.port(), GetParam()));
    pool->open();
    std::atomic<int64_t> callbackMs{-1};
    auto first = std::make_shared<Task>();
    first->script = "ok";
    first->done = [&](Result&&, std::exception_ptr) {
        auto t0 = Clock::now();
        pool->shutdown(60000);
        callbackMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    };
    pool->submit(first);
    pool->submit(out.task("slow"));   // queued behind it on the only connection
    auto until = Clock::now() + std::chrono::seconds(10);
    while (callbackMs < 0 && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_GE(callbackMs.load(), 0);
    EXPECT_LT(callbackMs.load(), 250);   // did not wait for the slow task its own thread must run
    pool.reset();
    EXPECT_EQ(out[0], "2");
}

INSTANTIATE_TEST_SUITE_P(Modes, PoolShutdown, ::testing::Values(0, 2), [](const auto& info) {
    return info.param == 0 ? std::string("ThreadPerConnection") : std::string("Reactor");
});

}   // namespace
}   // namespace ddb
