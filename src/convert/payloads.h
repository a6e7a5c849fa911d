// PICKLE and ARROW results as Python objects (GIL held). Used by finish.cpp.
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "protocol/pickle.h"
#include "protocol/value.h"
#include "protocol/types.h"

namespace py = pybind11;

namespace ddbpy {

// Replays a decoded pickle stream (cpp/protocol/pickle.h) with the allowed globals: the object
// the stream builds, as CPython's unpickler would. numpy arrays whose bytes are in the stream
// wrap the decoded buffer instead of copying it. `form` is the result's form: a MATRIX result's
// object-dtype array is transposed, as the official client does. Errors: ConversionError.
py::object pickledObject(const ddb::pickle::Tree& tree, ddb::Form form);

// pyarrow.Table from an Arrow IPC stream held by `stream` (any buffer-protocol object), read by
// pyarrow in one call and fully validated. Errors: ProtocolError (corrupt stream),
// ConversionError (pyarrow missing).
py::object arrowTable(py::object stream);

// A text column (STRING offsets + bytes, or SYMBOL indices + base) as the pandas array pandas
// itself would make of its strs (pandas 3: an Arrow-backed `str` array over the same bytes), or
// a null object when pandas keeps object columns or the bytes are not valid UTF-8. (finish.cpp)
py::object pandasTextArray(const ddb::Column& column);

// pandas.DataFrame(dict(zip(names, columns)), copy=False), the same frame made without the
// dict constructor's inference where pandas allows it (frames.cpp).
py::object dataFrameOf(const py::tuple& names, const std::vector<py::object>& columns);

// "TypeName: message" of a Python exception (no traceback), for the messages of the errors above.
std::string describe(const py::error_already_set& e);

}   // namespace ddbpy
