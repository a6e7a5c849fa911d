// Cached Python objects shared by the conversion files (GIL held). Intentionally leaked: they
// live as long as the interpreter and must not be released after it finalizes. And gilSafe(),
// for references that native threads may drop.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>

#include "gil.h"

namespace py = pybind11;

namespace ddbpy {
// A Python object that may be dropped on a native thread: released under the GIL.
inline std::shared_ptr<py::object> gilSafe(py::object obj) {
    return std::shared_ptr<py::object>(new py::object(std::move(obj)), [](py::object* p) {
        NativeThreadGil gil;
        if (gil.held()) delete p;   // else the interpreter is gone: nothing to release it to
    });
}
}   // namespace ddbpy

namespace ddbpy::pyc {

inline py::module_& numpy() {
    static auto* m = new py::module_(py::module_::import("numpy"));
    return *m;
}
inline py::module_& pandas() {
    static auto* m = new py::module_(py::module_::import("pandas"));
    return *m;
}
inline py::object& decimalType() {
    static auto* o = new py::object(py::module_::import("decimal").attr("Decimal"));
    return *o;
}
// np.dtype(name), cached per distinct name.
py::dtype dtype(const char* name);

}   // namespace ddbpy::pyc
