// dolphindb._core: the only set of translation units that sees Python. Each concern registers
// itself from its own file.
#include <pybind11/pybind11.h>

#include "errors.h"
#include "protocol/framing.h"

namespace py = pybind11;

namespace ddbpy {
void registerBlocking(py::module_& m);
void registerCodec(py::module_& m);
void registerOptions(py::module_& m);
void registerSession(py::module_& m);
void registerPool(py::module_& m);
void registerWriters(py::module_& m);
}   // namespace ddbpy

PYBIND11_MODULE(_core, m) {
    m.doc() = "C++ core of the dolphindb drop-in client";
    m.attr("PROTOCOL_DEFAULT") = static_cast<int>(ddb::Protocol::Default);
    m.attr("PROTOCOL_DDB") = static_cast<int>(ddb::Protocol::Ddb);
    m.attr("PROTOCOL_PICKLE") = static_cast<int>(ddb::Protocol::Pickle);
    m.attr("PROTOCOL_ARROW") = static_cast<int>(ddb::Protocol::Arrow);
    ddbpy::registerErrors(m);
    ddbpy::registerBlocking(m);
    ddbpy::registerCodec(m);
    ddbpy::registerOptions(m);
    ddbpy::registerSession(m);
    ddbpy::registerPool(m);
    ddbpy::registerWriters(m);
}
