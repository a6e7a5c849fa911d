#include "client_common.h"

#include "convert/convert.h"
#include "errors.h"

namespace ddbpy {

PreparedResult prepareResult(ddb::Result&& result, bool tableToList) {
    if (!result) return PreparedResult();
    ToPythonOptions o;
    o.tableToList = tableToList;
    return prepare(std::move(*result), o);
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
