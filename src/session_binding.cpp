// dolphindb._core.SessionCore: one connection used from Python. Every network wait and decode
// runs with the GIL released; the mutex makes a Session shared by threads serialize safely.
#include <pybind11/stl.h>

#include <mutex>
#include <vector>

#include "client_common.h"
#include "errors.h"

namespace ddbpy {

namespace {

class SessionCore {
public:
    bool connect(const std::string& host, int port, const std::string& user, const std::string& password,
                 int sessionFlag, int connectTimeoutMs, int readTimeoutMs, bool highAvailability,
                 const std::vector<std::string>& sites, bool reconnect, int tryReconnectNums, int reconnectTimeoutMs,
                 bool usePublicName, const std::string& startup, py::object onEvent) {
        ddb::ConnectOptions o = connectOptions(host, port, user, password, sessionFlag, connectTimeoutMs, readTimeoutMs);
        ddb::ResilienceOptions r = resilienceOptions(highAvailability, sites, reconnect, tryReconnectNums,
                                                     reconnectTimeoutMs, usePublicName, startup);
        auto sink = eventSink(std::move(onEvent));
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(mu_);
        std::unique_ptr<ddb::ResilientConnection> previous;
        {
            std::lock_guard<std::mutex> guard(connMu_);
            previous = std::move(conn_);
        }
        previous.reset();   // a reconnect of the Session object: the old session ends first
        auto conn = std::make_unique<ddb::ResilientConnection>(o, r, sink);
        conn->connect();
        std::lock_guard<std::mutex> guard(connMu_);
        conn_ = std::move(conn);
        return true;
    }

    py::object run(const std::string& script, int flag, int priority, int parallelism, int fetchSize,
                   bool tableToList, const py::object& onMessage) {
        auto options = requestOptions(flag, priority, parallelism, fetchSize);
        std::vector<std::string> messages;
        PreparedResult prepared;
        {
            // I/O, decoding and the GIL-free half of the conversion all run without the GIL.
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(mu_);
            ddb::ResilientConnection& c = connection();
            ddb::Result result = c.run(script, options, [&](std::string_view m) { messages.emplace_back(m); },
                                       timeoutMeansDeadNode(c));
            prepared = prepareResult(std::move(result), tableToList);
        }
        deliver(messages, onMessage);
        return finish(prepared);
    }

    py::object call(const std::string& function, const py::list& args, int flag, int priority, int parallelism,
                    bool tableToList, const py::object& onMessage, const py::object& compressMethods) {
        std::vector<ddb::Value> values = valuesFromPython(args, compressMethods);
        auto options = requestOptions(flag, priority, parallelism, 0);
        std::vector<std::string> messages;
        PreparedResult prepared;
        {
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(mu_);
            ddb::ResilientConnection& c = connection();
            ddb::Result result = c.call(function, values, options,
                                        [&](std::string_view m) { messages.emplace_back(m); }, timeoutMeansDeadNode(c));
            prepared = prepareResult(std::move(result), tableToList);
        }
        deliver(messages, onMessage);
        return finish(prepared);
    }

    void upload(const std::vector<std::string>& names, const py::list& objects, int flag,
                const py::object& compressMethods) {
        std::vector<ddb::Value> values = valuesFromPython(objects, compressMethods);
        auto options = requestOptions(flag, 4, 64, 0);
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(mu_);
        ddb::ResilientConnection& c = connection();
        c.upload(names, values, options, timeoutMeansDeadNode(c));
    }

    void close() {
        py::gil_scoped_release release;
        {
            std::lock_guard<std::mutex> lock(connMu_);
            if (conn_) conn_->abort();   // wakes a request (or a reconnect) blocked in another thread
        }
        std::lock_guard<std::mutex> lock(mu_);
        if (conn_) conn_->close();
    }

    void setStartup(const std::string& script) {
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(mu_);
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
        return conn_ ? conn_->sessionId() : std::string();
    }
    std::string node() {
        std::lock_guard<std::mutex> lock(connMu_);
        return conn_ ? conn_->node().str() : std::string();
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
    static void deliver(const std::vector<std::string>& messages, const py::object& onMessage) {
        if (onMessage.is_none()) return;
        for (const auto& m : messages) onMessage(m);
    }

    // Under mu_ (the request lock).
    ddb::ResilientConnection& connection() {
        if (!conn_) throw ddb::NetworkError(std::string("<Exception> in run: ") + ddb::Connection::kClosedText);
        return *conn_;
    }

    // A Session's read timeout means a dead node when it may fail over or reconnect; otherwise
    // the request fails with the TimeoutError.
    static bool timeoutMeansDeadNode(const ddb::ResilientConnection& c) { return c.resilience().enabled(); }

    std::unique_ptr<ddb::ResilientConnection> conn_;
    std::mutex mu_;       // one request at a time
    std::mutex connMu_;   // guards the conn_ pointer for close()/isOpen() from other threads
};

}  // namespace

void registerSession(py::module_& m) {
    py::class_<SessionCore>(m, "SessionCore")
        .def(py::init<>())
        .def("connect", &SessionCore::connect, py::arg("host"), py::arg("port"), py::arg("user"),
             py::arg("password"), py::arg("flag"), py::arg("connect_timeout_ms"), py::arg("read_timeout_ms"),
             py::arg("high_availability") = false, py::arg("sites") = std::vector<std::string>{},
             py::arg("reconnect") = false, py::arg("try_reconnect_nums") = -1,
             py::arg("reconnect_timeout_ms") = 30000, py::arg("use_public_name") = false,
             py::arg("startup") = std::string(), py::arg("on_event") = py::none())
        .def("run", &SessionCore::run, py::arg("script"), py::arg("flag"), py::arg("priority"),
             py::arg("parallelism"), py::arg("fetch_size"), py::arg("table_to_list"), py::arg("on_message"))
        .def("call", &SessionCore::call, py::arg("function"), py::arg("args"), py::arg("flag"),
             py::arg("priority"), py::arg("parallelism"), py::arg("table_to_list"), py::arg("on_message"),
             py::arg("compress_methods") = py::none())
        .def("upload", &SessionCore::upload, py::arg("names"), py::arg("objects"), py::arg("flag"),
             py::arg("compress_methods") = py::none())
        .def("close", &SessionCore::close)
        .def("set_startup", &SessionCore::setStartup, py::arg("script"))
        .def("busy", &SessionCore::busy)
        .def("is_open", &SessionCore::isOpen)
        .def("session_id", &SessionCore::sessionId)
        .def("node", &SessionCore::node)
        .def("stats", &SessionCore::stats);
}

}  // namespace ddbpy
