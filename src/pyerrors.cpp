// The Python exception classes of the core's errors, registered once; every one is a
// RuntimeError subclass so code written for the official client keeps catching RuntimeError.
#include <pybind11/pybind11.h>

#include "errors.h"

namespace py = pybind11;

namespace ddbpy {

void registerErrors(py::module_& m) {
    static py::exception<ddb::Error> base(m, "DolphinDBError", PyExc_RuntimeError);
    static py::exception<ddb::NetworkError> network(m, "NetworkError", base.ptr());
    static py::exception<ddb::ProtocolError> protocol(m, "ProtocolError", base.ptr());
    static py::exception<ddb::ServerError> server(m, "ServerError", base.ptr());
    static py::exception<ddb::AuthenticationError> auth(m, "AuthenticationError", base.ptr());
    static py::exception<ddb::TimeoutError> timeout(m, "DDBTimeoutError", base.ptr());
    static py::exception<ddb::CancelledError> cancelled(m, "CancelledError", base.ptr());
    static py::exception<ddb::PoolClosedError> closed(m, "PoolClosedError", base.ptr());
    static py::exception<ddb::ConversionError> conversion(m, "ConversionError", base.ptr());
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
