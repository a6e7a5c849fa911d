#include "net/connection.h"

#include "errors.h"
#include "net/login.h"

namespace ddb {

namespace {
bool isTrue(const Value* v) {
    return v && v->form == Form::Scalar && v->type() == Type::Bool && v->column.length == 1 && v->column.data->data()[0] == 1;
}
}   // namespace

const char* Connection::kClosedText = "Couldn't send script/function to the remote host because the connection has been closed";

void Connection::connect(const ConnectOptions& options) {
    close();
    source_.reset();
    tls_.reset();
    options_ = options;
    socket_.setReadTimeout(options.connectTimeoutMs);   // the handshake is bounded like connect
    socket_.setWriteTimeout(options.writeTimeoutMs);
    socket_.connect(options.host, options.port, options.connectTimeoutMs, options.keepAlive);
    open_ = true;
    try {
        if (options.tls) {
            tls_ = std::make_unique<TlsStream>(socket_, options.tls, options.host);
            tls_->handshake(options.connectTimeoutMs);
        }
        source_ = std::make_unique<SocketSource>(transport());
        const bool inlineLogin = !options.user.empty() && !options.encryptLogin;
        std::string hello =
            buildConnectRequest(options.sessionFlag, inlineLogin ? options.user : "", inlineLogin ? options.password : "");
        transport().writeAll(hello.data(), hello.size());
        Response r = readConnectReply();
        if (!r.head.ok) {
            if (inlineLogin) throw AuthenticationError("Server connection response: '" + r.head.error + "'");
            throw ServerError("Server connection response: '" + r.head.error + "'", r.head.error);
        }
        sessionId_ = r.head.sessionId;
        if (inlineLogin && !isTrue(r.objects.empty() ? nullptr : &r.objects[0]))
            throw AuthenticationError("Failed to authenticate the user " + options.user);
        if (!options.user.empty() && !inlineLogin) login(options.user, options.password, true);
        // Post-connect probes (§1.3): errors mean "not supported" and are ignored, as the
        // official client does; an explicit `false` from isNodeInitialized is a failure.
        try {
            callInternal("getRequiredAPIVersion", {});
        } catch (const ServerError&) {}
        try {
            Result init = callInternal("isNodeInitialized", {});
            if (init && init->form == Form::Scalar && init->type() == Type::Bool && init->column.data->data()[0] == 0)
                throw NetworkError("The node " + endpoint() + " is not initialized yet");
        } catch (const ServerError&) {}
    } catch (...) {
        close();
        throw;
    }
    socket_.setReadTimeout(options.readTimeoutMs);
}

Response Connection::readConnectReply() {
    try {
        return readResponse(*source_);
    } catch (const NetworkError& e) {
        if (tls_) throw;
        // What a TLS-only server does to the plaintext greeting: say so rather than leave a bare reset.
        throw NetworkError(std::string(e.what()) +
                           " during the connect handshake (if the server requires TLS, enable it on the client)");
    }
}

void Connection::login(const std::string& user, const std::string& password, bool encrypted) {
    Result ok;
    try {
        if (!encrypted) {
            ok = callInternal("login", plainLoginArguments(user, password));
        } else {
            Result key = callInternal("getDynamicPublicKey", {});
            if (!key || key->form != Form::Scalar || key->type() != Type::String)
                throw AuthenticationError("Encrypted login failed: getDynamicPublicKey() returned no key");
            ok = callInternal("login", encryptedLoginArguments(user, password, std::string(key->column.stringAt(0))));
        }
    } catch (const ServerError& e) {
        throw AuthenticationError(std::string("Failed to log in as ") + user + ": " + e.what());
    }
    if (!isTrue(ok ? &*ok : nullptr)) throw AuthenticationError("Failed to authenticate the user " + user);
    options_.user = user;
    options_.password = password;
    options_.encryptLogin = encrypted;
}

void Connection::ensureOpen(const std::string& context) const {
    if (!open_) throw NetworkError(context + kClosedText);
}

void Connection::send(Pending pending) {
    pending_ = std::move(pending);
    // Whatever happens, the request's references to the caller's buffers end here.
    struct Release {
        Sink& request;
        ~Release() { request.clear(kKeptRequestBytes); }
    } release{request_};
    ensureOpen(pending_.context);
    try {
        transport().writeAll(request_.ranges());
    } catch (const NetworkError& e) {
        std::optional<std::string> refusal = earlyRefusal();
        close();
        if (refusal) throw pendingRefused(*refusal);
        throw NetworkError(pending_.context + e.what());
    } catch (const TimeoutError& e) {
        close();
        throw TimeoutError(pending_.context + e.what());
    } catch (...) {
        // A wait its caller ended (WaitScope: Ctrl-C, a deadline) mid-write: the server holds part
        // of a request and would read the next one as the rest of its arguments.
        close();
        throw;
    }
}

ServerError Connection::pendingRefused(const std::string& error) const {
    return ServerError(pending_.context + "Server Response: '" + error + "' script: " + pending_.what, error);
}

std::optional<std::string> Connection::earlyRefusal() {
    // A server may refuse a request before reading all of it (an argument it cannot accept) and
    // close the connection: its error reply is then already here, and it is the cause the user
    // needs, not the reset that the rest of the write ran into.
    const int readTimeout = socket_.readTimeout();
    socket_.setReadTimeout(kEarlyRefusalWaitMs);
    std::optional<std::string> refusal;
    try {
        Response r = readResponse(*source_);
        if (!r.head.ok) refusal = r.head.error;
    } catch (...) {
        // No complete reply: the write's own error stands.
    }
    socket_.setReadTimeout(readTimeout);
    return refusal;
}

Result Connection::receive(const MessageCallback& onMessage) {
    const std::string& context = pending_.context;
    ensureOpen(context);
    try {
        Response r = readResponse(*source_, onMessage);
        sessionId_ = r.head.sessionId;
        if (!r.head.ok) throw pendingRefused(r.head.error);
        if (r.objects.empty()) return std::nullopt;
        return std::move(r.objects[0]);
    } catch (const ServerError&) {
        throw;
    } catch (const ConversionError&) {
        throw;   // the decoder read the reply to its end before refusing it: still in step
    } catch (const ProtocolError&) {
        close();   // the stream position is unknown: the connection cannot be reused
        throw;
    } catch (const NetworkError& e) {
        close();
        throw NetworkError(context + e.what());
    } catch (const TimeoutError& e) {
        close();
        throw TimeoutError(context + e.what());
    } catch (...) {
        close();   // a wait ended by its caller (WaitScope) mid-reply: the stream is out of sync
        throw;
    }
}

Result Connection::roundTrip(const std::string& what, const std::string& context, const MessageCallback& onMessage) {
    send(Pending{what, context});
    return receive(onMessage);
}

Result Connection::run(const std::string& script, const RequestOptions& options, const MessageCallback& onMessage) {
    sendScript(script, options);
    if (options.flag & flags::kAsync) return std::nullopt;
    return receive(onMessage);
}

Result Connection::call(const std::string& function, const std::vector<Value>& args, const RequestOptions& options,
                        const MessageCallback& onMessage) {
    sendCall(function, args, options);
    if (options.flag & flags::kAsync) return std::nullopt;
    return receive(onMessage);
}

void Connection::sendScript(const std::string& script, const RequestOptions& options) {
    request_.clear(kKeptRequestBytes);
    writeScriptRequest(request_, sessionId_, script, options);
    send(Pending{script, errorPrefix("<Exception> in exec: ")});
}

namespace {
// A value the encoder refuses fails with the request's context, like the server's errors.
template <class Write>
void encodeRequest(const std::string& context, Write&& write) {
    try {
        write();
    } catch (const ConversionError& e) {
        throw ConversionError(context + e.what());
    }
}
}   // namespace

void Connection::sendCall(const std::string& function, const std::vector<Value>& args, const RequestOptions& options) {
    EncodeOptions encode;
    encode.compressTables = (options.flag & flags::kCompress) != 0;
    std::string context = errorPrefix("<Exception> in call: ");
    request_.clear(kKeptRequestBytes);
    encodeRequest(context, [&] { writeFunctionRequest(request_, sessionId_, function, args, options, encode); });
    send(Pending{function, context});
}

void Connection::upload(const std::vector<std::string>& names, const std::vector<Value>& values, const RequestOptions& options) {
    EncodeOptions encode;
    encode.compressTables = (options.flag & flags::kCompress) != 0;
    std::string context = errorPrefix("<Exception> in upload: ");
    request_.clear(kKeptRequestBytes);
    encodeRequest(context, [&] { writeVariableRequest(request_, sessionId_, names, values, options, encode); });
    send(Pending{"upload", context});
    if (!(options.flag & flags::kAsync)) receive({});
}

RequestOptions Connection::internalOptions() const {
    RequestOptions o;
    o.flag = options_.sessionFlag & ~(flags::kPickle | flags::kArrowOrTableToList | flags::kAsync);
    return o;
}

Result Connection::callInternal(const std::string& function, const std::vector<Value>& args) {
    request_.clear(kKeptRequestBytes);
    writeFunctionRequest(request_, sessionId_, function, args, internalOptions());
    return roundTrip(function, "", {});
}

Result Connection::runInternal(const std::string& script) {
    request_.clear(kKeptRequestBytes);
    writeScriptRequest(request_, sessionId_, script, internalOptions());
    return roundTrip(script, "", {});
}

void Connection::close() {
    if (open_) socket_.abort();
    socket_.close();
    open_ = false;
}

}   // namespace ddb
