// dolphindb._core: the only translation unit set that sees Python. Each concern registers
// itself from its own file (errors, codec, session, pool).
#include <pybind11/pybind11.h>

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
    m.doc() = "C++ core of the dolphindb drop-in client";
    m.attr("PROTOCOL_DEFAULT") = 0;
    m.attr("PROTOCOL_DDB") = 1;
    m.attr("PROTOCOL_PICKLE") = 2;
    m.attr("PROTOCOL_ARROW") = 3;
}
