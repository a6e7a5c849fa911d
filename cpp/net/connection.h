// One DolphinDB session over one TCP connection: handshake, login, requests (PROTOCOL.md §1–§4).
// Not thread-safe by itself: the Session binding and the pool serialize access.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "errors.h"
#include "net/socket.h"
#include "net/tls.h"
#include "options.h"
#include "protocol/framing.h"

namespace ddb {

struct ConnectOptions {
    std::string host;
    int port = 8848;
    std::string user;
    std::string password;
    int connectTimeoutMs = 3000;
    int readTimeoutMs = -1;   // < 0: wait for the reply as long as it takes
    int writeTimeoutMs = 30000;
    int sessionFlag = flags::kApiClient;   // session-wide bits (compress, parser, sqlStd ...)
    bool keepAlive = true;
    // Set: the connection runs TLS, its handshake bounded by connectTimeoutMs. Shared by every
    // connection made with these options (reconnects, failovers, a pool's workers).
    std::shared_ptr<const TlsContext> tls;
    // Request errors start with "<Exception> in exec: " (or "in call: ", "in upload: "), as the
    // official Session's do; the official pool reports a task's error without it.
    bool errorContext = true;
    // Log in with the user id and password encrypted by the server's RSA key (PROTOCOL.md §1.4:
    // getDynamicPublicKey, then login(..., true)), on every connect and reconnect; false: in
    // clear text inside the handshake, as the official Python client does.
    bool encryptLogin = true;

    // What a client sets (errorContext is the pool's own choice).
    static constexpr auto fields() {
        using O = ConnectOptions;
        return std::make_tuple(field("host", &O::host), field("port", &O::port), field("user", &O::user),
                               field("password", &O::password), field("connectTimeoutMs", &O::connectTimeoutMs),
                               field("readTimeoutMs", &O::readTimeoutMs), field("writeTimeoutMs", &O::writeTimeoutMs),
                               field("sessionFlag", &O::sessionFlag), field("keepAlive", &O::keepAlive), field("tls", &O::tls),
                               field("encryptLogin", &O::encryptLogin));
    }
};

// What a reply gave back: nothing (void) or one object.
using Result = std::optional<Value>;

class Connection {
public:
    Connection() = default;
    ~Connection() { close(); }

    // TCP connect (and TLS handshake), handshake, login (encrypted, or inline in the handshake:
    // encryptLogin), then getRequiredAPIVersion / isNodeInitialized. Throws NetworkError
    // (TlsError), TimeoutError or AuthenticationError; the connection is closed then.
    void connect(const ConnectOptions& options);
    // Logs this session in as `user` (encrypted: see ConnectOptions::encryptLogin); a later
    // connect() on these options logs in the same way. Throws AuthenticationError.
    void login(const std::string& user, const std::string& password, bool encrypted);

    Result run(const std::string& script, const RequestOptions& options, const MessageCallback& onMessage = {});
    Result call(const std::string& function, const std::vector<Value>& args, const RequestOptions& options,
                const MessageCallback& onMessage = {});
    void upload(const std::vector<std::string>& names, const std::vector<Value>& values, const RequestOptions& options);
    // Requests the client makes for itself (login, version, getClusterPerf ...): DDB-encoded
    // replies whatever the session's protocol; errors carry no script.
    Result callInternal(const std::string& function, const std::vector<Value>& args);
    Result runInternal(const std::string& script);

    // The two halves of run/call, for callers that wait for the reply's first byte elsewhere
    // (the pool's reactor): send*() writes the request, receive() reads its reply.
    void sendScript(const std::string& script, const RequestOptions& options);
    void sendCall(const std::string& function, const std::vector<Value>& args, const RequestOptions& options);
    Result receive(const MessageCallback& onMessage = {});
    // The socket to watch for the reply (-1 when closed); bytes already buffered count as ready.
    int fd() const { return socket_.fd(); }
    bool replyBuffered() const { return source_ && (source_->buffered() > 0 || transport().hasBuffered()); }

    // From another thread: wakes a blocked request, which then fails with NetworkError.
    void abort() { socket_.abort(); }
    void close();
    bool isOpen() const { return open_; }
    const std::string& sessionId() const { return sessionId_; }
    const ConnectOptions& options() const { return options_; }
    uint64_t bytesReceived() const { return source_ ? source_->bytesReceived() : 0; }
    void setReadTimeout(int ms) { socket_.setReadTimeout(ms); }
    std::string endpoint() const { return options_.host + ":" + std::to_string(options_.port); }

    // "Couldn't send script/function to the remote host because the connection has been closed"
    static const char* kClosedText;

private:
    std::string errorPrefix(const char* request) const { return options_.errorContext ? request : ""; }
    struct Pending {
        std::string what;   // the script or function name, for error texts
        std::string context;   // "<Exception> in exec: " ...
    };
    // Sends request_ (and empties it, whether or not the write succeeds).
    void send(Pending pending);
    // The error the server answered the pending request with, as users see it.
    ServerError pendingRefused(const std::string& error) const;
    // After a failed write: the error text of a reply the server sent before closing, if any.
    std::optional<std::string> earlyRefusal();
    static constexpr int kEarlyRefusalWaitMs = 200;
    RequestOptions internalOptions() const;
    Result roundTrip(const std::string& what, const std::string& context, const MessageCallback& onMessage);
    void ensureOpen(const std::string& context) const;
    Response readConnectReply();
    Transport& transport() { return tls_ ? static_cast<Transport&>(*tls_) : socket_; }
    const Transport& transport() const { return tls_ ? static_cast<const Transport&>(*tls_) : socket_; }

    ConnectOptions options_;
    Socket socket_;
    std::unique_ptr<TlsStream> tls_;   // over socket_ when options_.tls is set
    std::unique_ptr<SocketSource> source_;
    std::string sessionId_ = "0";
    bool open_ = false;
    Pending pending_{"", ""};
    // The request being sent: written here, sent by one gathered write from this buffer and the
    // column buffers it references. Its memory serves the next request too, up to
    // kKeptRequestBytes; a larger block goes back to Buffer's reuse of large blocks.
    static constexpr size_t kKeptRequestBytes = 4 << 20;
    Sink request_{true};
};

}   // namespace ddb
