// dolphindb.io through the C++ codec and src/convert: dumps/loads plus codec_reencode for the
// parity tests. Encoding and decoding run with the GIL released.
#include <pybind11/pybind11.h>

#include "client_common.h"
#include "convert/convert.h"
#include "errors.h"
#include "protocol/codec.h"

namespace py = pybind11;

namespace ddbpy {

namespace {

py::bytes dumps(py::handle obj, py::handle types) {
    FromPythonOptions options = fromPythonOptions(types, obj);
    ddb::Value v = fromPython(obj, options);
    std::string bytes;
    {
        ReleasedGil release;
        bytes = ddb::serialize(v);
    }
    return py::bytes(bytes);
}

py::object loads(py::buffer data, bool tableToList) {
    py::buffer_info info = data.request();
    if (info.ndim > 1 || (info.ndim == 1 && info.itemsize != 1 && info.strides[0] != info.itemsize))
        throw py::type_error("loads() expects a bytes-like object");
    std::string_view view(static_cast<const char*>(info.ptr), static_cast<size_t>(info.size * info.itemsize));
    PreparedResult prepared;
    {
        ReleasedGil release;   // `data` (and so `view`) stays alive: the caller holds it
        ToPythonOptions options;
        options.tableToList = tableToList;
        prepared = prepare(ddb::deserialize(view), options);
    }
    return finish(prepared);
}

py::bytes reencode(py::buffer data) {
    py::buffer_info info = data.request();
    std::string_view view(static_cast<const char*>(info.ptr), static_cast<size_t>(info.size * info.itemsize));
    std::string out;
    {
        ReleasedGil release;
        out = ddb::serialize(ddb::deserialize(view));
    }
    return py::bytes(out);
}

// The bytes an upload of `obj` sends with compress=True (tests, bench/compression.py).
py::bytes dumpsCompressed(py::handle obj, py::object compressMethods) {
    std::vector<ddb::Value> values = valuesFromPython(py::make_tuple(obj), compressMethods);
    std::string bytes;
    {
        ReleasedGil release;
        ddb::EncodeOptions eo;
        eo.compressTables = true;
        bytes = ddb::serialize(values[0], eo);
    }
    return py::bytes(bytes);
}

}   // namespace

void registerCodec(py::module_& m) {
    m.def("dumps", &dumps, py::arg("obj"), py::kw_only(), py::arg("types") = py::none(),
          "Serializes a Python object as one DolphinDB object (flag word + body), as the official "
          "dolphindb.io.dumps does. `types`: a DT code, [DT, scale], a type name, or a dict of "
          "column -> type for DataFrames.");
    m.def("loads", &loads, py::arg("data"), py::kw_only(), py::arg("table_to_list") = false,
          "Deserializes one DolphinDB object into the Python object the official client returns. "
          "table_to_list: a table becomes a list of column arrays (pickleTableToList).");
    m.def("codec_dumps_compressed", &dumpsCompressed, py::arg("obj"), py::arg("compress_methods") = py::none(),
          "The bytes of `obj` as a compress=True upload sends them (compressMethods as _options gives them).");
    m.def("codec_reencode", &reencode, py::arg("data"), "C++ decode then encode (parity tests with the server's codec).");
}

}   // namespace ddbpy
