// ARROW results: the IPC stream the core read off the socket (cpp/protocol/arrow_stream.h) goes
// to pyarrow in one call, over the decoded buffer (no Python file object, no copy).
#include "convert/payloads.h"
#include "errors.h"

namespace ddbpy {

py::object arrowTable(py::object stream) {
    py::module_ pa;
    try {
        pa = py::module_::import("pyarrow");
    } catch (py::error_already_set& e) {
        throw ddb::ConversionError(std::string("An ARROW result needs pyarrow: ") + e.what());
    }
    try {
        py::object buffer = pa.attr("py_buffer")(stream);
        py::object table = pa.attr("ipc").attr("open_stream")(buffer).attr("read_all")();
        // Offsets, dictionary indices and UTF-8 are checked before anyone reads the columns.
        table.attr("validate")(py::arg("full") = true);
        return table;
    } catch (py::error_already_set& e) {
        if (e.matches(PyExc_MemoryError)) throw;
        throw ddb::ProtocolError(std::string("invalid Arrow IPC stream: ") + e.what());
    }
}

}  // namespace ddbpy
