#include "writers/table_writer.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "errors.h"
#include "net/wait_scope.h"
#include "writers/hash.h"

namespace ddb::writers {

struct TableWriter::Worker {
    int index = 0;
    std::unique_ptr<ResilientConnection> conn;
    std::thread thread;
    std::mutex mu;
    std::condition_variable cv;
    std::vector<ColumnBuilder> open;   // the rows arriving now
    int64_t openRows = 0;
    std::deque<Batch> full;   // sealed chunks of chunkRows_ rows, oldest first
    int64_t queuedRows = 0;   // open + full
    int64_t inflightRows = 0;
    std::vector<Batch> failed;
    int64_t failedRows = 0;
    int64_t sentRows = 0;
    std::atomic<uint64_t> tid{0};
};

TableWriter::TableWriter(TableWriterOptions options)
    : options_(std::move(options)), chunkRows_(std::max<int64_t>(options_.batchSize, kMaxBatchRows)) {
    if (options_.threadCount < 1) throw Error("threadCount must be at least 1");
    for (int i = 0; i < options_.threadCount; ++i) {
        auto w = std::make_unique<Worker>();
        w->index = i;
        for (size_t c = 0; c < options_.types.size(); ++c) w->open.emplace_back(options_.types[c], options_.scales[c]);
        w->conn = std::make_unique<ResilientConnection>(options_.connect, options_.resilience, options_.onEvent);
        w->conn->connectAny();   // throws; the connections opened before are closed by their destructors
        workers_.push_back(std::move(w));
    }
    try {
        for (auto& w : workers_) {
            Worker* raw = w.get();
            {
                std::lock_guard<std::mutex> lock(doneMu_);
                ++running_;
            }
            try {
                raw->thread = std::thread([this, raw] { run(raw); });
            } catch (...) {
                std::lock_guard<std::mutex> lock(doneMu_);
                --running_;
                throw;
            }
        }
    } catch (...) {
        // No thread may outlive a writer that failed to start (a joinable std::thread destroyed
        // would terminate the process).
        joinAll();
        throw;
    }
}

TableWriter::~TableWriter() {
    try {
        waitForCompletion();
        return;
    } catch (...) {
        // Only a WaitScope check of the destroying thread ends that wait early: the threads
        // must still be joined before their writer goes.
    }
    abort("A6", "The writer was destroyed before it finished.");
    joinAll();
}

void TableWriter::joinAll() {
    stopping_ = true;
    exitAll();
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

int TableWriter::threadFor(const Column& column, int64_t row) const {
    if (!routed()) return 0;
    int32_t key;
    if (options_.domain) {
        key = row == 0 && column.length == 1 ? options_.domain->keys(column)[0] : options_.domain->keys(take(column, &row, 1))[0];
    } else {
        hashBuckets(column, row, row + 1, static_cast<uint32_t>(options_.threadCount), &key);
    }
    // Without a domain (an unpartitioned table) a NULL routing value just goes to thread 0. With
    // one, a NULL or out-of-domain value belongs to no partition: the caller refuses the row.
    if (key < 0) return options_.domain ? -1 : 0;
    return key % options_.threadCount;
}

void TableWriter::enqueueLocked(Worker* w) { w->full.push_back(seal(w)); }

TableWriter::Batch TableWriter::seal(Worker* w) {
    Batch b;
    b.rows = w->openRows;
    b.columns.reserve(w->open.size());
    for (auto& builder : w->open) b.columns.push_back(builder.take());
    w->openRows = 0;
    return b;
}

void TableWriter::appendRow(int thread, const Fill& fill) {
    if (exiting_) throw ExitingError("thread is exiting.");
    Worker* w = workers_[static_cast<size_t>(thread)].get();
    std::unique_lock<std::mutex> lock(w->mu);
    try {
        fill(w->open);
    } catch (...) {
        for (auto& b : w->open) b.truncate(w->openRows);
        throw;
    }
    ++w->openRows;
    ++w->queuedRows;
    if (w->openRows >= chunkRows_) enqueueLocked(w);
    bool wake = wakes(w);
    lock.unlock();
    if (wake) w->cv.notify_one();
}

bool TableWriter::wakes(const Worker* w) const {
    // The thread waits for its first row, then (batching) for batchSize rows or the throttle:
    // waking it for any other row would cost a context switch per insert for nothing.
    return w->queuedRows == 1 || w->queuedRows == options_.batchSize || w->openRows == 0;
}

void TableWriter::appendColumns(const std::vector<Column>& columns) {
    if (exiting_) throw ExitingError("thread is exiting.");
    if (columns.size() != options_.types.size()) throw ConversionError("column count mismatch");
    int64_t n = columns.empty() ? 0 : columns[0].length;
    std::vector<std::vector<int64_t>> perThread(workers_.size());
    if (routed()) {
        const Column& key = columns[static_cast<size_t>(options_.routeColumn)];
        std::vector<int32_t> keys(static_cast<size_t>(n));
        if (options_.domain) keys = options_.domain->keys(key);
        else if (n > 0) hashBuckets(key, 0, n, static_cast<uint32_t>(options_.threadCount), keys.data());
        for (int64_t i = 0; i < n; ++i) {
            if (keys[i] < 0 && options_.domain) throw NoPartitionError(i);
            perThread[keys[i] < 0 ? 0 : keys[i] % options_.threadCount].push_back(i);
        }
    }
    for (size_t t = 0; t < workers_.size(); ++t) {
        const int64_t* rows = routed() ? perThread[t].data() : nullptr;
        int64_t count = routed() ? static_cast<int64_t>(perThread[t].size()) : (t == 0 ? n : 0);
        Worker* w = workers_[t].get();
        for (int64_t start = 0; start < count;) {
            std::unique_lock<std::mutex> lock(w->mu);
            int64_t room = chunkRows_ - w->openRows;
            int64_t step = std::min(room, count - start);
            if (rows) {
                for (size_t c = 0; c < columns.size(); ++c) w->open[c].appendRows(columns[c], rows + start, step);
            } else if (start == 0 && step == count) {
                for (size_t c = 0; c < columns.size(); ++c) w->open[c].appendRows(columns[c], nullptr, step);
            } else {
                std::vector<int64_t> slice(static_cast<size_t>(step));
                for (int64_t k = 0; k < step; ++k) slice[k] = start + k;
                for (size_t c = 0; c < columns.size(); ++c) w->open[c].appendRows(columns[c], slice.data(), step);
            }
            w->openRows += step;
            w->queuedRows += step;
            if (w->openRows >= chunkRows_) enqueueLocked(w);
            start += step;
            bool wake = w->queuedRows - step < options_.batchSize || w->openRows == 0;
            lock.unlock();
            if (wake) w->cv.notify_one();
        }
    }
}

Value TableWriter::tableOf(std::vector<Column> columns) const {
    Value t;
    t.form = Form::Table;
    t.columnNames = options_.names;
    t.columns = std::move(columns);
    t.rows = t.columns.empty() ? 0 : static_cast<int32_t>(t.columns[0].length);
    t.cols = static_cast<int32_t>(t.columns.size());
    t.compressMethods = options_.compress;
    return t;
}

void TableWriter::exitAll() {
    exiting_ = true;
    for (auto& w : workers_) {
        { std::lock_guard<std::mutex> lock(w->mu); }   // a thread between its check and its wait sees it
        w->cv.notify_all();
    }
}

void TableWriter::fail(const std::string& code, const std::string& info) {
    {
        std::lock_guard<std::mutex> lock(errorMu_);
        if (errorCode_.empty()) {
            errorCode_ = code;
            errorInfo_ = info;
        }
    }
    exitAll();
}

bool TableWriter::send(Worker* w, Batch& batch) {
    RequestOptions ro;
    ro.flag = flags::kApiClient | (options_.compress.empty() ? 0 : flags::kCompress);
    std::vector<Value> args{tableOf(batch.columns)};
    std::string failure;
    try {
        Result r = w->conn->call(options_.insertScript, args, ro, {}, true);
        if (r && r->form == Form::Scalar && categoryOf(r->type()) == Category::Integral) {
            int64_t n = 0;
            if (integerAt(r->column, 0, &n) && n != batch.rows && options_.log)
                options_.log("Rows changed: " + std::to_string(batch.rows) + " sent, the server reports " + std::to_string(n));
        }
        return true;
    } catch (const ServerError& e) {
        failure = "Failed to save the inserted data: Server Response: '" + e.response + "' script: " + options_.insertScript;
    } catch (const std::exception& e) {
        failure = std::string("Failed to save the inserted data: ") + e.what();
    }
    if (options_.log) options_.log("threadid " + std::to_string(w->tid.load()) + " " + failure);
    fail("A5", failure);
    return false;
}

void TableWriter::run(Worker* w) {
    w->tid = static_cast<uint64_t>(::syscall(SYS_gettid));
    try {
        std::unique_lock<std::mutex> lock(w->mu);
        auto errored = [this] { return exiting_ && !stopping_; };
        for (;;) {
            w->cv.wait(lock, [&] { return w->queuedRows > 0 || stopping_ || exiting_; });
            if (errored() || hasError()) break;
            if (w->queuedRows == 0) {
                if (stopping_) break;
                continue;
            }
            if (options_.batchSize > 1 && options_.throttleMs > 0 && !stopping_) {
                auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.throttleMs);
                w->cv.wait_until(lock, deadline, [&] { return w->queuedRows >= options_.batchSize || stopping_ || exiting_; });
                if (hasError()) break;
            }
            while (w->queuedRows > 0 && !hasError()) {
                Batch b;
                if (!w->full.empty()) {
                    b = std::move(w->full.front());
                    w->full.pop_front();
                } else {
                    b = seal(w);
                }
                w->queuedRows -= b.rows;
                w->inflightRows = b.rows;
                lock.unlock();
                bool ok = send(w, b);
                lock.lock();
                w->inflightRows = 0;
                if (ok) {
                    w->sentRows += b.rows;
                } else {
                    w->failedRows += b.rows;
                    w->failed.push_back(std::move(b));
                }
            }
        }
    } catch (const std::exception& e) {
        // Nothing may escape a native thread: an unexpected failure stops the writer like a server error.
        fail("A8", e.what());
    }
    {
        std::lock_guard<std::mutex> lock(doneMu_);
        --running_;
    }
    doneCv_.notify_all();
}

bool TableWriter::hasError() {
    std::lock_guard<std::mutex> lock(errorMu_);
    return !errorCode_.empty();
}

void TableWriter::waitForCompletion() {
    std::lock_guard<std::mutex> lifecycle(lifecycleMu_);
    if (joined_) return;
    stopping_ = true;
    exitAll();
    {
        std::unique_lock<std::mutex> lock(doneMu_);
        WaitScope::waitOn(doneCv_, lock, -1, [this] { return running_ == 0; });
    }
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
    for (auto& w : workers_) w->conn->close();
    joined_ = true;
}

void TableWriter::abort(const std::string& code, const std::string& info) {
    fail(code, info);
    for (auto& w : workers_) w->conn->abort();
}

TableWriterStatus TableWriter::status() {
    TableWriterStatus s;
    {
        std::lock_guard<std::mutex> lock(errorMu_);
        s.errorCode = errorCode_;
        s.errorInfo = errorInfo_;
    }
    s.isExiting = exiting_;
    for (auto& w : workers_) {
        std::lock_guard<std::mutex> lock(w->mu);
        s.threads.push_back({w->tid.load(), w->sentRows, w->queuedRows + w->inflightRows, w->failedRows});
    }
    return s;
}

std::vector<Value> TableWriter::unwritten() {
    std::vector<Value> out;
    for (auto& w : workers_) {
        std::lock_guard<std::mutex> lock(w->mu);
        for (auto& b : w->failed) out.push_back(tableOf(std::move(b.columns)));
        w->failed.clear();
        w->failedRows = 0;
        for (auto& b : w->full) out.push_back(tableOf(std::move(b.columns)));
        w->full.clear();
        if (w->openRows > 0) out.push_back(tableOf(seal(w.get()).columns));
        w->queuedRows = 0;
    }
    return out;
}

}   // namespace ddb::writers
