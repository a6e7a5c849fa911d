// Conversion between ddb::Value and Python objects (OFFICIAL_API.md §4.2 download, §4.4 upload).
// GIL held. Fixed-width columns without nulls become numpy arrays over the decoder's own
// buffers (no copy); everything else is converted in one pass into a fresh array.
#pragma once

#include <pybind11/pybind11.h>

#include "protocol/value.h"

namespace py = pybind11;

namespace ddbpy {

struct ToPythonOptions {
    bool tableToList = false;   // pickleTableToList: a table becomes a list of column arrays
};

py::object toPython(const ddb::Value& v, const ToPythonOptions& options = {});
ddb::Value fromPython(py::handle obj);

}  // namespace ddbpy
