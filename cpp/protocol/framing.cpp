#include "protocol/framing.h"

#include <bit>
#include <charconv>

namespace ddb {

namespace {

std::string printable(std::string_view s, size_t max = 200) {
    std::string out;
    for (char c : s.substr(0, max)) {
        unsigned char u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out.push_back(c);
        } else {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        }
    }
    if (s.size() > max) out += "...";
    return out;
}

template <class T>
bool parseNumber(std::string_view s, T& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

template <class T>
T requireNumber(std::string_view s, const char* what) {
    T v{};
    if (!parseNumber(s, v)) throw ProtocolError(std::string("invalid ") + what + ": '" + printable(s) + "'");
    return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t at = s.find(sep, start);
        if (at == std::string_view::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, at - start));
        start = at + 1;
    }
}

// One LF-terminated line; strips one '\r' before the LF.
std::string readLine(Source& in, size_t maxLength, const char* what) {
    std::string line;
    try {
        in.readUntil('\n', line, maxLength);
    } catch (const ProtocolError& e) {
        throw ProtocolError(std::string("reading ") + what + ": " + e.what());
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

std::string assemble(std::string_view kind, std::string_view sessionId, std::string_view body, std::string_view options) {
    std::string out = formatRequestHeader(kind, sessionId, body.size(), options);
    out.append(body);
    return out;
}

}   // namespace

std::string formatOptions(const RequestOptions& o) {
    std::string s = std::to_string(o.flag);
    s += o.cancellable ? "_1_" : "_0_";
    s += std::to_string(o.priority);
    s += '_';
    s += std::to_string(o.parallelism);
    s += "__";
    s += std::to_string(o.fetchSize);
    if (!o.clientId.empty()) {
        s += "__";
        s += o.clientId;
        s += '_';
        s += std::to_string(o.seqNo);
    }
    return s;
}

std::string formatConnectOptions(int flag) { return std::to_string(flag) + "_1_4_2"; }

char nativeEndianFlag() { return std::endian::native == std::endian::little ? '1' : '0'; }

std::string formatRequestHeader(std::string_view kind, std::string_view sessionId, size_t bodyLength, std::string_view options) {
    std::string s;
    s.reserve(kind.size() + sessionId.size() + options.size() + 32);
    s.append(kind);
    s += ' ';
    s.append(sessionId);
    s += ' ';
    s += std::to_string(bodyLength);
    if (!options.empty()) {
        s += " / ";
        s.append(options);
    }
    s += '\n';
    return s;
}

std::string buildConnectRequest(int flag, std::string_view user, std::string_view password) {
    std::string body = "connect\n";
    if (!user.empty()) {
        body += "login\n";
        body.append(user);
        body += '\n';
        body.append(password);
        body += "\nfalse";
    }
    return assemble("API", "0", body, formatConnectOptions(flag));
}

void writeScriptRequest(Sink& out, std::string_view sessionId, std::string_view script, const RequestOptions& options) {
    constexpr std::string_view command = "script\n";
    std::string header = formatRequestHeader("API2", sessionId, command.size() + script.size(), formatOptions(options));
    out.write(header.data(), header.size());
    out.write(command.data(), command.size());
    out.write(script.data(), script.size());
}

std::string buildScriptRequest(std::string_view sessionId, std::string_view script, const RequestOptions& options) {
    Sink sink;
    writeScriptRequest(sink, sessionId, script, options);
    return sink.str();
}

namespace {
// "<command>\n<line>\n<count>\n<endian>" and the objects.
void writeObjectRequest(Sink& out, std::string_view sessionId, std::string_view command, std::string_view line,
                        const std::vector<Value>& objects, const RequestOptions& options, const EncodeOptions& encode) {
    std::string body(command);
    body += '\n';
    body.append(line);
    body += '\n';
    body += std::to_string(objects.size());
    body += '\n';
    body += nativeEndianFlag();
    std::string head = assemble("API2", sessionId, body, formatOptions(options));
    const Sink::Mark start = out.mark();
    try {
        out.write(head.data(), head.size());
        for (const Value& v : objects) encodeObject(v, out, encode);
    } catch (...) {
        out.rollback(start);
        throw;
    }
}
}   // namespace

void writeFunctionRequest(Sink& out, std::string_view sessionId, std::string_view functionName, const std::vector<Value>& args,
                          const RequestOptions& options, const EncodeOptions& encode) {
    writeObjectRequest(out, sessionId, "function", functionName, args, options, encode);
}

std::string buildFunctionRequest(std::string_view sessionId, std::string_view functionName, const std::vector<Value>& args,
                                 const RequestOptions& options, const EncodeOptions& encode) {
    Sink sink;
    writeFunctionRequest(sink, sessionId, functionName, args, options, encode);
    return sink.str();
}

void writeVariableRequest(Sink& out, std::string_view sessionId, const std::vector<std::string>& names,
                          const std::vector<Value>& values, const RequestOptions& options, const EncodeOptions& encode) {
    if (names.size() != values.size())
        throw ProtocolError("variable request: " + std::to_string(names.size()) + " names but " + std::to_string(values.size()) +
                            " values");
    if (names.empty()) throw ProtocolError("variable request: no variables");
    std::string line;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) line += ',';
        line += names[i];
    }
    writeObjectRequest(out, sessionId, "variable", line, values, options, encode);
}

std::string buildVariableRequest(std::string_view sessionId, const std::vector<std::string>& names,
                                 const std::vector<Value>& values, const RequestOptions& options, const EncodeOptions& encode) {
    Sink sink;
    writeVariableRequest(sink, sessionId, names, values, options, encode);
    return sink.str();
}

// ---- responses ----

DecodeOptions ResponseHead::decodeOptions() const {
    DecodeOptions d;
    d.swapBytes = littleEndian != (std::endian::native == std::endian::little);
    return d;
}

ResponseHead readResponseHead(Source& in, const MessageCallback& onMessage) {
    std::string line;
    for (;;) {
        line = readLine(in, kMaxHeaderLine, "response header");
        if (line != "MSG") break;
        std::string text;
        try {
            in.readUntil('\0', text, kMaxMessageText);
        } catch (const ProtocolError& e) {
            throw ProtocolError(std::string("reading MSG frame: ") + e.what());
        }
        if (onMessage) onMessage(text);
    }
    auto fields = split(line, ' ');
    if (fields.size() != 3 || fields[0].empty() || fields[2].size() != 1 || (fields[2][0] != '0' && fields[2][0] != '1'))
        throw ProtocolError("Received invalid header: '" + printable(line) + "'");
    ResponseHead head;
    head.sessionId = std::string(fields[0]);
    int n = 0;
    if (!parseNumber(fields[1], n) || n < 0) throw ProtocolError("Received invalid header: '" + printable(line) + "'");
    head.numObjects = n;
    head.littleEndian = fields[2][0] == '1';
    std::string status = readLine(in, kMaxStatusLine, "response status line");
    if (status == "OK") {
        head.ok = true;
    } else {
        head.ok = false;
        head.error = std::move(status);
    }
    return head;
}

Response readResponse(Source& in, const MessageCallback& onMessage) {
    Response r;
    r.head = readResponseHead(in, onMessage);
    if (!r.head.ok) return r;
    DecodeOptions d = r.head.decodeOptions();
    r.objects.reserve(static_cast<size_t>(std::min(r.head.numObjects, 16)));
    for (int i = 0; i < r.head.numObjects; ++i) r.objects.push_back(decodeObject(in, d));
    return r;
}

std::string buildResponse(std::string_view sessionId, const std::vector<Value>& objects) {
    Sink s;
    std::string head(sessionId);
    head += ' ';
    head += std::to_string(objects.size());
    head += " 1\nOK\n";
    s.write(head.data(), head.size());
    for (const Value& v : objects) encodeObject(v, s);
    return s.str();
}

std::string buildErrorResponse(std::string_view sessionId, std::string_view error) {
    std::string s(sessionId);
    s += " 0 1\n";
    s.append(error);
    s += '\n';
    return s;
}

// ---- requests, parsed ----

ParsedOptions parseOptions(std::string_view options) {
    ParsedOptions o;
    if (options.empty()) return o;
    auto f = split(options, '_');
    // clientId is a UUID (no '_'), seqNo may be negative; more than 9 fields is malformed.
    if (f.size() > 9) throw ProtocolError("invalid request options: '" + printable(options) + "'");
    o.fieldCount = static_cast<int>(f.size());
    if (f.size() > 0 && !f[0].empty()) o.flag = requireNumber<int>(f[0], "request flag");
    if (f.size() > 1 && !f[1].empty()) o.cancellable = requireNumber<int>(f[1], "cancellable field") != 0;
    if (f.size() > 2 && !f[2].empty()) o.priority = requireNumber<int>(f[2], "priority");
    if (f.size() > 3 && !f[3].empty()) o.parallelism = requireNumber<int>(f[3], "parallelism");
    if (f.size() > 4) o.rootJobId = std::string(f[4]);
    if (f.size() > 5 && !f[5].empty()) o.fetchSize = requireNumber<int>(f[5], "fetchSize");
    if (f.size() > 6) o.offset = std::string(f[6]);
    if (f.size() > 7) o.clientId = std::string(f[7]);
    if (f.size() > 8 && !f[8].empty()) o.seqNo = requireNumber<int64_t>(f[8], "seqNo");
    return o;
}

RequestHeader parseRequestHeader(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto t = split(line, ' ');
    if (t.size() != 3 && t.size() != 5) throw ProtocolError("invalid request header: '" + printable(line) + "'");
    RequestHeader h;
    h.kind = std::string(t[0]);
    if (h.kind != "API" && h.kind != "API2") throw ProtocolError("invalid request kind '" + printable(t[0]) + "' in header");
    h.sessionId = std::string(t[1]);
    h.bodyLength = requireNumber<int64_t>(t[2], "request body length");
    if (h.bodyLength < 0 || h.bodyLength > kMaxRequestBody)
        throw ProtocolError("invalid request body length " + std::to_string(h.bodyLength));
    if (t.size() == 5) {
        if (t[3] != "/") throw ProtocolError("invalid request header: expected '/' before the options");
        h.hasOptions = true;
        h.options = std::string(t[4]);
    }
    return h;
}

Request readRequest(Source& in) {
    Request r;
    std::string line = readLine(in, kMaxHeaderLine, "request header");
    r.header = parseRequestHeader(line);
    r.options = parseOptions(r.header.options);
    int64_t n = r.header.bodyLength;
    if (in.remaining() >= 0 && in.remaining() < n)
        throw ProtocolError("truncated request: body of " + std::to_string(n) + " bytes, " + std::to_string(in.remaining()) +
                            " available");
    r.body.resize(static_cast<size_t>(n));
    in.read(r.body.data(), r.body.size());

    std::string_view body = r.body;
    std::string_view cmd = body.substr(0, body.find('\n'));
    // Go/Rust send (and count) a trailing LF after the endian flag of function/variable bodies.
    if ((cmd == "function" || cmd == "variable") && !body.empty() && body.back() == '\n') body.remove_suffix(1);
    auto lines = split(body, '\n');
    if (cmd == "connect") {
        r.command = RequestCommand::Connect;
        // "connect\n" splits into {"connect", ""}; inline login: connect, login, user, pwd, false
        if (lines.size() >= 2 && lines[1] == "login") {
            if (lines.size() < 4) throw ProtocolError("connect request: incomplete inline login");
            r.login = true;
            r.user = std::string(lines[2]);
            r.password = std::string(lines[3]);
        }
        return r;
    }
    if (cmd == "script") {
        r.command = RequestCommand::Script;
        r.script = std::string(body.substr(std::min(body.size(), size_t(7))));
        return r;
    }
    if (cmd != "function" && cmd != "variable") throw ProtocolError("unknown request command '" + printable(cmd) + "'");
    if (lines.size() != 4) throw ProtocolError("malformed " + std::string(cmd) + " request body");
    if (cmd == "function") {
        r.command = RequestCommand::Function;
        r.functionName = std::string(lines[1]);
    } else {
        r.command = RequestCommand::Variable;
        for (auto name : split(lines[1], ',')) r.variableNames.emplace_back(name);
    }
    r.argCount = requireNumber<int>(lines[2], "argument count");
    if (r.argCount < 0) throw ProtocolError("negative argument count");
    if (lines[3] != "0" && lines[3] != "1") throw ProtocolError("invalid endian flag '" + printable(lines[3]) + "'");
    r.littleEndian = lines[3] == "1";
    if (r.command == RequestCommand::Variable && r.variableNames.size() != static_cast<size_t>(r.argCount))
        throw ProtocolError("variable request: " + std::to_string(r.variableNames.size()) + " names but " +
                            std::to_string(r.argCount) + " objects");
    DecodeOptions d;
    d.swapBytes = r.littleEndian != (std::endian::native == std::endian::little);
    for (int i = 0; i < r.argCount; ++i) r.args.push_back(decodeObject(in, d));
    return r;
}

}   // namespace ddb
