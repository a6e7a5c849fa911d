// dolphindb._core.SessionCore: one connection used from Python. Every network wait and decode
// runs through waitWithoutGil (blocking.h): GIL released, Ctrl-C and deadlines answered; the
// request lock makes a Session shared by threads serialize safely.
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "blocking.h"
#include "client_common.h"
#include "errors.h"
#include "net/wait_scope.h"

namespace ddbpy {

namespace {

// MSG frames (print output) handed to on_message as they arrive, with the GIL taken for each:
// nothing accumulates however much a job prints. If the callback raises, later frames are
// skipped and its exception is raised once the reply has been read (the session stays in step).
class MessageSink {
public:
    explicit MessageSink(const py::object& onMessage) : onMessage_(onMessage) {}
    ddb::MessageCallback callback() {
        if (onMessage_.is_none()) return {};
        return [this](std::string_view text) {
            NativeThreadGil gil;
            if (!gil.held() || failure_) return;   // not held: the interpreter is finalizing
            try {
                PyObject* s = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
                if (!s) throw py::error_already_set();
                onMessage_(py::reinterpret_steal<py::object>(s));
            } catch (py::error_already_set& e) {
                failure_.emplace(std::move(e));
            }
        };
    }
    // GIL held.
    void raiseIfFailed() {
        if (!failure_) return;
        failure_->restore();
        failure_.reset();
        throw py::error_already_set();
    }

private:
    const py::object& onMessage_;
    std::optional<py::error_already_set> failure_;
};

class SessionCore {
public:
    // The connection is published before it connects: close() from another thread ends its
    // retries. A reconnecting session that cannot connect keeps its address and dials again on
    // its next request (another retry episode), as the official client does.
    bool connect(ddb::ConnectOptions o, ddb::ResilienceOptions r, py::object onEvent) {   // copies: used without the GIL
        auto sink = eventSink(std::move(onEvent));
        waitWithoutGil(WaitOptions{}, [&] {
            Exclusive request(*this);
            std::unique_ptr<ddb::ResilientConnection> previous;
            {
                std::lock_guard<std::mutex> guard(connMu_);
                previous = std::move(conn_);
            }
            previous.reset();   // a reconnect of the Session object: the old session ends first
            auto conn = std::make_unique<ddb::ResilientConnection>(o, r, sink);
            {
                std::lock_guard<std::mutex> guard(connMu_);
                conn_ = std::move(conn);
            }
            reopenOnNextRequest_ = false;
            dial();
        });
        return true;
    }

    // Why the last connect (or dial on a request) failed; empty once connected.
    std::string connectError() {
        std::lock_guard<std::mutex> lock(connMu_);
        return connectError_;
    }

    py::object run(const std::string& script, int flag, int priority, int parallelism, int fetchSize, bool tableToList,
                   const py::object& onMessage, int timeoutMs) {
        auto options = requestOptions(flag, priority, parallelism, fetchSize);
        MessageSink messages(onMessage);
        PreparedResult prepared;
        // I/O, decoding and the GIL-free half of the conversion all run without the GIL.
        request(timeoutMs, [&](ddb::ResilientConnection& c) {
            ddb::Result result = c.run(script, options, messages.callback(), timeoutMeansDeadNode(c));
            prepared = prepareResult(std::move(result), tableToList);
        });
        messages.raiseIfFailed();
        return finish(prepared);
    }

    py::object call(const std::string& function, const py::list& args, int flag, int priority, int parallelism, bool tableToList,
                    const py::object& onMessage, const py::object& compressMethods, int timeoutMs) {
        std::vector<ddb::Value> values = valuesFromPython(args, compressMethods);
        auto options = requestOptions(flag, priority, parallelism, 0);
        MessageSink messages(onMessage);
        PreparedResult prepared;
        request(timeoutMs, [&](ddb::ResilientConnection& c) {
            ddb::Result result = c.call(function, values, options, messages.callback(), timeoutMeansDeadNode(c));
            prepared = prepareResult(std::move(result), tableToList);
        });
        messages.raiseIfFailed();
        return finish(prepared);
    }

    // A script (or, given args, a function call) whose result comes with the column types of a
    // table: (result, {name: (type name, DECIMAL scale or None)}), or (result, None) for anything
    // else. The request is DDB-encoded: a PICKLE table does not carry its columns' types.
    py::tuple runWithSchema(const std::string& script, const py::list& args, int flag, int priority, int parallelism,
                            bool tableToList, const py::object& onMessage, int timeoutMs) {
        std::vector<ddb::Value> values = valuesFromPython(args, py::none());
        auto options = requestOptions(flag, priority, parallelism, 0);
        MessageSink messages(onMessage);
        PreparedResult prepared;
        struct ColumnType {
            std::string name, type;
            int scale;
        };
        std::optional<std::vector<ColumnType>> schema;
        request(timeoutMs, [&](ddb::ResilientConnection& c) {
            ddb::Result result = args.empty() ? c.run(script, options, messages.callback(), timeoutMeansDeadNode(c))
                                              : c.call(script, values, options, messages.callback(), timeoutMeansDeadNode(c));
            schema.reset();
            if (result && result->form == ddb::Form::Table) {
                schema.emplace();
                for (size_t i = 0; i < result->columns.size(); ++i) {
                    const ddb::Column& col = result->columns[i];
                    bool array = ddb::isArrayType(col.rawType);
                    ddb::Type elem = array ? ddb::elementTypeOf(col.rawType) : col.type();
                    int scale = !ddb::isDecimal(elem) ? -1 : array && col.values ? col.values->scale : col.scale;
                    schema->push_back({result->columnNames[i], ddb::typeName(col.rawType), scale});
                }
            }
            prepared = prepareResult(std::move(result), tableToList);
        });
        messages.raiseIfFailed();
        py::object types = py::none();
        if (schema) {
            py::dict d;
            for (const auto& c : *schema)
                d[py::str(c.name)] = py::make_tuple(c.type, c.scale < 0 ? py::object(py::none()) : py::object(py::int_(c.scale)));
            types = d;
        }
        return py::make_tuple(finish(prepared), types);
    }

    void login(const std::string& user, const std::string& password, bool encrypted) {
        request(-1, [&](ddb::ResilientConnection& c) { c.login(user, password, encrypted); });
    }

    void upload(const std::vector<std::string>& names, const py::list& objects, int flag, const py::object& compressMethods) {
        std::vector<ddb::Value> values = valuesFromPython(objects, compressMethods);
        auto options = requestOptions(flag, 4, 64, 0);
        request(-1, [&](ddb::ResilientConnection& c) { c.upload(names, values, options, timeoutMeansDeadNode(c)); });
    }

    void close() {
        ReleasedGil release;
        {
            std::lock_guard<std::mutex> lock(connMu_);
            if (conn_) conn_->abort();   // wakes a request (or a reconnect) blocked in another thread
        }
        std::lock_guard<std::timed_mutex> lock(mu_);
        if (conn_) conn_->close();
        reopenOnNextRequest_ = false;
        dialOnNextRequest_ = false;
    }

    void setStartup(const std::string& script) {
        ReleasedGil release;
        Exclusive exclusive(*this);   // after a request in flight, never during its reconnect
        if (conn_) conn_->setStartup(script);
    }

    // A request (or a connect) holds the request lock: another thread is using the session.
    bool busy() {
        if (!mu_.try_lock()) return true;
        mu_.unlock();
        return false;
    }

    bool isOpen() {
        std::lock_guard<std::mutex> lock(connMu_);
        return conn_ && conn_->isOpen();
    }
    std::string sessionId() {
        std::lock_guard<std::mutex> lock(connMu_);
        return conn_ && !dialOnNextRequest_ ? conn_->sessionId() : std::string();
    }
    std::string node() {
        std::lock_guard<std::mutex> lock(connMu_);
        return conn_ && !dialOnNextRequest_ ? conn_->node().str() : std::string();
    }
    py::dict stats() {
        std::lock_guard<std::mutex> lock(connMu_);
        py::dict d;
        d["resends"] = conn_ ? conn_->resends() : 0;
        d["reconnects"] = conn_ ? conn_->reconnects() : 0;
        d["failovers"] = conn_ ? conn_->failovers() : 0;
        return d;
    }

private:
    // Holds mu_ for one request. Waiting for it answers Ctrl-C like any wait; a request from the
    // session's own on_message callback (this thread holds mu_ already) is refused, not deadlocked.
    // `taken`: the lock already taken by takeIfFree, handed over.
    class Exclusive {
    public:
        explicit Exclusive(SessionCore& s, std::unique_lock<std::timed_mutex> taken = {}) : s_(s) {
            if (taken.owns_lock()) {
                taken.release();
            } else {
                if (s.owner_.load() == std::this_thread::get_id())
                    throw ddb::Error("A Session cannot make a request from its own on_message callback");
                while (!s.mu_.try_lock_for(std::chrono::milliseconds(100))) ddb::WaitScope::check();
            }
            s.owner_ = std::this_thread::get_id();
        }
        // The request lock if it is free now, without waiting (so with the GIL held).
        static std::unique_lock<std::timed_mutex> takeIfFree(SessionCore& s) {
            if (s.owner_.load() == std::this_thread::get_id()) return {};   // refused by the constructor
            return std::unique_lock<std::timed_mutex>(s.mu_, std::try_to_lock);
        }
        ~Exclusive() {
            s_.owner_ = std::thread::id();
            s_.mu_.unlock();
        }
        Exclusive(const Exclusive&) = delete;
        Exclusive& operator=(const Exclusive&) = delete;

    private:
        SessionCore& s_;
    };

    // One request: waits without the GIL (Ctrl-C, `timeoutMs` deadline; either cancels the job on
    // the server, see blocking.h). A request whose wait had to be cut leaves its connection closed:
    // the next request opens a new session.
    void request(int timeoutMs, const std::function<void(ddb::ResilientConnection&)>& work) {
        ddb::ResilientConnection* target = nullptr;
        WaitOptions w;
        w.deadlineMs = timeoutMs;
        // The canceller owns what it needs: it may outlive the wait. Nothing to cancel while this
        // request still waits for the session's lock.
        w.stop = [&target] {
            if (target) std::thread(target->serverJobCanceller()).detach();
            return target != nullptr;
        };
        // A free request lock is taken before the GIL is let go, so `busy` is true from the moment
        // a thread's request has begun, as with the official connection's lock.
        std::unique_lock<std::timed_mutex> taken = Exclusive::takeIfFree(*this);
        waitWithoutGil(w, [&] {
            Exclusive exclusive(*this, std::move(taken));
            ddb::ResilientConnection& c = connection();
            target = &c;
            try {
                work(c);
            } catch (const ddb::CancelledError&) {
                if (!c.isOpen()) reopenOnNextRequest_ = true;
                throw;
            }
        });
    }

    // Under mu_, conn_ set: connects it, with its retries. On failure a reconnecting session keeps
    // the connection to dial again on its next request; any other loses it.
    void dial() {
        try {
            conn_->connect();
        } catch (const std::exception& e) {
            bool again = conn_->resilience().enabled();
            std::lock_guard<std::mutex> guard(connMu_);
            connectError_ = e.what();
            dialOnNextRequest_ = again;
            if (!again) conn_.reset();
            throw;
        }
        std::lock_guard<std::mutex> guard(connMu_);
        connectError_.clear();
        dialOnNextRequest_ = false;
    }

    // Under mu_ (the request lock).
    ddb::ResilientConnection& connection() {
        if (!conn_) throw ddb::NetworkError(std::string("<Exception> in run: ") + ddb::Connection::kClosedText);
        if (dialOnNextRequest_) {
            try {
                dial();
            } catch (const ddb::Error&) {
                ddb::rethrowWithPrefix("<Exception> in exec: ");
            }
        } else if (reopenOnNextRequest_) {
            reopenOnNextRequest_ = false;
            if (!conn_->isOpen()) conn_->reopen();
        }
        return *conn_;
    }

    // A Session's read timeout means a dead node when it may fail over or reconnect; otherwise
    // the request fails with the TimeoutError.
    static bool timeoutMeansDeadNode(const ddb::ResilientConnection& c) { return c.resilience().enabled(); }

    std::unique_ptr<ddb::ResilientConnection> conn_;
    std::timed_mutex mu_;   // one request at a time
    std::atomic<std::thread::id> owner_{};
    bool reopenOnNextRequest_ = false;   // under mu_
    std::atomic<bool> dialOnNextRequest_{false};   // written under mu_ (atomic: the getters read it)
    std::string connectError_;   // under connMu_
    std::mutex connMu_;   // guards the conn_ pointer for close()/isOpen() from other threads
};

}   // namespace

void registerSession(py::module_& m) {
    py::class_<SessionCore>(m, "SessionCore")
        .def(py::init<>())
        .def("connect", &SessionCore::connect, py::arg("options"), py::arg("resilience"), py::arg("on_event") = py::none())
        .def("login", &SessionCore::login, py::arg("user"), py::arg("password"), py::arg("encrypted"))
        .def("run", &SessionCore::run, py::arg("script"), py::arg("flag"), py::arg("priority"), py::arg("parallelism"),
             py::arg("fetch_size"), py::arg("table_to_list"), py::arg("on_message"), py::arg("timeout_ms") = -1)
        .def("call", &SessionCore::call, py::arg("function"), py::arg("args"), py::arg("flag"), py::arg("priority"),
             py::arg("parallelism"), py::arg("table_to_list"), py::arg("on_message"), py::arg("compress_methods") = py::none(),
             py::arg("timeout_ms") = -1)
        .def("run_with_schema", &SessionCore::runWithSchema, py::arg("script"), py::arg("args"), py::arg("flag"),
             py::arg("priority"), py::arg("parallelism"), py::arg("table_to_list"), py::arg("on_message"),
             py::arg("timeout_ms") = -1)
        .def("upload", &SessionCore::upload, py::arg("names"), py::arg("objects"), py::arg("flag"),
             py::arg("compress_methods") = py::none())
        .def("connect_error", &SessionCore::connectError)
        .def("close", &SessionCore::close)
        .def("set_startup", &SessionCore::setStartup, py::arg("script"))
        .def("busy", &SessionCore::busy)
        .def("is_open", &SessionCore::isOpen)
        .def("session_id", &SessionCore::sessionId)
        .def("node", &SessionCore::node)
        .def("stats", &SessionCore::stats);
}

}   // namespace ddbpy
