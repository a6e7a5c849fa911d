// The core's error hierarchy. The binding registers one Python exception per class, once.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace ddb {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Malformed bytes: truncated frames, impossible counts, unknown type ids, bad compression.
struct ProtocolError : Error {
    using Error::Error;
};
// Socket-level failure: refused, reset, closed, DNS.
struct NetworkError : Error {
    using Error::Error;
};
// TLS failed: an untrusted or mismatched certificate, a peer that does not speak TLS, a bad
// record. A NetworkError, so code that handles connection failures handles these too.
struct TlsError : NetworkError {
    using NetworkError::NetworkError;
};
// The server answered with an error line; `response` is that line as the server sent it.
struct ServerError : Error {
    using Error::Error;
    ServerError(const std::string& text, std::string serverResponse) : Error(text), response(std::move(serverResponse)) {}
    std::string response;
};
struct AuthenticationError : Error {
    using Error::Error;
};
struct TimeoutError : Error {
    using Error::Error;
};
struct CancelledError : Error {
    using Error::Error;
};
struct PoolClosedError : Error {
    using Error::Error;
};
// Python/host value that cannot become a DolphinDB object (binding layer).
struct ConversionError : Error {
    using Error::Error;
};

// Rethrows the exception being handled as its own class with `prefix` before its text (the
// context a caller adds, e.g. "<Exception> in exec: "). Call it only inside a catch block.
[[noreturn]] inline void rethrowWithPrefix(const std::string& prefix) {
    try {
        throw;
    } catch (const TlsError& e) {
        throw TlsError(prefix + e.what());
    } catch (const NetworkError& e) {
        throw NetworkError(prefix + e.what());
    } catch (const ServerError& e) {
        throw ServerError(prefix + e.what(), e.response);
    } catch (const AuthenticationError& e) {
        throw AuthenticationError(prefix + e.what());
    } catch (const TimeoutError& e) {
        throw TimeoutError(prefix + e.what());
    } catch (const CancelledError& e) {
        throw CancelledError(prefix + e.what());
    } catch (const PoolClosedError& e) {
        throw PoolClosedError(prefix + e.what());
    } catch (const ProtocolError& e) {
        throw ProtocolError(prefix + e.what());
    } catch (const ConversionError& e) {
        throw ConversionError(prefix + e.what());
    } catch (const Error& e) {
        throw Error(prefix + e.what());
    }
}

}   // namespace ddb
