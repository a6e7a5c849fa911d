// Request and response framing (PROTOCOL.md §1–§4): header lines, option strings, request
// bodies, MSG frames, status lines. Objects inside are handled by codec.h.
//
// Client side:  write*Request() append a complete request (header line + body + serialized
//               arguments) to a Sink, which may reference large column buffers instead of copying
//               them; build*Request() return the bytes. readResponse()/readResponseHead() parse a
//               reply from a Source incrementally (never reading past what they need).
// Server side:  readRequest() parses a request (header line split rules of §2.1, options,
//               body, argument objects); used by tests, the fuzzer and parity checks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/codec.h"
#include "protocol/io.h"
#include "protocol/value.h"

namespace ddb {

// Request flag bits (§2.2.1).
namespace flags {
constexpr int kUrgent = 1;
constexpr int kSecondaryJob = 2;
constexpr int kAsync = 4;
constexpr int kPickle = 8;
constexpr int kClearMemory = 16;
constexpr int kApiClient = 32;
constexpr int kCompress = 64;
constexpr int kPythonParser = 2048;
constexpr int kKdbParser = 4096;
constexpr int kArrowOrTableToList = 32768;
constexpr int kReverseStreaming = 131072;
constexpr int kSqlStdShift = 19;   // sqlStd << 19: 1 Oracle, 2 MySQL
constexpr int kDisableDecimal = 1 << 23;
}   // namespace flags

// The result encodings a client can ask for (dolphindb.settings.PROTOCOL_*).
enum class Protocol : int { Default = 0, Ddb = 1, Pickle = 2, Arrow = 3 };

// Bounds on text lines, so a hostile peer cannot make us buffer unbounded memory.
constexpr size_t kMaxHeaderLine = 64 * 1024;   // request/response header line
constexpr size_t kMaxStatusLine = 16 * 1024 * 1024;   // "OK" or the error text
constexpr size_t kMaxMessageText = 64 * 1024 * 1024;   // one MSG frame's text
constexpr int64_t kMaxRequestBody = 256LL * 1024 * 1024;

// The per-request "behavior identity" (§2.2).
struct RequestOptions {
    int flag = flags::kApiClient;
    int priority = 4;
    int parallelism = 64;
    int fetchSize = 0;
    std::string clientId;   // non-empty: append "__<clientId>_<seqNo>" (HA / reconnect mode)
    int64_t seqNo = 0;
    bool cancellable = true;
};

// "<flag>_<1|0>_<priority>_<parallelism>__<fetchSize>[__<clientId>_<seqNo>]",
// e.g. "32_1_4_64__0", "32_1_4_64__0__0d874fed-..._1".
std::string formatOptions(const RequestOptions& options);
// The handshake's option string: "<flag>_1_4_2".
std::string formatConnectOptions(int flag);

// "1" when this machine is little-endian (the order we serialize arguments in), else "0".
char nativeEndianFlag();

// Header line "<kind> <sessionId> <bodyLength> / <options>\n" (options empty: no " / ...").
std::string formatRequestHeader(std::string_view kind, std::string_view sessionId, size_t bodyLength, std::string_view options);

// Complete requests. `kind` of session requests is "API2"; the handshake uses "API" and session 0.
//   connect:  "connect\n"  or  "connect\nlogin\n<user>\n<password>\nfalse" when user is non-empty.
std::string buildConnectRequest(int flag, std::string_view user = {}, std::string_view password = {});
//   script:   "script\n<text>"
//   function: "function\n<name>\n<argc>\n<endian>" + serialized args
//   variable: "variable\n<n1>,<n2>..\n<count>\n<endian>" + serialized values (names.size() == values.size())
// write*Request append the request to `out` (nothing when they throw). Into a referencing Sink
// the large buffers of the values are referenced, not copied: the values must then stay alive
// and unchanged until out's ranges have been sent. build*Request return the bytes.
void writeScriptRequest(Sink& out, std::string_view sessionId, std::string_view script, const RequestOptions& options);
void writeFunctionRequest(Sink& out, std::string_view sessionId, std::string_view functionName, const std::vector<Value>& args,
                          const RequestOptions& options, const EncodeOptions& encode = {});
void writeVariableRequest(Sink& out, std::string_view sessionId, const std::vector<std::string>& names,
                          const std::vector<Value>& values, const RequestOptions& options, const EncodeOptions& encode = {});
std::string buildScriptRequest(std::string_view sessionId, std::string_view script, const RequestOptions& options);
std::string buildFunctionRequest(std::string_view sessionId, std::string_view functionName, const std::vector<Value>& args,
                                 const RequestOptions& options, const EncodeOptions& encode = {});
std::string buildVariableRequest(std::string_view sessionId, const std::vector<std::string>& names,
                                 const std::vector<Value>& values, const RequestOptions& options,
                                 const EncodeOptions& encode = {});

// ---- responses (§4) -----------------------------------------------------------------------

// Header line + status line of a reply, after any MSG frames.
struct ResponseHead {
    std::string sessionId;
    int numObjects = 0;
    bool littleEndian = true;   // endian flag of the header ('1')
    bool ok = false;   // status line == "OK"
    std::string error;   // the status line when !ok (no trailing LF/CR)

    // DecodeOptions for the objects that follow (swapBytes when the order differs from ours).
    DecodeOptions decodeOptions() const;
};

using MessageCallback = std::function<void(std::string_view text)>;

// Reads MSG frames (each delivered to onMessage, which may be empty), the header line (exactly
// three space-separated fields, else ProtocolError "Received invalid header: ..."), and the status
// line. Does not read the objects. Lines may end with "\r\n".
ResponseHead readResponseHead(Source& in, const MessageCallback& onMessage = {});

struct Response {
    ResponseHead head;
    std::vector<Value> objects;   // head.numObjects objects when head.ok, else empty
};
// readResponseHead, then the objects when the status is OK. Does not throw ServerError: the
// caller decides how to report head.error.
Response readResponse(Source& in, const MessageCallback& onMessage = {});

// Server side helpers (tests, the fuzzer): "<sid> <n> 1\nOK\n" + objects, or "<sid> 0 1\n<error>\n".
std::string buildResponse(std::string_view sessionId, const std::vector<Value>& objects);
std::string buildErrorResponse(std::string_view sessionId, std::string_view error);

// ---- requests, parsed (server side, §2.1) ---------------------------------------------------

struct ParsedOptions {
    int fieldCount = 0;   // number of '_' separated fields present
    int flag = 0;
    bool cancellable = true;
    int priority = 4;
    int parallelism = 64;
    std::string rootJobId;
    int fetchSize = 0;
    std::string offset;
    std::string clientId;
    int64_t seqNo = 0;
};
// Parses an option string; empty fields keep defaults; non-numeric numbers -> ProtocolError.
ParsedOptions parseOptions(std::string_view options);

struct RequestHeader {
    std::string kind;   // "API" or "API2"
    std::string sessionId;   // may be empty (Go client)
    int64_t bodyLength = 0;
    bool hasOptions = false;
    std::string options;   // raw option string
};
// Parses a header line (without its '\n'; a trailing '\r' is stripped): split on single spaces;
// token 0 kind, 1 session (may be empty), 2 length, [3 "/", 4 options].
RequestHeader parseRequestHeader(std::string_view line);

enum class RequestCommand { Connect, Script, Function, Variable };

struct Request {
    RequestHeader header;
    ParsedOptions options;
    std::string body;   // the counted text body
    RequestCommand command = RequestCommand::Script;
    // connect
    bool login = false;
    std::string user, password;
    // script
    std::string script;
    // function / variable
    std::string functionName;
    std::vector<std::string> variableNames;
    int argCount = 0;
    bool littleEndian = true;
    std::vector<Value> args;
};
// Reads one complete request: header line, body, and for function/variable the argument objects
// in the announced byte order. Throws ProtocolError on malformed input.
Request readRequest(Source& in);

}   // namespace ddb
