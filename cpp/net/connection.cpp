#include "net/connection.h"

#include "errors.h"

namespace ddb {

const char* Connection::kClosedText =
    "Couldn't send script/function to the remote host because the connection has been closed";

void Connection::connect(const ConnectOptions& options) {
    close();
    options_ = options;
    socket_.setReadTimeout(options.connectTimeoutMs);   // the handshake is bounded like connect
    socket_.setWriteTimeout(options.writeTimeoutMs);
    socket_.connect(options.host, options.port, options.connectTimeoutMs, options.keepAlive);
    source_ = std::make_unique<SocketSource>(socket_);
    open_ = true;
    try {
        std::string hello = buildConnectRequest(options.sessionFlag, options.user, options.password);
        socket_.writeAll(hello.data(), hello.size());
        Response r = readResponse(*source_);
        if (!r.head.ok) {
            if (!options.user.empty())
                throw AuthenticationError("Server connection response: '" + r.head.error + "'");
            throw ServerError("Server connection response: '" + r.head.error + "'", r.head.error);
        }
        sessionId_ = r.head.sessionId;
        if (!options.user.empty()) {
            const Value* ok = r.objects.empty() ? nullptr : &r.objects[0];
            if (!ok || ok->form != Form::Scalar || ok->type() != Type::Bool || ok->column.data->data()[0] != 1)
                throw AuthenticationError("Failed to authenticate the user " + options.user);
        }
        // Post-connect probes (§1.3): errors mean "not supported" and are ignored, as the
        // official client does; an explicit `false` from isNodeInitialized is a failure.
        try {
            callInternal("getRequiredAPIVersion", {});
        } catch (const ServerError&) {
        }
        try {
            Result init = callInternal("isNodeInitialized", {});
            if (init && init->form == Form::Scalar && init->type() == Type::Bool && init->column.data->data()[0] == 0)
                throw NetworkError("The node " + endpoint() + " is not initialized yet");
        } catch (const ServerError&) {
        }
    } catch (...) {
        close();
        throw;
    }
    socket_.setReadTimeout(options.readTimeoutMs);
}

void Connection::ensureOpen(const std::string& context) const {
    if (!open_) throw NetworkError(context + kClosedText);
}

void Connection::send(const std::string& request, Pending pending) {
    pending_ = std::move(pending);
    ensureOpen(pending_.context);
    try {
        socket_.writeAll(request.data(), request.size());
    } catch (const NetworkError& e) {
        close();
        throw NetworkError(pending_.context + e.what());
    } catch (const TimeoutError& e) {
        close();
        throw TimeoutError(pending_.context + e.what());
    }
}

Result Connection::receive(const MessageCallback& onMessage) {
    const std::string& context = pending_.context;
    ensureOpen(context);
    try {
        Response r = readResponse(*source_, onMessage);
        sessionId_ = r.head.sessionId;
        if (!r.head.ok)
            throw ServerError(context + "Server Response: '" + r.head.error + "' script: " + pending_.what,
                              r.head.error);
        if (r.objects.empty()) return std::nullopt;
        return std::move(r.objects[0]);
    } catch (const ServerError&) {
        throw;
    } catch (const ProtocolError&) {
        close();   // the stream position is unknown: the connection cannot be reused
        throw;
    } catch (const NetworkError& e) {
        close();
        throw NetworkError(context + e.what());
    } catch (const TimeoutError& e) {
        close();
        throw TimeoutError(context + e.what());
    }
}

Result Connection::roundTrip(const std::string& request, const std::string& what, const std::string& context,
                             const MessageCallback& onMessage) {
    send(request, Pending{what, context});
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
    send(buildScriptRequest(sessionId_, script, options), Pending{script, "<Exception> in exec: "});
}

namespace {
// A value the encoder refuses fails with the request's context, like the server's errors.
template <class Build>
std::string encodedRequest(const char* context, Build&& build) {
    try {
        return build();
    } catch (const ConversionError& e) {
        throw ConversionError(context + std::string(e.what()));
    }
}
}  // namespace

void Connection::sendCall(const std::string& function, const std::vector<Value>& args, const RequestOptions& options) {
    EncodeOptions encode;
    encode.compressTables = (options.flag & flags::kCompress) != 0;
    const char* context = "<Exception> in call: ";
    send(encodedRequest(context, [&] { return buildFunctionRequest(sessionId_, function, args, options, encode); }),
         Pending{function, context});
}

void Connection::upload(const std::vector<std::string>& names, const std::vector<Value>& values,
                        const RequestOptions& options) {
    EncodeOptions encode;
    encode.compressTables = (options.flag & flags::kCompress) != 0;
    const char* context = "<Exception> in upload: ";
    send(encodedRequest(context, [&] { return buildVariableRequest(sessionId_, names, values, options, encode); }),
         Pending{"upload", context});
    if (!(options.flag & flags::kAsync)) receive({});
}

RequestOptions Connection::internalOptions() const {
    RequestOptions o;
    o.flag = options_.sessionFlag & ~(flags::kPickle | flags::kArrowOrTableToList | flags::kAsync);
    return o;
}

Result Connection::callInternal(const std::string& function, const std::vector<Value>& args) {
    return roundTrip(buildFunctionRequest(sessionId_, function, args, internalOptions()), function, "", {});
}

Result Connection::runInternal(const std::string& script) {
    return roundTrip(buildScriptRequest(sessionId_, script, internalOptions()), script, "", {});
}

void Connection::close() {
    if (open_) socket_.abort();
    socket_.close();
    open_ = false;
}

}  // namespace ddb
