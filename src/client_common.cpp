#include "client_common.h"

#include "errors.h"
#include "pyconvert.h"

namespace ddbpy {

namespace {
py::object make(const char* cls, const std::string& text) {
    py::module_ core = py::module_::import("dolphindb._core");
    return core.attr(cls)(text);
}
}  // namespace

py::object pythonError(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const ddb::PoolClosedError& e) {
        return make("PoolClosedError", e.what());
    } catch (const ddb::CancelledError& e) {
        return make("CancelledError", e.what());
    } catch (const ddb::TimeoutError& e) {
        return make("DDBTimeoutError", e.what());
    } catch (const ddb::AuthenticationError& e) {
        return make("AuthenticationError", e.what());
    } catch (const ddb::ServerError& e) {
        return make("ServerError", e.what());
    } catch (const ddb::ProtocolError& e) {
        return make("ProtocolError", e.what());
    } catch (const ddb::NetworkError& e) {
        return make("NetworkError", e.what());
    } catch (const ddb::ConversionError& e) {
        return make("ConversionError", e.what());
    } catch (const ddb::Error& e) {
        return make("DolphinDBError", e.what());
    } catch (py::error_already_set& e) {
        return e.value();
    } catch (const std::bad_alloc&) {
        return py::module_::import("builtins").attr("MemoryError")("out of memory decoding a result");
    } catch (const std::exception& e) {
        return make("DolphinDBError", e.what());
    }
}

py::object resultToPython(const ddb::Result& result, bool tableToList) {
    if (!result) return py::none();
    ToPythonOptions o;
    o.tableToList = tableToList;
    return toPython(*result, o);
}

ddb::Value valueFromPython(py::handle obj) { return fromPython(obj); }

ddb::ConnectOptions connectOptions(const std::string& host, int port, const std::string& user,
                                   const std::string& password, int sessionFlag, int connectTimeoutMs,
                                   int readTimeoutMs) {
    ddb::ConnectOptions o;
    o.host = host;
    o.port = port;
    o.user = user;
    o.password = password;
    o.sessionFlag = sessionFlag;
    o.connectTimeoutMs = connectTimeoutMs;
    o.readTimeoutMs = readTimeoutMs;
    return o;
}

ddb::RequestOptions requestOptions(int flag, int priority, int parallelism, int fetchSize) {
    ddb::RequestOptions o;
    o.flag = flag;
    o.priority = priority;
    o.parallelism = parallelism;
    o.fetchSize = fetchSize;
    return o;
}

}  // namespace ddbpy
