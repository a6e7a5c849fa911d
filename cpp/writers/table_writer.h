// The multithreaded table writer's native core (BULK_WRITERS.md §4): `threadCount` writer
// threads, each with its own ResilientConnection and its own columnar queue. Rows arrive
// already converted to the target column types (the binding converts them once, in insert()),
// are routed to a thread by the partitioning column through the same Domain / hash code as the
// PartitionedTableAppender, and leave in batches of up to max(batchSize, 65535) rows.
//
// No data loss: a row handed to append*() is, at any time, in exactly one place: a thread's
// queue, the batch in flight, the server (counted in sentRows), or a failed batch. unwritten()
// removes and returns the queued and failed rows. With reconnect / highAvailability the
// connection resends an unanswered batch with its negated seqNo, so a batch the server committed
// before the connection broke is answered from the server's dedup log and never written twice.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/resilient_connection.h"
#include "errors.h"
#include "writers/columns.h"
#include "writers/domain.h"

namespace ddb::writers {

struct TableWriterOptions {
    ConnectOptions connect;
    ResilienceOptions resilience;
    ConnectionEventSink onEvent;
    std::string insertScript;   // "tableInsert{loadTable(\"dfs://db\",\"pt\")}", ...
    std::vector<std::string> names;
    std::vector<uint8_t> types;   // raw types (64 + T for array vectors)
    std::vector<int> scales;
    std::vector<CompressMethod> compress;   // empty: send plain
    int threadCount = 1;
    int batchSize = 1;
    int throttleMs = 1000;
    int routeColumn = -1;   // -1: everything to thread 0
    std::shared_ptr<const Domain> domain;   // null: hash(value, threadCount)
    // Called (from a writer thread, no lock held) for what the official client prints.
    std::function<void(const std::string&)> log;
};

struct WriterThreadStatus {
    uint64_t threadId = 0;
    int64_t sentRows = 0;
    int64_t unsentRows = 0;
    int64_t sendFailedRows = 0;
};

struct TableWriterStatus {
    bool isExiting = false;
    std::string errorCode;   // "" or "A1".."A8"
    std::string errorInfo;
    std::vector<WriterThreadStatus> threads;
};

class TableWriter {
public:
    static constexpr int64_t kMaxBatchRows = 65535;

    // Opens every writer connection (throws the first failure, having closed the others) and
    // starts the threads.
    explicit TableWriter(TableWriterOptions options);
    ~TableWriter();
    TableWriter(const TableWriter&) = delete;
    TableWriter& operator=(const TableWriter&) = delete;

    const TableWriterOptions& options() const { return options_; }
    int columnCount() const { return static_cast<int>(options_.types.size()); }

    // One row, converted by `fill(builders)` straight into the queue of the thread `route`
    // chooses: `route(nullptr)` first gives the thread, then fill appends one value per column;
    // if fill throws, the row is undone and the exception propagates. Throws ExitingError once
    // the writer stopped.
    struct Queue;
    using Fill = std::function<void(std::vector<ColumnBuilder>&)>;
    void appendRow(int thread, const Fill& fill);
    // Whole columns (already of the target types): routed row by row, appended per thread. A row
    // in no partition refuses them all (NoPartitionError), before any is queued.
    void appendColumns(const std::vector<Column>& columns);
    struct NoPartitionError : ConversionError {
        explicit NoPartitionError(int64_t row)
            : ConversionError("A value-partition column contain null value at row " + std::to_string(row) + "."), row(row) {}
        int64_t row;
    };

    // The writer thread for a routing value held in `column` row `row` (a converted scalar); -1
    // when the table is partitioned and the value is NULL or in no partition (such a row is
    // refused, not sent: the official writer sends it through thread 0 and lets the server drop
    // or reject it, possibly with the good rows of its batch).
    int threadFor(const Column& column, int64_t row) const;
    bool routed() const { return options_.threadCount > 1 && options_.routeColumn >= 0; }

    // Stops accepting rows, flushes every queue (unless an error was recorded), joins the threads,
    // closes the connections. Idempotent. Bounded by the connections' own bounds; the waiting
    // thread's WaitScope checks (Ctrl-C, a deadline) may end it early by throwing, the threads
    // still running (call abort(), then again waitForCompletion()).
    void waitForCompletion();
    // Stops the writer now: records `code`/`info` as its error (unless one is recorded already)
    // and cuts every connection, a request in flight or a reconnect included. The batch that was
    // in flight counts as failed (the server may or may not have written it) and, with the
    // queued rows, stays available to unwritten(). Thread-safe; the threads end by themselves.
    void abort(const std::string& code, const std::string& info);
    TableWriterStatus status();
    // Removes and returns what was not written: per thread in order, its failed batches then its
    // queued rows, each as a table of the target's columns.
    std::vector<Value> unwritten();
    bool exiting() const { return exiting_; }

    struct ExitingError : std::runtime_error {
        using std::runtime_error::runtime_error;
    };

private:
    struct Batch {
        std::vector<Column> columns;
        int64_t rows = 0;
    };
    struct Worker;
    void run(Worker* w);
    bool send(Worker* w, Batch& batch);
    Batch seal(Worker* w);   // the worker's open builders as a batch (lock held)
    void enqueueLocked(Worker* w);   // open builders full: move them to `full`
    Value tableOf(std::vector<Column> columns) const;
    void fail(const std::string& code, const std::string& info);
    bool hasError();
    bool wakes(const Worker* w) const;   // after an append (lock held): whether the thread must look
    void joinAll();   // stops the threads and joins them, consulting no WaitScope
    void exitAll();   // tells every thread to leave its loop (stopping_ decides whether it flushes first)

    TableWriterOptions options_;
    int64_t chunkRows_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::atomic<bool> exiting_{false};
    std::atomic<bool> stopping_{false};
    std::mutex errorMu_;
    std::string errorCode_, errorInfo_;
    std::mutex lifecycleMu_;
    bool joined_ = false;
    std::mutex doneMu_;
    std::condition_variable doneCv_;
    int running_ = 0;   // threads whose run() has not returned yet
};

}   // namespace ddb::writers
