// A Connection that survives its node (PROTOCOL.md §8.2–§8.4): with highAvailability it fails
// over to another node of the cluster, with reconnect it re-opens the same node, and in both
// cases it resends the request that was in flight with its sequence number negated, so the
// server runs it at most once. Without either option it is a plain Connection.
//
// Unlike the official client, every wait is bounded: a reconnect/failover episode gives up after
// `maxPasses` passes over the nodes or `giveUpAfterMs`, whichever comes first, and a request is
// resent at most `maxResends` times (a script that kills its own connection fails instead of
// looping). Backoff between passes is exponential with jitter. abort() from another thread stops
// the request and any retry at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/topology.h"
#include "net/connection.h"

namespace ddb {

struct ResilienceOptions {
    bool highAvailability = false;
    bool reconnect = false;
    // HA: the nodes to fail over to. Empty: the cluster's data nodes (from getClusterPerf).
    std::vector<Node> sites;
    bool usePublicName = false;
    int maxPasses = -1;   // tryReconnectNums: passes over the node list; < 0: bounded by time only
    int giveUpAfterMs = 30000;   // one reconnect/failover episode never lasts longer
    int firstBackoffMs = 100;
    int maxBackoffMs = 2000;
    int maxResends = 3;
    std::string startup;   // run on every new session (a reconnect loses session variables)

    bool enabled() const { return highAvailability || reconnect; }

    // What a client sets (the backoff and resend bounds are the connection's own).
    static constexpr auto fields() {
        using O = ResilienceOptions;
        return std::make_tuple(field("highAvailability", &O::highAvailability), field("reconnect", &O::reconnect),
                               field("sites", &O::sites), field("usePublicName", &O::usePublicName),
                               field("maxPasses", &O::maxPasses), field("giveUpAfterMs", &O::giveUpAfterMs),
                               field("startup", &O::startup));
    }
};

struct ConnectionEvent {
    enum class Kind { Reconnect, Failover, Resend, GiveUp, AttemptFailed } kind;   // AttemptFailed: one node, one try
    Node from;
    Node to;   // empty host for Resend / GiveUp
    std::string reason;
};
// Called on the connection's thread, with no lock held.
using ConnectionEventSink = std::function<void(const ConnectionEvent&)>;

class ResilientConnection {
public:
    ResilientConnection(ConnectOptions options, ResilienceOptions resilience, ConnectionEventSink onEvent = {});

    // The first connect is a retry episode like any reconnect: with reconnect or HA, a node that
    // does not answer is tried again (maxPasses passes, giveUpAfterMs, backoff), one
    // AttemptFailed event per failed try and a GiveUp event with the official text at the end.
    // abort() from another thread, before or during it, ends it with a NetworkError.
    //
    // The given host (reconnect / plain). HA: the first reachable node, then the least loaded
    // data node by the §8.2 formula if that is another one.
    void connect();
    // HA: the first reachable node, nothing more (the pool spreads connections itself).
    void connectAny();
    // A node the pool chose; with HA, another one if it cannot be reached.
    void connectTo(const Node& node);
    // After abort() or a broken connection: a fresh session on the current node (HA: or another).
    void reopen();

    // `timeoutMeansDeadNode`: a read timeout is the node's fault (fail over) rather than the
    // caller's deadline for this request (fail it).
    Result run(const std::string& script, RequestOptions options, const MessageCallback& onMessage, bool timeoutMeansDeadNode);
    Result call(const std::string& function, const std::vector<Value>& args, RequestOptions options,
                const MessageCallback& onMessage, bool timeoutMeansDeadNode);
    void upload(const std::vector<std::string>& names, const std::vector<Value>& values, RequestOptions options,
                bool timeoutMeansDeadNode);

    // The two halves of run/call, for the pool's reactor, which waits for the reply's first
    // byte itself: start() tags and writes the request (a write failure is kept, not thrown);
    // finish() reads the reply and, on failure, runs the same retry loop as run().
    struct Request {
        const std::string* text = nullptr;   // script, or function name
        const std::vector<Value>* args = nullptr;   // null: a script
        RequestOptions options;
        std::exception_ptr sendError;
    };
    void start(Request& request);
    Result finish(Request& request, bool timeoutMeansDeadNode);
    int fd() const { return conn_.fd(); }
    bool replyBuffered() const { return conn_.replyBuffered(); }

    // Logs the session in as `user`; every later reconnect or failover logs in the same way.
    void login(const std::string& user, const std::string& password, bool encrypted);

    // rpc(getControllerAlias(), getClusterPerf) on this connection.
    std::vector<NodePerf> clusterPerf();

    // A callable that asks the server, over a connection of its own, to cancel the jobs of this
    // session as it is now (best effort, bounded by the connect and a 5 s read timeout). It owns
    // what it needs, so it may run on another thread and outlive this object. Thread-safe.
    std::function<void()> serverJobCanceller() const;
    void abort();
    void close();
    bool isOpen() const { return conn_.isOpen() && !aborted_; }
    std::string sessionId() const;
    Node node() const;
    uint64_t bytesReceived() const { return conn_.bytesReceived(); }
    // The request read timeout (< 0: none); kept across reconnects.
    void setReadTimeout(int ms);
    const ConnectOptions& options() const { return options_; }
    const ResilienceOptions& resilience() const { return resilience_; }
    // The script every later new session runs (Session.setInitScript); not thread-safe against
    // a request in flight: the caller holds its request lock.
    void setStartup(std::string script) { resilience_.startup = std::move(script); }

    uint64_t reconnects() const { return reconnects_; }
    uint64_t failovers() const { return failovers_; }
    uint64_t resends() const { return resends_; }

private:
    void tag(RequestOptions& options);
    template <class First, class Again>
    Result retrying(RequestOptions& options, bool timeoutMeansDeadNode, First&& first, Again&& again);
    template <class Send>
    Result resilient(RequestOptions& options, bool timeoutMeansDeadNode, Send&& send);
    Result roundTrip(const Request& request);
    void open(const Node& node);
    void reestablish(std::optional<Node> preferred, const std::string& reason);
    void switchToLeastLoaded();
    bool pauseUnlessAborted(int ms);
    void emit(ConnectionEvent::Kind kind, const Node& from, const Node& to, const std::string& reason);

    ConnectOptions options_;
    ResilienceOptions resilience_;
    ConnectionEventSink onEvent_;
    std::vector<Node> nodes_;   // where HA may go; reconnect: the one node
    size_t current_ = 0;   // index into nodes_
    Connection conn_;
    std::string clientId_;
    int64_t seqNo_ = 0;
    int readTimeoutMs_;

    mutable std::mutex mu_;   // node_, sessionId_ copies for other threads; abort wakeups
    std::condition_variable wake_;
    Node node_;
    std::string sessionId_ = "0";
    std::atomic<bool> aborted_{false};
    std::atomic<uint64_t> reconnects_{0}, failovers_{0}, resends_{0};
};

}   // namespace ddb
