// The Python exception classes of the core's errors, registered once; every one is a
// RuntimeError subclass so code written for the official client keeps catching RuntimeError.
#include <pybind11/pybind11.h>

#include "errors.h"

namespace py = pybind11;

namespace ddbpy {

// The classes are deliberately never released: C++ static destructors run after the interpreter
// has finalized.
void registerErrors(py::module_& m) {
    static auto& base = *new py::exception<ddb::Error>(m, "DolphinDBError", PyExc_RuntimeError);
    static auto& network = *new py::exception<ddb::NetworkError>(m, "NetworkError", base.ptr());
    static auto& protocol = *new py::exception<ddb::ProtocolError>(m, "ProtocolError", base.ptr());
    static auto& server = *new py::exception<ddb::ServerError>(m, "ServerError", base.ptr());
    static auto& auth = *new py::exception<ddb::AuthenticationError>(m, "AuthenticationError", base.ptr());
    static auto& timeout = *new py::exception<ddb::TimeoutError>(m, "DDBTimeoutError", base.ptr());
    static auto& cancelled = *new py::exception<ddb::CancelledError>(m, "CancelledError", base.ptr());
    static auto& closed = *new py::exception<ddb::PoolClosedError>(m, "PoolClosedError", base.ptr());
    static auto& conversion = *new py::exception<ddb::ConversionError>(m, "ConversionError", base.ptr());
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const ddb::PoolClosedError& e) { py::set_error(closed, e.what());
        } catch (const ddb::CancelledError& e) { py::set_error(cancelled, e.what());
        } catch (const ddb::TimeoutError& e) { py::set_error(timeout, e.what());
        } catch (const ddb::AuthenticationError& e) { py::set_error(auth, e.what());
        } catch (const ddb::ServerError& e) { py::set_error(server, e.what());
        } catch (const ddb::ProtocolError& e) { py::set_error(protocol, e.what());
        } catch (const ddb::NetworkError& e) { py::set_error(network, e.what());
        } catch (const ddb::ConversionError& e) { py::set_error(conversion, e.what());
        } catch (const ddb::Error& e) { py::set_error(base, e.what());
        }
    });
}

}  // namespace ddbpy
