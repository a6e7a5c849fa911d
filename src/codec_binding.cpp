// dolphindb.io: dumps/loads through the C++ codec and the conversion layer.
#include <pybind11/pybind11.h>

#include "protocol/codec.h"
#include "pyconvert.h"

namespace py = pybind11;

namespace ddbpy {

void registerCodec(py::module_& m) {
    m.def("dumps", [](py::handle obj) {
        ddb::Value v = fromPython(obj);
        std::string bytes;
        {
            py::gil_scoped_release release;
            bytes = ddb::serialize(v);
        }
        return py::bytes(bytes);
    }, "Serializes a Python object as one DolphinDB object (flag word + body).");
    m.def("loads", [](py::bytes data) {
        std::string_view view = data;
        ddb::Value v;
        {
            py::gil_scoped_release release;
            v = ddb::deserialize(view);
        }
        return toPython(v);
    }, "Deserializes one DolphinDB object into the Python object the official client returns.");
    m.def("codec_reencode", [](py::bytes data) {
        std::string_view view = data;
        py::gil_scoped_release release;
        std::string out = ddb::serialize(ddb::deserialize(view));
        py::gil_scoped_acquire gil;
        return py::bytes(out);
    }, "C++ decode then encode (parity tests with the server's codec).");
}

}  // namespace ddbpy
