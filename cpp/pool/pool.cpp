#include "pool/pool.h"

#include <algorithm>

#include "errors.h"

namespace ddb {

std::vector<Node> Pool::placeConnections(ResilienceOptions& workerResilience) {
    const ConnectOptions& c = options_.connect;
    std::vector<Node> targets(options_.size, Node{c.host, c.port});
    if (!options_.loadBalance && !options_.resilience.highAvailability) return targets;
    // One entry connection reads the cluster's nodes and loads, then the workers are placed.
    ResilientConnection entry(c, options_.resilience, options_.onEvent);
    entry.connectAny();
    std::vector<NodePerf> perf;
    try {
        perf = entry.clusterPerf();
    } catch (const ServerError&) {
        if (options_.loadBalance) throw;
        return targets;   // HA against a node without cluster functions: stay on it
    }
    entry.close();
    if (options_.resilience.highAvailability && workerResilience.sites.empty()) workerResilience.sites = dataNodes(perf);
    if (options_.loadBalance) return spreadRoundRobin(perf, options_.size);
    std::vector<Node> placed = spreadLeastLoaded(perf, options_.size, options_.resilience.sites);
    return placed.empty() ? targets : placed;
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
    const int size = options_.size;
    if (size < 1) throw Error("threadNum must be a positive integer");
    const ConnectOptions& c = options_.connect;
    ResilienceOptions workerResilience = options_.resilience;
    std::vector<Node> targets;
    try {
        targets = placeConnections(workerResilience);
    } catch (const AuthenticationError& e) {
        throw AuthenticationError("Failed to connect to " + c.host + ":" + std::to_string(c.port) + ": " + e.what());
    } catch (const TimeoutError& e) {
        throw TimeoutError("Failed to connect to " + c.host + ":" + std::to_string(c.port) + ": " + e.what());
    } catch (const std::exception& e) {
        throw NetworkError("Failed to connect to " + c.host + ":" + std::to_string(c.port) + ": " + e.what());
    }
    std::vector<std::unique_ptr<ResilientConnection>> conns(size);
    std::vector<std::exception_ptr> errors(size);
    {
        std::vector<std::thread> openers;
        openers.reserve(size);
        for (int i = 0; i < size; ++i)
            openers.emplace_back([&, i] {
                try {
                    auto conn = std::make_unique<ResilientConnection>(c, workerResilience, options_.onEvent);
                    conn->connectTo(targets[i]);
                    conns[i] = std::move(conn);
                } catch (...) {
                    errors[i] = std::current_exception();
                }
            });
        for (auto& t : openers) t.join();
    }
    for (int i = 0; i < size; ++i) {
        if (!errors[i]) continue;
        conns.clear();   // closes every connection that did open
        std::string text = "Failed to connect to " + targets[i].str() + ": ";
        try {
            std::rethrow_exception(errors[i]);
        } catch (const AuthenticationError& e) {
            throw AuthenticationError(text + e.what());
        } catch (const TimeoutError& e) {
            throw TimeoutError(text + e.what());
        } catch (const std::exception& e) {
            throw NetworkError(text + e.what());
        }
    }
    for (auto& conn : conns) {
        auto w = std::make_unique<Worker>();
        w->conn = std::move(conn);
        workers_.push_back(std::move(w));
    }
    for (auto& w : workers_) {
        Worker* raw = w.get();
        w->thread = std::thread([this, raw] { workerLoop(raw); });
    }
}

Pool::~Pool() { shutdown(0); }

void Pool::finish(const std::shared_ptr<Task>& task, Result&& r, std::exception_ptr e) {
    if (task->state.exchange(2) == 2) return;
    if (task->done) task->done(std::move(r), e);
}

void Pool::submit(const std::shared_ptr<Task>& task) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (closed_) throw PoolClosedError("The connection pool has been shut down.");
        queue_.push_back(task);
    }
    cv_.notify_one();
}

void Pool::workerLoop(Worker* w) {
    for (;;) {
        std::shared_ptr<Task> task;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
            if (closed_) return;
            task = std::move(queue_.front());
            queue_.pop_front();
            w->current = task;
            task->state = 1;
            ++running_;
        }
        execute(w, task);
        {
            std::lock_guard<std::mutex> lock(mu_);
            w->current.reset();
            --running_;
        }
        idle_.notify_all();
    }
}

void Pool::execute(Worker* w, const std::shared_ptr<Task>& task) {
    ResilientConnection& c = *w->conn;
    const int connectionTimeout = options_.connect.readTimeoutMs;
    Result result;
    std::exception_ptr error;
    uint64_t before = c.bytesReceived();
    try {
        if (!c.isOpen()) {
            // A previous task broke or abandoned this connection: start a fresh session.
            c.reopen();
            before = 0;
        }
        // A task's own timeout fails the task; the connection's read timeout means a dead node.
        c.setReadTimeout(task->timeoutMs >= 0 ? task->timeoutMs : connectionTimeout);
        const bool timeoutMeansDeadNode = task->timeoutMs < 0;
        if (task->kind == Task::Kind::Script)
            result = c.run(task->script, task->options, {}, timeoutMeansDeadNode);
        else
            result = c.call(task->script, task->args, task->options, {}, timeoutMeansDeadNode);
    } catch (...) {
        error = std::current_exception();
    }
    if (c.isOpen()) c.setReadTimeout(connectionTimeout);
    bool cancelled = task->cancelRequested.load();
    {
        std::lock_guard<std::mutex> lock(mu_);
        uint64_t after = c.bytesReceived();
        stats_.bytesReceived += after >= before ? after - before : 0;
        if (cancelled) ++stats_.tasksCancelled;
        else if (error) ++stats_.tasksFailed;
        else ++stats_.tasksDone;
    }
    if (cancelled) {
        finish(task, std::nullopt, std::make_exception_ptr(CancelledError("The task was cancelled.")));
        return;
    }
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const TimeoutError&) {
            // The job may still run on the server: stop it before this worker takes new work.
            cancelOnServer(c.node(), c.sessionId());
        } catch (...) {
        }
    }
    finish(task, std::move(result), error);
}

void Pool::cancelOnServer(const Node& node, const std::string& sessionId) {
    try {
        ConnectOptions o = options_.connect;
        o.host = node.host;
        o.port = node.port;
        o.readTimeoutMs = 5000;
        Connection killer;
        killer.connect(o);
        RequestOptions ro;
        ro.flag = flags::kApiClient;
        Result ids = killer.run("exec rootJobId from getConsoleJobs() where sessionId = " + sessionId, ro);
        if (ids && ids->column.length > 0) killer.call("cancelConsoleJob", {*ids}, ro);
    } catch (const std::exception&) {
        // Best effort: the aborted connection already ended the session on the server side.
    }
}

void Pool::cancel(const std::shared_ptr<Task>& task) {
    ResilientConnection* running = nullptr;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto it = queue_.begin(); it != queue_.end(); ++it) {
            if (*it == task) {
                queue_.erase(it);
                ++stats_.tasksCancelled;
                running = nullptr;
                task->cancelRequested = true;
                break;
            }
        }
        if (!task->cancelRequested) {
            if (task->state != 1) return;
            task->cancelRequested = true;
            for (auto& w : workers_)
                if (w->current == task) running = w->conn.get();
            if (running == nullptr) return;
        }
    }
    if (running == nullptr) {   // it was still queued
        finish(task, std::nullopt, std::make_exception_ptr(CancelledError("The task was cancelled.")));
        return;
    }
    // Outside the lock: this opens a connection. The session id is stable while the task runs.
    cancelOnServer(running->node(), running->sessionId());
    // Normally the server ends the job and the worker finishes the task by itself; if it has not
    // within a grace period, cut its connection (only if it is still this task's).
    std::unique_lock<std::mutex> lock(mu_);
    if (idle_.wait_for(lock, std::chrono::seconds(1), [&] { return task->state.load() == 2; })) return;
    for (auto& w : workers_)
        if (w->current == task) w->conn->abort();
}

void Pool::shutdown(int timeoutMs) {
    std::deque<std::shared_ptr<Task>> dropped;
    {
        std::unique_lock<std::mutex> lock(mu_);
        if (joined_) return;
        closed_ = true;
        dropped.swap(queue_);
    }
    cv_.notify_all();
    for (auto& t : dropped)
        finish(t, std::nullopt, std::make_exception_ptr(PoolClosedError("The connection pool has been shut down.")));
    {
        std::unique_lock<std::mutex> lock(mu_);
        if (!idle_.wait_for(lock, std::chrono::milliseconds(std::max(timeoutMs, 0)), [&] { return running_ == 0; }))
            for (auto& w : workers_)
                if (w->current) w->conn->abort();
    }
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
    for (auto& w : workers_) w->conn->close();
    std::lock_guard<std::mutex> lock(mu_);
    joined_ = true;
}

std::vector<std::string> Pool::sessionIds() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> ids;
    for (auto& w : workers_) ids.push_back(w->conn->sessionId());
    return ids;
}

PoolStats Pool::stats() {
    std::lock_guard<std::mutex> lock(mu_);
    PoolStats s = stats_;
    s.queued = queue_.size();
    s.running = running_;
    s.connections = workers_.size();
    for (auto& w : workers_) {
        s.resends += w->conn->resends();
        s.reconnects += w->conn->reconnects();
        s.failovers += w->conn->failovers();
        std::string where = w->conn->node().str();
        auto it = std::find_if(s.connectionsPerNode.begin(), s.connectionsPerNode.end(),
                               [&](const auto& e) { return e.first == where; });
        if (it == s.connectionsPerNode.end()) s.connectionsPerNode.emplace_back(where, 1);
        else ++it->second;
    }
    return s;
}

}  // namespace ddb
