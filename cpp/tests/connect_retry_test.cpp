// First-connect retries (ResilientConnection, Pool::open): bounded by tryReconnectNums, one
// AttemptFailed event per try and a GiveUp with the official text, and ended at once by abort(),
// by Pool::shutdown() from another thread and by the waiting thread's wait scope (Ctrl-C).
// Against a port that refuses: a socket bound but not listening.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "cluster/resilient_connection.h"
#include "errors.h"
#include "net/wait_scope.h"
#include "pool/pool.h"

namespace ddb {
namespace {

// A local port that refuses connections for as long as this object lives.
class RefusingPort {
public:
    RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind failed");
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
    }
    ~RefusingPort() { ::close(fd_); }
    int port() const { return port_; }

private:
    int fd_;
    int port_ = 0;
};

// Counts events; `firstAttempt` is ready once a try has failed.
struct Events {
    std::mutex mu;
    int attempts = 0, giveUps = 0;
    std::string lastGiveUp;
    std::promise<void> first;
    bool firstSet = false;

    ConnectionEventSink sink() {
        return [this](const ConnectionEvent& e) {
            std::lock_guard<std::mutex> lock(mu);
            if (e.kind == ConnectionEvent::Kind::AttemptFailed) {
                ++attempts;
                if (!firstSet) first.set_value();
                firstSet = true;
            } else if (e.kind == ConnectionEvent::Kind::GiveUp) {
                ++giveUps;
                lastGiveUp = e.reason;
            }
        };
    }
    int attemptCount() {
        std::lock_guard<std::mutex> lock(mu);
        return attempts;
    }
};

ConnectOptions optionsFor(int port) {
    ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    return o;
}

ResilienceOptions reconnecting(int passes, int giveUpAfterMs = 30000) {
    ResilienceOptions r;
    r.reconnect = true;
    r.maxPasses = passes;
    r.giveUpAfterMs = giveUpAfterMs;
    r.firstBackoffMs = 1;
    r.maxBackoffMs = 5;
    return r;
}

TEST(ConnectRetry, FirstConnectTriesExactlyMaxPassesThenGivesUpWithTheOfficialText) {
    RefusingPort port;
    Events events;
    ResilientConnection c(optionsFor(port.port()), reconnecting(3), events.sink());
    std::string summary = "Connect to 127.0.0.1:" + std::to_string(port.port()) + " failed after 3 reconnect attempts.";
    try {
        c.connect();
        FAIL() << "connected to a refusing port";
    } catch (const NetworkError& e) {
        EXPECT_EQ(e.what(), summary);
    }
    EXPECT_EQ(events.attempts, 3);
    EXPECT_EQ(events.giveUps, 1);
    EXPECT_EQ(events.lastGiveUp, summary);
}

TEST(ConnectRetry, WithoutReconnectTheFirstConnectIsOneTryAndNoEvent) {
    RefusingPort port;
    Events events;
    ResilientConnection c(optionsFor(port.port()), ResilienceOptions{}, events.sink());
    EXPECT_THROW(c.connect(), NetworkError);
    EXPECT_EQ(events.attempts, 0);
}

TEST(ConnectRetry, AnAbortBeforeTheConnectEndsItWithoutATry) {
    RefusingPort port;
    Events events;
    ResilientConnection c(optionsFor(port.port()), reconnecting(-1, 3600000), events.sink());
    c.abort();
    EXPECT_THROW(c.connect(), NetworkError);
    EXPECT_EQ(events.attempts, 0);
    EXPECT_EQ(events.giveUps, 0);
}

PoolOptions poolOptions(int port, int size) {
    PoolOptions o;
    o.connect = optionsFor(port);
    o.size = size;
    o.resilience = reconnecting(-1, 3600000);   // only the event under test ends these retries
    return o;
}

TEST(ConnectRetry, PoolShutdownFromAnotherThreadEndsTheFirstConnectRetries) {
    RefusingPort port;
    Events events;
    PoolOptions o = poolOptions(port.port(), 3);
    o.onEvent = events.sink();
    Pool pool(o);
    auto opened = std::async(std::launch::async, [&] { pool.open(); });
    events.first.get_future().wait();
    pool.shutdown(0);
    EXPECT_THROW(opened.get(), PoolClosedError);
    const int tries = events.attemptCount();
    EXPECT_GE(tries, 1);
    EXPECT_EQ(events.giveUps, 0);   // cut, not given up
    EXPECT_THROW(pool.open(), PoolClosedError);
    EXPECT_EQ(events.attemptCount(), tries);
}

TEST(ConnectRetry, TheWaitingThreadsScopeInterruptsPoolOpen) {
    RefusingPort port;
    Events events;
    PoolOptions o = poolOptions(port.port(), 2);
    o.onEvent = events.sink();
    Pool pool(o);
    std::atomic<bool> interrupt{false};
    std::thread ctrlC([&] {
        events.first.get_future().wait();
        interrupt = true;   // what the binding's scope does when Ctrl-C arrives
    });
    {
        WaitScope scope([&] {
            if (interrupt) throw CancelledError("the wait was interrupted");
        });
        EXPECT_THROW(pool.open(), CancelledError);
    }
    ctrlC.join();
    const int tries = events.attemptCount();
    EXPECT_EQ(events.giveUps, 0);
    EXPECT_THROW(pool.submit(std::make_shared<Task>()), PoolClosedError);
    EXPECT_EQ(events.attemptCount(), tries);
}

}   // namespace
}   // namespace ddb
