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

}   // namespace ddb
