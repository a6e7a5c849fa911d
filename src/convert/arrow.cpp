// ARROW results: the IPC stream the core read off the socket (cpp/protocol/arrow_stream.h) goes
// to pyarrow in one call, over the decoded buffer (no Python file object, no copy).
#include "convert/payloads.h"
#include "errors.h"

namespace ddbpy {

std::string describe(const py::error_already_set& e) {
    std::string type = py::str(e.type().attr("__name__"));
    std::string text = py::str(e.value());
    return text.empty() ? type : type + ": " + text;
}

py::object arrowTable(py::object stream) {
    py::module_ pa;
    try {
        pa = py::module_::import("pyarrow");
    } catch (py::error_already_set& e) {
        throw ddb::ConversionError("An ARROW result needs pyarrow: " + describe(e));
    }
    try {
        py::object buffer = pa.attr("py_buffer")(stream);
        py::object table = pa.attr("ipc").attr("open_stream")(buffer).attr("read_all")();
        // Offsets, dictionary indices and UTF-8 are checked before anyone reads the columns.
        table.attr("validate")(py::arg("full") = true);
        return table;
    } catch (py::error_already_set& e) {
        if (e.matches(PyExc_MemoryError)) throw;
        throw ddb::ProtocolError("invalid Arrow IPC stream: " + describe(e));
    }
}

}  // namespace ddbpy
