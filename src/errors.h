// The Python side of cpp/errors.h: one exception class per core error class, registered once
// by registerErrors(), and the one place a C++ exception becomes a Python exception.
//
//   RuntimeError
//   └── DolphinDBError (alias DDBError)
//       ├── NetworkError          ddb::NetworkError
//       │   └── TlsError          ddb::TlsError
//       ├── ProtocolError         ddb::ProtocolError
//       ├── ServerError           ddb::ServerError
//       ├── AuthenticationError   ddb::AuthenticationError
//       ├── DDBTimeoutError       ddb::TimeoutError (named so it does not shadow the builtin)
//       ├── CancelledError        ddb::CancelledError
//       ├── PoolClosedError       ddb::PoolClosedError
//       └── ConversionError       ddb::ConversionError
#pragma once

#include <pybind11/pybind11.h>

#include <exception>

// The core's classes (ddb::Error ...). This header shadows cpp/errors.h for the binding's
// `#include "errors.h"`, so it brings the core header along.
#include "../cpp/errors.h"

namespace py = pybind11;

namespace ddbpy {

// Creates the classes on `m` and installs the translator (pybind11 then raises them for any
// ddb::Error escaping a binding). Call once, from module.cpp.
void registerErrors(py::module_& m);

// The Python exception instance for a C++ exception (for callbacks that hand an exception to
// Python instead of raising it: pool futures). ddb errors map to the classes above,
// py::error_already_set to its value, std::bad_alloc to MemoryError, anything else to
// DolphinDBError. GIL held.
py::object pythonError(std::exception_ptr error);

// Raises (sets the Python error indicator for) a C++ exception, as the translator does.
void setPythonError(std::exception_ptr error);

}   // namespace ddbpy
