// dolphindb._core.PoolCore: the native pool as Python sees it. Tasks complete through a Python
// callback invoked on a pool thread with the GIL taken only for conversion and the call; the
// facade turns that into asyncio / concurrent.futures completion (no polling).
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "blocking.h"
#include "client_common.h"
#include "errors.h"
#include "gil.h"
#include "pool/pool.h"

namespace ddbpy {

namespace {

struct TaskHandle {
    std::shared_ptr<ddb::Task> task;
};

// Calls callback(result, exception) exactly once, whatever the conversion throws: on a pool
// thread nothing may escape (it would terminate the process). GIL held.
void deliver(const py::object& callback, PreparedResult& prepared, std::exception_ptr error) {
    py::object value = py::none(), exc = py::none();
    try {
        if (!error) value = finish(prepared);
    } catch (...) {
        error = std::current_exception();
    }
    try {
        if (error) exc = pythonError(error);
        callback(value, exc);
    } catch (py::error_already_set& e) {
        e.discard_as_unraisable("dolphindb pool completion");
    } catch (...) {
        PyErr_SetString(PyExc_RuntimeError, "dolphindb pool completion failed");
        PyErr_WriteUnraisable(callback.ptr());
    }
}

// Finished tasks waiting for the GIL. The pool thread that finds nobody delivering takes the GIL
// once and delivers every finished task, including those other threads add meanwhile; the others
// go back to their connections instead of queueing for the GIL one by one.
class Completions {
public:
    struct Finished {
        std::shared_ptr<py::object> callback;
        PreparedResult prepared;
        std::exception_ptr error;
    };

    // On a pool thread, without the GIL; never throws (nothing may escape a pool thread).
    void add(Finished&& finished) noexcept {
        try {
            {
                std::lock_guard<std::mutex> lock(mu_);
                pending_.push_back(std::move(finished));
                if (delivering_) return;
                delivering_ = true;
            }
            deliverAll();
        } catch (...) {
            // Only an allocation can fail here; the task's awaiter is then left waiting, as it
            // would be if its process ran out of memory anywhere else.
        }
    }

private:
    void deliverAll() {
        NativeThreadGil gil;
        if (!gil.held()) return;   // the interpreter is finalizing: nobody can receive these results
        std::vector<Finished> batch;
        for (;;) {
            batch.clear();   // the previous batch's objects go with the GIL held
            {
                std::lock_guard<std::mutex> lock(mu_);
                if (pending_.empty()) {
                    delivering_ = false;
                    return;
                }
                batch.swap(pending_);
            }
            for (Finished& f : batch) deliver(*f.callback, f.prepared, f.error);
        }
    }

    std::mutex mu_;
    std::vector<Finished> pending_;
    bool delivering_ = false;
};

class PoolCore {
public:
    // The options object is copied: the Python one stays the caller's to change. Connects
    // nothing: open() does.
    PoolCore(ddb::PoolOptions options, py::object onEvent) {
        options.onEvent = eventSink(std::move(onEvent));
        pool_ = std::make_unique<ddb::Pool>(std::move(options));
    }

    // Connects, with the pool's retries, GIL released. Ctrl-C ends it with KeyboardInterrupt,
    // shutdown() from another thread with PoolClosedError.
    void open() {
        waitWithoutGil(WaitOptions{}, [&] { pool().open(); });
    }

    ~PoolCore() {
        if (!pool_) return;
        if (pool_->inheritedByFork()) {
            // Its threads exist only in the parent and tearing it down would shut the parent's
            // sockets down: the child leaves it alone (a bounded, one-time leak).
            (void)pool_.release();
            return;
        }
        if (pool_->onPoolThread()) {
            // The last reference went away in a completion callback: a thread cannot join itself,
            // so another one tears the pool down once this callback has returned.
            std::thread([pool = std::move(pool_)]() mutable { pool.reset(); }).detach();
            return;
        }
        ReleasedGil release;
        pool_.reset();   // waits out a drain begun by a shutdown() from a completion callback
    }

    // callback(result, exception) is called exactly once, from a native thread.
    TaskHandle submit(const std::string& script, const py::object& args, int flag, int priority, int parallelism, int timeoutMs,
                      bool tableToList, py::object callback, const py::object& compressMethods) {
        auto task = std::make_shared<ddb::Task>();
        task->script = script;
        task->options = requestOptions(flag, priority, parallelism, 0);
        task->timeoutMs = timeoutMs;
        if (!args.is_none()) {
            task->kind = ddb::Task::Kind::Function;
            task->args = valuesFromPython(args, compressMethods);
        }
        task->done = [cb = gilSafe(std::move(callback)), completions = completions_, tableToList](
                         ddb::Result&& result, std::exception_ptr error) noexcept {
            // On a pool thread, without the GIL: the GIL-free half of the conversion.
            PreparedResult prepared;
            if (!error) {
                try {
                    prepared = prepareResult(std::move(result), tableToList);
                } catch (...) {
                    error = std::current_exception();
                }
            }
            completions->add({cb, std::move(prepared), error});
        };
        // With the GIL held: queueing takes the pool's lock only briefly, and no pool thread ever
        // waits for the GIL while holding it (Pool::submit).
        pool().submit(task);
        return TaskHandle{task};
    }

    void cancel(const TaskHandle& h) {
        ddb::Pool& p = pool();
        ReleasedGil release;
        p.cancel(h.task);
    }
    void cancelAll(const std::vector<TaskHandle>& handles) {
        ddb::Pool& p = pool();
        std::vector<std::shared_ptr<ddb::Task>> tasks;
        for (const auto& h : handles) tasks.push_back(h.task);
        ReleasedGil release;
        p.cancel(tasks);
    }

    // Ctrl-C ends the wait for running tasks: they are cut at once, then KeyboardInterrupt.
    void shutdown(int timeoutMs) {
        if (pool_->inheritedByFork()) return;   // nothing of it runs in this process
        waitWithoutGil(WaitOptions{}, [&] { pool_->shutdown(timeoutMs); });
    }

    bool isShutdown() const { return pool_->isShutdown(); }
    std::vector<std::string> sessionIds() { return pool().sessionIds(); }

    py::dict stats() {
        ddb::PoolStats s = pool().stats();
        py::dict d;
        d["tasksDone"] = s.tasksDone;
        d["tasksFailed"] = s.tasksFailed;
        d["tasksCancelled"] = s.tasksCancelled;
        d["bytesReceived"] = s.bytesReceived;
        d["resends"] = s.resends;
        d["reconnects"] = s.reconnects;
        d["failovers"] = s.failovers;
        py::dict perNode;
        for (const auto& [node, n] : s.connectionsPerNode) perNode[py::str(node)] = n;
        d["connectionsPerNode"] = perNode;
        d["queued"] = s.queued;
        d["running"] = s.running;
        d["connections"] = s.connections;
        d["threads"] = s.threads;
        return d;
    }

private:
    ddb::Pool& pool() {
        if (pool_->inheritedByFork())
            throw ddb::PoolClosedError(
                "This DBConnectionPool was inherited through fork(): its connections and threads belong to "
                "the parent process. Create a new DBConnectionPool in the child.");
        return *pool_;
    }

    std::shared_ptr<Completions> completions_ = std::make_shared<Completions>();
    std::unique_ptr<ddb::Pool> pool_;
};

}   // namespace

void registerPool(py::module_& m) {
    py::class_<TaskHandle>(m, "TaskHandle").def_property_readonly("finished", [](const TaskHandle& h) {
        return h.task->state.load() == 2;
    });
    py::class_<PoolCore>(m, "PoolCore")
        .def(py::init<ddb::PoolOptions, py::object>(), py::arg("options"), py::arg("on_event") = py::none())
        .def("submit", &PoolCore::submit, py::arg("script"), py::arg("args"), py::arg("flag"), py::arg("priority"),
             py::arg("parallelism"), py::arg("timeout_ms"), py::arg("table_to_list"), py::arg("callback"),
             py::arg("compress_methods") = py::none())
        .def("open", &PoolCore::open)
        .def("cancel", &PoolCore::cancel)
        .def("cancel_all", &PoolCore::cancelAll)
        .def("shutdown", &PoolCore::shutdown, py::arg("timeout_ms"))
        .def("is_shutdown", &PoolCore::isShutdown)
        .def("session_ids", &PoolCore::sessionIds)
        .def("stats", &PoolCore::stats);
}

}   // namespace ddbpy
