// The bulk writers' binding (src/writers_binding.cpp), as other binding files see it.
#pragma once

#include <pybind11/pybind11.h>

#include "protocol/value.h"

namespace py = pybind11;

namespace ddbpy {
// A table a writer already converted (dolphindb._core.PreparedTable): uploads send its Value
// as is instead of converting the object again. nullptr for any other object.
const ddb::Value* preparedValueOf(py::handle obj);
}   // namespace ddbpy
