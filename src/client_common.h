// Shared by the Session and pool bindings: request options from Python keywords, the one
// place C++ errors become Python exception objects, and a GIL-safe holder for callbacks.
#pragma once

#include <pybind11/pybind11.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "cluster/resilient_connection.h"
#include "convert/py_common.h"   // gilSafe
#include "gil.h"
#include "net/connection.h"

namespace py = pybind11;

namespace ddbpy {

// The Python exception instance for a core error (classes registered by src/errors.cpp).
py::object pythonError(std::exception_ptr error);

ddb::RequestOptions requestOptions(int flag, int priority, int parallelism, int fetchSize);
// Failover/reconnect events delivered to a Python callable(kind, from_node, to_node, reason)
// under the GIL; None: no sink.
ddb::ConnectionEventSink eventSink(py::object callback);

}   // namespace ddbpy

#include "convert/convert.h"

namespace ddbpy {
// The conversion layer (src/convert/convert.h), as the client bindings use it.
// A result in two halves: prepareResult() WITHOUT the GIL (null masks, unit conversions, texts;
// may throw ddb::ConversionError), then finish(prepared) with the GIL. An empty Result -> None.
PreparedResult prepareResult(ddb::Result&& result, bool tableToList);
// GIL held. Throws ddb::ConversionError with the official texts.
ddb::Value valueFromPython(py::handle obj);
// Arguments / uploaded objects converted, with compressMethods ({column: 0 none | 1 lz4 |
// 2 delta}, or None) attached to every table among them. Throws ConversionError when a named
// column is in no table, or delta-of-delta is asked for a column it cannot encode.
std::vector<ddb::Value> valuesFromPython(const py::handle& objects, const py::object& compressMethods);
}   // namespace ddbpy
