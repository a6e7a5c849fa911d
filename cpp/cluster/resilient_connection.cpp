#include "cluster/resilient_connection.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "errors.h"
#include "net/wait_scope.h"

namespace ddb {

namespace {

using Clock = std::chrono::steady_clock;

std::mt19937_64& rng() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return engine;
}

// A random (version 4) UUID: the clientId of §2.2.4, unique per connection.
std::string newClientId() {
    uint64_t hi = rng()(), lo = rng()();
    hi = (hi & ~0xF000ULL) | 0x4000ULL;
    lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);
    char text[37];
    std::snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
                  (unsigned long long)((hi >> 16) & 0xFFFF), (unsigned long long)(hi & 0xFFFF), (unsigned long long)(lo >> 48),
                  (unsigned long long)(lo & 0xFFFFFFFFFFFFULL));
    return text;
}

const char* kPerfScript = "rpc(getControllerAlias(), getClusterPerf)";

}   // namespace

ResilientConnection::ResilientConnection(ConnectOptions options, ResilienceOptions resilience, ConnectionEventSink onEvent)
    : options_(std::move(options)),
      resilience_(std::move(resilience)),
      onEvent_(std::move(onEvent)),
      readTimeoutMs_(options_.readTimeoutMs) {
    Node given{options_.host, options_.port};
    if (resilience_.highAvailability) nodes_ = resilience_.sites;
    if (std::find(nodes_.begin(), nodes_.end(), given) == nodes_.end()) nodes_.insert(nodes_.begin(), given);
    if (resilience_.enabled()) clientId_ = newClientId();
    node_ = given;
}

void ResilientConnection::emit(ConnectionEvent::Kind kind, const Node& from, const Node& to, const std::string& reason) {
    if (onEvent_) onEvent_(ConnectionEvent{kind, from, to, reason});
}

void ResilientConnection::open(const Node& node) {
    if (aborted_) throw NetworkError("Connection to " + node.str() + " was aborted");
    ConnectOptions o = options_;
    o.host = node.host;
    o.port = node.port;
    conn_.connect(o);
    conn_.setReadTimeout(readTimeoutMs_);
    {
        std::lock_guard<std::mutex> lock(mu_);
        node_ = node;
        sessionId_ = conn_.sessionId();
    }
    if (!resilience_.startup.empty()) {
        RequestOptions ro;
        ro.flag = options_.sessionFlag & ~(flags::kPickle | flags::kArrowOrTableToList | flags::kAsync);
        conn_.run(resilience_.startup, ro);
    }
}

void ResilientConnection::connectAny() {
    current_ = 0;
    if (!resilience_.enabled()) {
        open(nodes_[0]);
        return;
    }
    reestablish(nodes_[0], "");
}

void ResilientConnection::connect() {
    connectAny();
    if (resilience_.highAvailability) switchToLeastLoaded();
}

void ResilientConnection::connectTo(const Node& node) {
    auto it = std::find(nodes_.begin(), nodes_.end(), node);
    if (it == nodes_.end()) {
        if (resilience_.highAvailability) {
            nodes_.push_back(node);
            it = nodes_.end() - 1;
        } else {
            nodes_.assign(1, node);   // loadBalance without HA: this worker's node is its whole world
            it = nodes_.begin();
        }
    }
    current_ = static_cast<size_t>(it - nodes_.begin());
    if (!resilience_.enabled()) {
        open(node);
        return;
    }
    reestablish(node, "");
}

void ResilientConnection::reopen() {
    aborted_ = false;
    if (!resilience_.enabled()) {
        open(node());
        return;
    }
    reestablish(std::nullopt, "the previous request broke the connection");
}

void ResilientConnection::switchToLeastLoaded() {
    std::vector<NodePerf> perf;
    try {
        perf = clusterPerf();
    } catch (const ServerError&) {
        return;   // a single node without cluster functions: stay where we are
    }
    if (resilience_.sites.empty())
        for (const Node& n : dataNodes(perf))
            if (std::find(nodes_.begin(), nodes_.end(), n) == nodes_.end()) nodes_.push_back(n);
    std::vector<Node> best = spreadLeastLoaded(perf, 1, resilience_.sites.empty() ? std::vector<Node>{} : nodes_);
    Node here = node();
    if (best.empty() || best[0] == here) return;
    try {
        Node target = best[0];
        open(target);
        current_ = static_cast<size_t>(std::find(nodes_.begin(), nodes_.end(), target) - nodes_.begin());
        ++failovers_;
        emit(ConnectionEvent::Kind::Failover, here, target, "least loaded node (PROTOCOL.md 8.2)");
    } catch (const Error&) {
        reestablish(here, "the least loaded node could not be reached");
    }
}

std::vector<NodePerf> ResilientConnection::clusterPerf() {
    Result r = conn_.runInternal(kPerfScript);
    if (!r) throw ProtocolError("getClusterPerf returned nothing");
    return parseClusterPerf(*r, resilience_.usePublicName);
}

bool ResilientConnection::pauseUnlessAborted(int ms) {
    const auto until = Clock::now() + std::chrono::milliseconds(std::max(ms, 0));
    for (;;) {
        WaitScope::check();   // a backoff answers the thread's deadline and Ctrl-C like a read
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        if (left <= 0) return true;
        std::unique_lock<std::mutex> lock(mu_);
        int slice = WaitScope::boundMs(static_cast<int>(left));
        if (wake_.wait_for(lock, std::chrono::milliseconds(slice), [&] { return aborted_.load(); })) return false;
    }
}

void ResilientConnection::reestablish(std::optional<Node> preferred, const std::string& reason) {
    Node from = node();
    conn_.close();
    const auto deadline = Clock::now() + std::chrono::milliseconds(resilience_.giveUpAfterMs);
    int backoff = resilience_.firstBackoffMs;
    int passes = 0;
    std::vector<std::string> tried;   // the nodes of the last pass, in order
    for (;;) {
        // One pass: the preferred node, then every node once, starting after the current one
        // (the node that just failed comes last: it may have come back).
        std::vector<size_t> order;
        if (preferred) {
            auto it = std::find(nodes_.begin(), nodes_.end(), *preferred);
            if (it == nodes_.end()) {
                nodes_.push_back(*preferred);
                it = nodes_.end() - 1;
            }
            order.push_back(static_cast<size_t>(it - nodes_.begin()));
        }
        size_t n = resilience_.highAvailability ? nodes_.size() : 1;
        for (size_t k = 1; k <= n; ++k) {
            size_t i = resilience_.highAvailability ? (current_ + k) % nodes_.size() : current_;
            if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);
        }
        tried.clear();
        for (size_t i : order) {
            if (aborted_) throw NetworkError("Connection to " + from.str() + " was aborted");
            tried.push_back(nodes_[i].str());
            try {
                open(nodes_[i]);
            } catch (const AuthenticationError&) {
                throw;   // a wrong password is not cured by another node or another try
            } catch (const TlsError&) {
                throw;   // nor is a certificate we do not trust, or a node that does not speak TLS
            } catch (const CancelledError&) {
                throw;   // the waiting thread was interrupted (Ctrl-C): not a failed attempt
            } catch (const ServerError& e) {
                // The startup script's own error is the caller's; a node that says it cannot
                // serve (§8.4) is skipped like an unreachable one.
                if (classifyServerError(e.response).kind == ServerErrorKind::Ordinary) throw;
                emit(ConnectionEvent::Kind::AttemptFailed, from, nodes_[i], e.what());
                continue;
            } catch (const Error& e) {
                if (aborted_) break;   // cut by abort(): not a failed attempt
                emit(ConnectionEvent::Kind::AttemptFailed, from, nodes_[i], e.what());
                continue;
            }
            current_ = i;
            if (!reason.empty()) {
                bool moved = nodes_[i] != from;
                ++(moved ? failovers_ : reconnects_);
                emit(moved ? ConnectionEvent::Kind::Failover : ConnectionEvent::Kind::Reconnect, from, nodes_[i], reason);
            }
            return;
        }
        if (aborted_) throw NetworkError("Connection to " + from.str() + " was aborted");
        ++passes;
        auto now = Clock::now();
        bool outOfPasses = resilience_.maxPasses >= 0 && passes >= resilience_.maxPasses;
        if (outOfPasses || now >= deadline || !resilience_.enabled()) break;
        int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
        std::uniform_int_distribution<int> jitter(0, backoff / 2);
        if (!pauseUnlessAborted(std::min(backoff + jitter(rng()), left)))
            throw NetworkError("Connection to " + from.str() + " was aborted");
        backoff = std::min(backoff * 2, resilience_.maxBackoffMs);
        preferred.reset();
    }
    // The official text and the nodes tried. What each node said went out with every attempt
    // (AttemptFailed): users count those lines, so the summary does not repeat it.
    std::string text = (resilience_.highAvailability ? std::string("Connect to nodes") : "Connect to " + from.str()) +
        " failed after " + std::to_string(passes) + " reconnect attempts.";
    if (resilience_.highAvailability) {
        text += " Tried:";
        for (size_t k = 0; k < tried.size(); ++k) text += (k ? ", " : " ") + tried[k];
        text += ".";
    }
    if (!reason.empty()) text += " (reconnecting because: " + reason + ")";
    emit(ConnectionEvent::Kind::GiveUp, from, Node{}, text);
    throw NetworkError(text);
}

void ResilientConnection::tag(RequestOptions& options) {
    if (!resilience_.enabled()) return;
    // A connection a previous request broke: a new session before anything is sent. A failure
    // here ends the request (it is already a whole bounded episode).
    if (!conn_.isOpen()) reestablish(std::nullopt, "the connection was closed");
    options.clientId = clientId_;
    options.seqNo = ++seqNo_;
}

// `first` makes the first attempt, `again` every resend (after a new session).
template <class First, class Again>
Result ResilientConnection::retrying(RequestOptions& options, bool timeoutMeansDeadNode, First&& first, Again&& again) {
    if (!resilience_.enabled()) return first(options);
    for (int resends = 0;; ++resends) {
        std::optional<Node> leader;
        std::string reason;
        try {
            return resends == 0 ? first(options) : again(options);
        } catch (const ServerError& e) {
            ServerErrorClass c = classifyServerError(e.response);
            if (c.kind == ServerErrorKind::Ordinary) throw;
            if (c.kind == ServerErrorKind::ChunkInTransaction && !pauseUnlessAborted(10000)) throw;
            leader = c.leader;
            reason = e.response;
        } catch (const NetworkError& e) {
            if (aborted_) throw;
            reason = e.what();
        } catch (const TimeoutError& e) {
            if (aborted_ || !timeoutMeansDeadNode) throw;
            reason = e.what();
        }
        if (resends >= resilience_.maxResends) {
            std::string text = "Gave up on a request after resending it " + std::to_string(resends) +
                " time(s); last failure on " + node().str() + ": " + reason;
            emit(ConnectionEvent::Kind::GiveUp, node(), Node{}, text);
            throw NetworkError(text);
        }
        // The resend carries -seqNo: a server that already ran it answers with the recorded result.
        options.seqNo = -std::llabs(options.seqNo);
        ++resends_;
        emit(ConnectionEvent::Kind::Resend, node(), Node{}, reason);
        reestablish(leader, reason);
    }
}

template <class Send>
Result ResilientConnection::resilient(RequestOptions& options, bool timeoutMeansDeadNode, Send&& send) {
    tag(options);
    return retrying(options, timeoutMeansDeadNode, send, send);
}

Result ResilientConnection::roundTrip(const Request& r) {
    if (r.args) return conn_.call(*r.text, *r.args, r.options);
    return conn_.run(*r.text, r.options);
}

void ResilientConnection::start(Request& r) {
    tag(r.options);
    try {
        if (r.args) conn_.sendCall(*r.text, *r.args, r.options);
        else conn_.sendScript(*r.text, r.options);
    } catch (const Error&) {
        r.sendError = std::current_exception();
    }
}

Result ResilientConnection::finish(Request& r, bool timeoutMeansDeadNode) {
    auto receive = [&](RequestOptions&) -> Result {
        if (r.sendError) std::rethrow_exception(r.sendError);
        return conn_.receive();
    };
    auto resend = [&](RequestOptions& o) -> Result {
        r.options = o;
        return roundTrip(r);
    };
    return retrying(r.options, timeoutMeansDeadNode, receive, resend);
}

Result ResilientConnection::run(const std::string& script, RequestOptions options, const MessageCallback& onMessage,
                                bool timeoutMeansDeadNode) {
    return resilient(options, timeoutMeansDeadNode, [&](const RequestOptions& o) { return conn_.run(script, o, onMessage); });
}

Result ResilientConnection::call(const std::string& function, const std::vector<Value>& args, RequestOptions options,
                                 const MessageCallback& onMessage, bool timeoutMeansDeadNode) {
    return resilient(options, timeoutMeansDeadNode,
                     [&](const RequestOptions& o) { return conn_.call(function, args, o, onMessage); });
}

void ResilientConnection::upload(const std::vector<std::string>& names, const std::vector<Value>& values, RequestOptions options,
                                 bool timeoutMeansDeadNode) {
    resilient(options, timeoutMeansDeadNode, [&](const RequestOptions& o) -> Result {
        conn_.upload(names, values, o);
        return std::nullopt;
    });
}

void ResilientConnection::login(const std::string& user, const std::string& password, bool encrypted) {
    if (!conn_.isOpen()) reestablish(std::nullopt, "the connection was closed");
    conn_.login(user, password, encrypted);
    options_.user = user;
    options_.password = password;
    options_.encryptLogin = encrypted;
}

void ResilientConnection::abort() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        aborted_ = true;
    }
    wake_.notify_all();
    conn_.abort();
}

void ResilientConnection::close() { conn_.close(); }

std::function<void()> ResilientConnection::serverJobCanceller() const {
    const Node where = node();
    ConnectOptions o = options_;
    o.host = where.host;
    o.port = where.port;
    o.readTimeoutMs = 5000;
    return [o, session = sessionId()] {
        try {
            Connection killer;
            killer.connect(o);
            Result ids = killer.runInternal("exec rootJobId from getConsoleJobs() where sessionId = " + session);
            if (ids && ids->column.length > 0) killer.callInternal("cancelConsoleJob", {*ids});
        } catch (const std::exception&) {
            // Best effort: a job that cannot be cancelled still ends when its connection does.
        }
    };
}

std::string ResilientConnection::sessionId() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sessionId_;
}

Node ResilientConnection::node() const {
    std::lock_guard<std::mutex> lock(mu_);
    return node_;
}

void ResilientConnection::setReadTimeout(int ms) {
    readTimeoutMs_ = ms;
    conn_.setReadTimeout(ms);
}

}   // namespace ddb
