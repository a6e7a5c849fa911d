#include "pool/pool.h"

#include "errors.h"

namespace ddb {

Pool::Pool(const ConnectOptions& options, int size) : options_(options) {
    if (size < 1) throw Error("threadNum must be a positive integer");
    std::vector<std::unique_ptr<Connection>> conns(size);
    std::vector<std::exception_ptr> errors(size);
    {
        std::vector<std::thread> openers;
        openers.reserve(size);
        for (int i = 0; i < size; ++i)
            openers.emplace_back([&, i] {
                try {
                    auto c = std::make_unique<Connection>();
                    c->connect(options_);
                    conns[i] = std::move(c);
                } catch (...) {
                    errors[i] = std::current_exception();
                }
            });
        for (auto& t : openers) t.join();
    }
    for (auto& e : errors) {
        if (!e) continue;
        conns.clear();   // closes every connection that did open
        std::string reason;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            reason = ex.what();
        }
        std::string text = "Failed to connect to " + options_.host + ":" + std::to_string(options_.port) + ": " + reason;
        try {
            std::rethrow_exception(e);
        } catch (const AuthenticationError&) {
            throw AuthenticationError(text);
        } catch (const TimeoutError&) {
            throw TimeoutError(text);
        } catch (...) {
            throw NetworkError(text);
        }
    }
    for (auto& c : conns) {
        auto w = std::make_unique<Worker>();
        w->conn = std::move(c);
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
            task->runningOn = w->conn.get();
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
    Connection& c = *w->conn;
    Result result;
    std::exception_ptr error;
    uint64_t before = c.bytesReceived();
    try {
        if (!c.isOpen()) {
            // A previous task broke or abandoned this connection: start a fresh session.
            c.connect(options_);
            before = 0;
        }
        c.setReadTimeout(task->timeoutMs);
        if (task->kind == Task::Kind::Script)
            result = c.run(task->script, task->options);
        else
            result = c.call(task->script, task->args, task->options);
    } catch (...) {
        error = std::current_exception();
    }
    if (c.isOpen()) c.setReadTimeout(options_.readTimeoutMs);
    bool cancelled = task->cancelRequested.load();
    {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.bytesReceived += c.bytesReceived() >= before ? c.bytesReceived() - before : 0;
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
            cancelOnServer(c.sessionId());
        } catch (...) {
        }
    }
    finish(task, std::move(result), error);
}

void Pool::cancelOnServer(const std::string& sessionId) {
    try {
        ConnectOptions o = options_;
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
    Connection* running = nullptr;
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
    cancelOnServer(running->sessionId());
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
    return s;
}

}  // namespace ddb
