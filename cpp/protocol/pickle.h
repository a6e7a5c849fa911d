// PROTOCOL_PICKLE results (PROTOCOL.md §7.1): a native unpickler for standard pickle streams of
// protocols 0-4 plus DolphinDB's SYMBOL (0xF1) and OBJECTBEGIN (0xF2) opcodes.
//
// The decoder runs the pickle machine without Python: it reads opcodes straight from a Source
// (bounded reads, no look-ahead past STOP) and builds a tree of Objects. Nothing is imported or
// called here; calls (REDUCE, NEWOBJ, BUILD ...) are recorded, and the binding replays them with
// the GIL (src/convert/pickle_objects.cpp). Every global a stream names must be on the allow-list
// of isAllowedGlobal() (the numpy / pandas / builtins names needed to rebuild arrays and frames);
// a stream naming anything else is read to its end and then refused with a ConversionError, so
// the connection stays usable. Malformed streams throw ProtocolError.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/io.h"

namespace ddb {

class Buffer;

namespace pickle {

enum class Kind : uint8_t {
    None,
    Bool,   // boolean
    Int,   // integer (fits int64)
    BigInt,   // text: two's complement little-endian bytes (LONG1 / LONG4)
    BigIntText,   // text: decimal digits, optional sign (INT / LONG of protocol 0)
    Float,   // real
    Str,   // text: UTF-8 (as sent; validated when it becomes a Python str)
    Bytes,   // bytes: the payload (64-byte aligned, so numpy can wrap it)
    Tuple,   // items
    List,   // items (APPEND/APPENDS land here directly)
    Dict,   // items: key, value, key, value ... (SETITEM/SETITEMS land here directly)
    Set,   // items (ADDITEMS)
    FrozenSet,   // items
    Global,   // text: module '\0' qualified name (may be dotted): see module(), qualname()
    Call,   // REDUCE: items = {callable, args tuple}
    NewObj,   // NEWOBJ / NEWOBJ_EX: items = {cls, args tuple[, kwargs dict]}
    Instance,   // INST / OBJ (protocols 0/1): items = {cls, args tuple}
};

struct Object;
using Ref = std::shared_ptr<Object>;

// The strings of a list filled by one MARK ... APPENDS of nothing but strings (how servers
// write a text column), packed instead of one Object per string. Either plain (item i is
// string i) or a SYMBOL section (item i is string indices[i] of the section's table).
struct TextRun {
    std::vector<int64_t> ends;   // end of string k in `bytes`
    std::string bytes;
    std::vector<uint32_t> indices;   // SYMBOL section only
    bool symbols = false;

    size_t strings() const { return ends.size(); }
    std::string_view string(size_t k) const {
        size_t from = k ? static_cast<size_t>(ends[k - 1]) : 0;
        return std::string_view(bytes).substr(from, static_cast<size_t>(ends[k]) - from);
    }
    size_t size() const { return symbols ? indices.size() : ends.size(); }
    std::string_view at(size_t i) const { return string(symbols ? indices[i] : i); }
};

// What a stream does to an object it created by a call, in stream order.
struct Mutation {
    enum class Kind : uint8_t {
        Build,   // BUILD: args = {state}
        Append,   // APPEND: args = {item}
        Extend,   // APPENDS: args = items
        SetItems,   // SETITEM(S): args = key, value, ...
        AddItems,   // ADDITEMS: args = items
    };
    Kind kind;
    std::vector<Ref> args;
};

struct Object {
    Kind kind = Kind::None;
    bool boolean = false;
    union {
        int64_t integer = 0;
        double real;
    };
    std::string text;
    std::shared_ptr<Buffer> bytes;
    std::vector<Ref> items;
    std::vector<Mutation> mutations;   // Call / NewObj / Instance results only
    // List only: its items when they are all strings read in one run (`items` is then empty).
    std::unique_ptr<TextRun> texts;

    Object() = default;
    explicit Object(Kind k) : kind(k) {}
    // Children are released iteratively: a hostile, deeply nested stream must not overflow the
    // C++ stack when the tree is destroyed.
    ~Object();
    Object(const Object&) = delete;
    Object& operator=(const Object&) = delete;

    std::string_view bytesView() const;
    // Global
    std::string_view module() const { return std::string_view(text).substr(0, text.find('\0')); }
    std::string_view qualname() const {
        size_t at = text.find('\0');
        return at == std::string::npos ? std::string_view() : std::string_view(text).substr(at + 1);
    }
};

// A decoded stream. Cycles (a list that contains itself, built through the memo) are broken
// when the Tree is destroyed: every cycle passes through a memoized list, dict, set or called
// object, which `memoized` keeps. Every other Object is referenced exactly as often as the
// result uses it (use_count() > 1: the object appears more than once).
struct Tree {
    Ref root;
    int protocol = 0;   // the PROTO version (0 when the stream had none)
    std::vector<Ref> memoized;
    ~Tree();
};

struct Limits {
    size_t maxStringBytes = size_t{1} << 32;   // one str / bytes payload
    size_t maxLineBytes = 64 * 1024;   // text arguments of protocol 0 opcodes
};

// Reads one pickle stream (up to and including STOP). Throws ProtocolError on malformed input
// and ConversionError when the stream names a global outside the allow-list (after reading the
// stream to its end).
std::shared_ptr<Tree> decode(Source& in, const Limits& limits = {});
// The same, when the first byte of the stream was already read (the codec sniffs it).
std::shared_ptr<Tree> decode(Source& in, uint8_t firstByte, const Limits& limits = {});

// Whether a result stream may import module.name (name may be dotted: "ZoneInfo._unpickle").
bool isAllowedGlobal(std::string_view module, std::string_view name);

}   // namespace pickle
}   // namespace ddb
