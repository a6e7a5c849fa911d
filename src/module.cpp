// dolphindb._core: the only set of translation units that sees Python. Each concern registers
// itself from its own file.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace ddbpy {
void registerErrors(py::module_& m);
void registerCodec(py::module_& m);
void registerSession(py::module_& m);
void registerPool(py::module_& m);
}  // namespace ddbpy

PYBIND11_MODULE(_core, m) {
    m.doc() = "C++ core of the dolphindb drop-in client";
    m.attr("PROTOCOL_DEFAULT") = 0;
    m.attr("PROTOCOL_DDB") = 1;
    m.attr("PROTOCOL_PICKLE") = 2;
    m.attr("PROTOCOL_ARROW") = 3;
    ddbpy::registerErrors(m);
    ddbpy::registerCodec(m);
    ddbpy::registerSession(m);
    ddbpy::registerPool(m);
}
