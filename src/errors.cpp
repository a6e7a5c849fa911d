#include "errors.h"

#include <new>
#include <string>

namespace ddbpy {

namespace {

struct Classes {
    py::handle base, network, tls, protocol, server, auth, timeout, cancelled, closed, conversion;
};

// Never released: C++ static destructors run after the interpreter has finalized.
Classes& classes() {
    static Classes* c = new Classes();
    return *c;
}

py::handle newClass(py::module_& m, const char* name, py::handle base, const char* doc) {
    std::string qualified = std::string("dolphindb._core.") + name;
    PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base.ptr(), nullptr);
    if (!cls) throw py::error_already_set();
    m.add_object(name, py::handle(cls));   // the module keeps a reference; ours stays alive with it
    Py_INCREF(cls);   // and one more for the never-released table
    return py::handle(cls);
}

// The class and message for a C++ exception.
py::handle classify(std::exception_ptr error, std::string& message) {
    Classes& c = classes();
    try {
        std::rethrow_exception(error);
    } catch (const ddb::PoolClosedError& e) {
        message = e.what();
        return c.closed;
    } catch (const ddb::CancelledError& e) {
        message = e.what();
        return c.cancelled;
    } catch (const ddb::TimeoutError& e) {
        message = e.what();
        return c.timeout;
    } catch (const ddb::AuthenticationError& e) {
        message = e.what();
        return c.auth;
    } catch (const ddb::ServerError& e) {
        message = e.what();
        return c.server;
    } catch (const ddb::ProtocolError& e) {
        message = e.what();
        return c.protocol;
    } catch (const ddb::TlsError& e) {
        message = e.what();
        return c.tls;
    } catch (const ddb::NetworkError& e) {
        message = e.what();
        return c.network;
    } catch (const ddb::ConversionError& e) {
        message = e.what();
        return c.conversion;
    } catch (const ddb::Error& e) {
        message = e.what();
        return c.base;
    }
}

// Messages may quote bytes from the wire: never fail on invalid UTF-8.
py::object text(const std::string& message) {
    PyObject* s = PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()), "replace");
    if (!s) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(s);
}

}   // namespace

void registerErrors(py::module_& m) {
    Classes& c = classes();
    c.base = newClass(m, "DolphinDBError", PyExc_RuntimeError, "Base class of every error raised by the client.");
    m.add_object("DDBError", c.base);
    c.network = newClass(m, "NetworkError", c.base, "Connect refused / reset / closed, DNS failure.");
    c.tls =
        newClass(m, "TlsError", c.network, "TLS failed: untrusted or mismatched certificate, a peer that does not speak TLS.");
    c.protocol = newClass(m, "ProtocolError", c.base, "Malformed bytes from the peer or in loads().");
    c.server = newClass(m, "ServerError", c.base, "The server answered with an error.");
    c.auth = newClass(m, "AuthenticationError", c.base, "Wrong user name or password.");
    c.timeout = newClass(m, "DDBTimeoutError", c.base, "Connect, read or task timeout.");
    c.cancelled = newClass(m, "CancelledError", c.base, "The task was cancelled.");
    c.closed = newClass(m, "PoolClosedError", c.base, "The pool has been shut down.");
    c.conversion = newClass(m, "ConversionError", c.base, "A value that cannot be converted (Python <-> DolphinDB).");
    py::register_exception_translator([](std::exception_ptr p) {
        if (!p) return;
        try {
            std::rethrow_exception(p);
        } catch (const ddb::Error&) {
            setPythonError(p);
        }
    });
}

void setPythonError(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const ddb::Error&) {
        std::string message;
        py::handle cls = classify(error, message);
        PyErr_SetObject(cls.ptr(), text(message).ptr());
    } catch (py::error_already_set& e) {
        e.restore();
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
    } catch (const std::exception& e) {
        PyErr_SetObject(classes().base.ptr(), text(e.what()).ptr());
    }
}

py::object pythonError(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const ddb::Error&) {
        std::string message;
        py::handle cls = classify(error, message);
        return cls(text(message));
    } catch (py::error_already_set& e) {
        return e.value();
    } catch (const std::bad_alloc&) {
        return py::reinterpret_borrow<py::object>(PyExc_MemoryError)("out of memory");
    } catch (const std::exception& e) {
        return classes().base(text(e.what()));
    } catch (...) {
        return classes().base(text("unknown C++ exception"));
    }
}

}   // namespace ddbpy
