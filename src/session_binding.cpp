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
                 int sessionFlag, int connectTimeoutMs, int readTimeoutMs) {
        ddb::ConnectOptions o = connectOptions(host, port, user, password, sessionFlag, connectTimeoutMs, readTimeoutMs);
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(mu_);
        conn_.connect(o);
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
            ddb::Result result = conn_.run(script, options, [&](std::string_view m) { messages.emplace_back(m); });
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
            ddb::Result result =
                conn_.call(function, values, options, [&](std::string_view m) { messages.emplace_back(m); });
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
        conn_.upload(names, values, options);
    }

    void close() {
        conn_.abort();   // wakes a request blocked in another thread
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(mu_);
        conn_.close();
    }

    bool isOpen() { return conn_.isOpen(); }
    std::string sessionId() { return conn_.sessionId(); }

private:
    static void deliver(const std::vector<std::string>& messages, const py::object& onMessage) {
        if (onMessage.is_none()) return;
        for (const auto& m : messages) onMessage(m);
    }

    ddb::Connection conn_;
    std::mutex mu_;
};

}  // namespace

void registerSession(py::module_& m) {
    py::class_<SessionCore>(m, "SessionCore")
        .def(py::init<>())
        .def("connect", &SessionCore::connect, py::arg("host"), py::arg("port"), py::arg("user"),
             py::arg("password"), py::arg("flag"), py::arg("connect_timeout_ms"), py::arg("read_timeout_ms"))
        .def("run", &SessionCore::run, py::arg("script"), py::arg("flag"), py::arg("priority"),
             py::arg("parallelism"), py::arg("fetch_size"), py::arg("table_to_list"), py::arg("on_message"))
        .def("call", &SessionCore::call, py::arg("function"), py::arg("args"), py::arg("flag"),
             py::arg("priority"), py::arg("parallelism"), py::arg("table_to_list"), py::arg("on_message"),
             py::arg("compress_methods") = py::none())
        .def("upload", &SessionCore::upload, py::arg("names"), py::arg("objects"), py::arg("flag"),
             py::arg("compress_methods") = py::none())
        .def("close", &SessionCore::close)
        .def("is_open", &SessionCore::isOpen)
        .def("session_id", &SessionCore::sessionId);
}

}  // namespace ddbpy
