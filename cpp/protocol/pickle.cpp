// The pickle machine of pickle.h. Opcode semantics follow CPython's Lib/pickle.py (the reference
// the format is defined by); DolphinDB's additions follow PROTOCOL.md §7.1.
#include "protocol/pickle.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "errors.h"
#include "protocol/utf8.h"
#include "protocol/value.h"

namespace ddb::pickle {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw ProtocolError("invalid pickle stream: " + msg); }

// ---- the allow-list -------------------------------------------------------------------------

// module '\t' qualified name. Only reconstructors and data types: nothing that reads or writes
// files, evaluates text or reaches arbitrary attributes (getattr and _codecs.encode are handled
// natively by the decoder instead, see Machine::reduce).
const char* const kAllowed[] = {
    // numpy arrays, dtypes, scalars, masked arrays
    "numpy\tdtype",
    "numpy\tndarray",
    "numpy._core.multiarray\t_reconstruct",
    "numpy._core.multiarray\tscalar",
    "numpy.core.multiarray\t_reconstruct",
    "numpy.core.multiarray\tscalar",
    "numpy.ma\tMaskedArray",
    "numpy.ma.core\tMaskedArray",
    "numpy.ma.core\t_mareconstruct",
    // Python built-in value types
    "builtins\tbool",
    "builtins\tbytearray",
    "builtins\tbytes",
    "builtins\tcomplex",
    "builtins\tdict",
    "builtins\tfloat",
    "builtins\tfrozenset",
    "builtins\tint",
    "builtins\tlist",
    "builtins\tobject",
    "builtins\trange",
    "builtins\tset",
    "builtins\tslice",
    "builtins\tstr",
    "builtins\ttuple",
    "copyreg\t_reconstructor",
    "collections\tOrderedDict",
    "collections\tdeque",
    "datetime\tdate",
    "datetime\tdatetime",
    "datetime\ttime",
    "datetime\ttimedelta",
    "datetime\ttimezone",
    "zoneinfo\tZoneInfo",
    "zoneinfo\tZoneInfo._unpickle",
    "decimal\tDecimal",
    "fractions\tFraction",
    "uuid\tUUID",
    // pandas: frames, series, indexes, extension arrays and dtypes, scalars
    "pandas\tDataFrame",
    "pandas\tSeries",
    "pandas\tIndex",
    "pandas\tRangeIndex",
    "pandas\tDatetimeIndex",
    "pandas\tTimedeltaIndex",
    "pandas\tPeriodIndex",
    "pandas\tIntervalIndex",
    "pandas\tCategoricalIndex",
    "pandas\tMultiIndex",
    "pandas\tCategorical",
    "pandas\tCategoricalDtype",
    "pandas\tDatetimeTZDtype",
    "pandas\tPeriodDtype",
    "pandas\tIntervalDtype",
    "pandas\tStringDtype",
    "pandas\tBooleanDtype",
    "pandas\tInt8Dtype",
    "pandas\tInt16Dtype",
    "pandas\tInt32Dtype",
    "pandas\tInt64Dtype",
    "pandas\tUInt8Dtype",
    "pandas\tUInt16Dtype",
    "pandas\tUInt32Dtype",
    "pandas\tUInt64Dtype",
    "pandas\tFloat32Dtype",
    "pandas\tFloat64Dtype",
    "pandas\tArrowDtype",
    "pandas\tNA",
    "pandas\tNaT",
    "pandas\tTimestamp",
    "pandas\tTimedelta",
    "pandas\tPeriod",
    "pandas\tInterval",
    "pandas.core.frame\tDataFrame",
    "pandas.core.series\tSeries",
    "pandas.core.indexes.base\tIndex",
    "pandas.core.indexes.base\t_new_Index",
    "pandas.core.indexes.range\tRangeIndex",
    "pandas.core.indexes.datetimes\tDatetimeIndex",
    "pandas.core.indexes.datetimes\t_new_DatetimeIndex",
    "pandas.core.indexes.timedeltas\tTimedeltaIndex",
    "pandas.core.indexes.timedeltas\t_new_TimedeltaIndex",
    "pandas.core.indexes.period\tPeriodIndex",
    "pandas.core.indexes.period\t_new_PeriodIndex",
    "pandas.core.indexes.interval\tIntervalIndex",
    "pandas.core.indexes.interval\t_new_IntervalIndex",
    "pandas.core.indexes.category\tCategoricalIndex",
    "pandas.core.indexes.multi\tMultiIndex",
    "pandas.core.internals.managers\tBlockManager",
    "pandas.core.internals.managers\tSingleBlockManager",
    "pandas.core.internals.blocks\tnew_block",
    "pandas._libs.internals\t_unpickle_block",
    "pandas._libs.internals\tBlockPlacement",
    "pandas._libs.arrays\t__pyx_unpickle_NDArrayBacked",
    "pandas.arrays\tArrowStringArray",
    "pandas.arrays\tArrowExtensionArray",
    "pandas.arrays\tBooleanArray",
    "pandas.arrays\tDatetimeArray",
    "pandas.arrays\tFloatingArray",
    "pandas.arrays\tIntegerArray",
    "pandas.arrays\tStringArray",
    "pandas.arrays\tTimedeltaArray",
    "pandas.arrays\tPeriodArray",
    "pandas.arrays\tIntervalArray",
    "pandas.arrays\tNumpyExtensionArray",
    "pandas.core.arrays.categorical\tCategorical",
    "pandas.core.arrays.datetimes\tDatetimeArray",
    "pandas.core.arrays.timedeltas\tTimedeltaArray",
    "pandas.core.arrays.string_\tStringArray",
    "pandas.core.arrays.string_\tStringDtype",
    "pandas.core.arrays.string_arrow\tArrowStringArray",
    "pandas.core.arrays.integer\tIntegerArray",
    "pandas.core.arrays.floating\tFloatingArray",
    "pandas.core.arrays.boolean\tBooleanArray",
    "pandas.core.arrays.period\tPeriodArray",
    "pandas.core.arrays.interval\tIntervalArray",
    "pandas.core.arrays.numpy_\tNumpyExtensionArray",
    "pandas.core.arrays.arrow.array\tArrowExtensionArray",
    "pandas.core.dtypes.dtypes\tCategoricalDtype",
    "pandas.core.dtypes.dtypes\tDatetimeTZDtype",
    "pandas.core.dtypes.dtypes\tPeriodDtype",
    "pandas.core.dtypes.dtypes\tIntervalDtype",
    "pandas.core.dtypes.dtypes\tArrowDtype",
    "pandas._libs.tslibs.timestamps\tTimestamp",
    "pandas._libs.tslibs.timestamps\t_unpickle_timestamp",
    "pandas._libs.tslibs.timedeltas\tTimedelta",
    "pandas._libs.tslibs.timedeltas\t_timedelta_unpickle",
    "pandas._libs.tslibs.nattype\t_nat_unpickle",
    "pandas._libs.tslibs.nattype\t__nat_unpickle",
    "pandas._libs.tslibs.period\tPeriod",
    "pandas._libs.interval\tInterval",
    "pandas._libs.missing\tNA",
    // pyarrow: what pandas' Arrow-backed arrays pickle into (types and array reconstruction)
    "pyarrow.lib\t_restore_array",
    "pyarrow.lib\tpy_buffer",
    "pyarrow.lib\ttype_for_alias",
    "pyarrow.lib\tfield",
    "pyarrow.lib\tlist_",
    "pyarrow.lib\tlarge_list",
    "pyarrow.lib\tdictionary",
    "pyarrow.lib\ttimestamp",
    "pyarrow.lib\ttime32",
    "pyarrow.lib\ttime64",
    "pyarrow.lib\tdate32",
    "pyarrow.lib\tdate64",
    "pyarrow.lib\tduration",
    "pyarrow.lib\tdecimal128",
    "pyarrow.lib\tbinary",
    "pyarrow.lib\tlarge_binary",
    "pyarrow.lib\tstring",
    "pyarrow.lib\tlarge_string",
    "pyarrow.lib\tutf8",
    "pyarrow.lib\tstruct",
};

// Modules whose every public name is a plain data class (date offsets used as index frequencies).
const char* const kAllowedModules[] = {"pandas._libs.tslibs.offsets"};

const std::unordered_set<std::string>& allowedSet() {
    static const auto* set = [] {
        auto* s = new std::unordered_set<std::string>();
        for (const char* entry : kAllowed) s->insert(entry);
        return s;
    }();
    return *set;
}

// Python 2 names in protocol 0-2 streams, as CPython's fix_imports maps them.
void fixImports(std::string& module, std::string& name) {
    if (module == "__builtin__" || module == "exceptions") {
        module = "builtins";
        if (name == "xrange") name = "range";
        else if (name == "unicode" || name == "basestring") name = "str";
        else if (name == "long") name = "int";
    } else if (module == "copy_reg") {
        module = "copyreg";
    }
}

// ---- opcodes --------------------------------------------------------------------------------

enum Op : uint8_t {
    MARK = '(',
    STOP = '.',
    POP = '0',
    POP_MARK = '1',
    DUP = '2',
    FLOAT = 'F',
    INT = 'I',
    BININT = 'J',
    BININT1 = 'K',
    LONG = 'L',
    BININT2 = 'M',
    NONE = 'N',
    PERSID = 'P',
    BINPERSID = 'Q',
    REDUCE = 'R',
    STRING = 'S',
    BINSTRING = 'T',
    SHORT_BINSTRING = 'U',
    UNICODE = 'V',
    BINUNICODE = 'X',
    APPEND = 'a',
    BUILD = 'b',
    GLOBAL = 'c',
    DICT = 'd',
    EMPTY_DICT = '}',
    APPENDS = 'e',
    GET = 'g',
    BINGET = 'h',
    INST = 'i',
    LONG_BINGET = 'j',
    LIST = 'l',
    EMPTY_LIST = ']',
    OBJ = 'o',
    PUT = 'p',
    BINPUT = 'q',
    LONG_BINPUT = 'r',
    SETITEM = 's',
    TUPLE = 't',
    EMPTY_TUPLE = ')',
    SETITEMS = 'u',
    BINFLOAT = 'G',
    PROTO = 0x80,
    NEWOBJ = 0x81,
    EXT1 = 0x82,
    EXT2 = 0x83,
    EXT4 = 0x84,
    TUPLE1 = 0x85,
    TUPLE2 = 0x86,
    TUPLE3 = 0x87,
    NEWTRUE = 0x88,
    NEWFALSE = 0x89,
    LONG1 = 0x8a,
    LONG4 = 0x8b,
    BINBYTES = 'B',
    SHORT_BINBYTES = 'C',
    SHORT_BINUNICODE = 0x8c,
    BINUNICODE8 = 0x8d,
    BINBYTES8 = 0x8e,
    EMPTY_SET = 0x8f,
    ADDITEMS = 0x90,
    FROZENSET = 0x91,
    NEWOBJ_EX = 0x92,
    STACK_GLOBAL = 0x93,
    MEMOIZE = 0x94,
    FRAME = 0x95,
    BYTEARRAY8 = 0x96,
    NEXT_BUFFER = 0x97,
    READONLY_BUFFER = 0x98,
    SYMBOL = 0xf1,   // DolphinDB: a symbol table, then indices pushing its strings (§7.1)
    OBJECTBEGIN = 0xf2,   // DolphinDB: a marker, nothing to execute
};

std::string opName(uint8_t op) {
    char buf[8];
    if (op >= 0x20 && op < 0x7f) return std::string("'") + static_cast<char>(op) + "'";
    std::snprintf(buf, sizeof buf, "0x%02x", op);
    return buf;
}

const char* kindName(Kind k) {
    switch (k) {
        case Kind::None: return "None";
        case Kind::Bool: return "bool";
        case Kind::Int:
        case Kind::BigInt:
        case Kind::BigIntText: return "int";
        case Kind::Float: return "float";
        case Kind::Str: return "str";
        case Kind::Bytes: return "bytes";
        case Kind::Tuple: return "tuple";
        case Kind::List: return "list";
        case Kind::Dict: return "dict";
        case Kind::Set: return "set";
        case Kind::FrozenSet: return "frozenset";
        case Kind::Global: return "global";
        case Kind::Call:
        case Kind::NewObj:
        case Kind::Instance: return "object";
    }
    return "object";
}

constexpr size_t kChunk = 1 << 20;   // read step while the remaining size is unknown
// What a declared length may reserve before its bytes arrived (as codec.cpp's kUpfront):
// address space only, touched as bytes arrive; bytes payloads up to it never regrow.
constexpr size_t kUpfront = 64 << 20;

void release(std::vector<Ref>& memoized, Ref root);

// The memo. Indices from MEMOIZE (and the small ones of BINPUT) are dense: a vector; an index
// far beyond the vector's end goes to a map, so LONG_BINPUT 4000000000 allocates nothing big.
class Memo {
public:
    void put(uint64_t i, Ref r) {
        if (i >= dense_.size() && i <= dense_.size() + 1024) dense_.resize(static_cast<size_t>(i) + 1);
        if (i < dense_.size()) {
            if (!dense_[static_cast<size_t>(i)]) ++count_;
            dense_[static_cast<size_t>(i)] = std::move(r);
            return;
        }
        if (sparse_.insert_or_assign(i, std::move(r)).second) ++count_;
    }
    const Ref* get(uint64_t i) const {
        if (i < dense_.size()) return dense_[static_cast<size_t>(i)] ? &dense_[static_cast<size_t>(i)] : nullptr;
        auto it = sparse_.find(i);
        return it == sparse_.end() ? nullptr : &it->second;
    }
    size_t size() const { return count_; }   // len(memo), the index MEMOIZE uses
    // Moves every entry out (those `keep` accepts into `out`, the rest dropped).
    template <class Keep>
    void drainInto(std::vector<Ref>& out, Keep keep) {
        for (auto& r : dense_)
            if (r && keep(*r)) out.push_back(std::move(r));
        for (auto& [k, r] : sparse_)
            if (keep(*r)) out.push_back(std::move(r));
        dense_.clear();
        sparse_.clear();
        count_ = 0;
    }

private:
    std::vector<Ref> dense_;
    std::unordered_map<uint64_t, Ref> sparse_;
    size_t count_ = 0;
};

// Objects a stream can still change after creating them: the only ones a cycle can pass through.
bool mutableKind(const Object& o) {
    switch (o.kind) {
        case Kind::List:
        case Kind::Dict:
        case Kind::Set:
        case Kind::Call:
        case Kind::NewObj:
        case Kind::Instance: return true;
        default: return false;
    }
}

class Machine {
public:
    Machine(Source& in, const Limits& limits, int firstByte) : in_(in), limits_(limits), pending_(firstByte) {
        none_ = make(Kind::None);
        true_ = make(Kind::Bool);
        true_->boolean = true;
        false_ = make(Kind::Bool);
    }
    // A stream that failed half-way may have built cycles through its memo.
    ~Machine() {
        std::vector<Ref> memoized;
        memo_.drainInto(memoized, [](const Object&) { return true; });
        for (auto& r : stack_) memoized.push_back(std::move(r));
        stack_.clear();
        release(memoized, nullptr);
        none_.reset();
        true_.reset();
        false_.reset();
    }

    std::shared_ptr<Tree> run() {
        auto tree = std::make_shared<Tree>();
        for (;;) {
            uint8_t op = next();
            if (op == STOP) {
                tree->root = pop();
                break;
            }
            execute(op);
        }
        tree->protocol = proto_;
        // Only objects a cycle can pass through stay referenced from the tree: the others are
        // then referenced exactly as often as the result uses them (the replay relies on it).
        memo_.drainInto(tree->memoized, mutableKind);
        stack_.clear();
        if (!refused_.empty())
            throw ConversionError("The pickled result uses " + refused_ +
                                  ", which is not one of the numpy, pandas, pyarrow and Python built-in "
                                  "classes and functions a result may use");
        return tree;
    }

private:
    // ---- input ----
    uint8_t byte() {
        uint8_t b;
        in_.read(&b, 1);
        return b;
    }
    uint8_t next() {
        if (pending_ >= 0) {
            uint8_t b = static_cast<uint8_t>(pending_);
            pending_ = -1;
            return b;
        }
        return byte();
    }
    template <class T>
    T le() {
        uint8_t raw[sizeof(T)];
        in_.read(raw, sizeof raw);
        T v{};
        if constexpr (std::endian::native == std::endian::big) std::reverse(raw, raw + sizeof raw);
        std::memcpy(&v, raw, sizeof v);
        return v;
    }
    // A protocol-0 memo index: a non-negative decimal on its own line.
    uint64_t lineIndex(const char* what) {
        int64_t i;
        if (!parseInt64(line(what), i) || i < 0) fail(std::string("invalid ") + what + " index");
        return static_cast<uint64_t>(i);
    }
    std::string line(const char* what) {
        std::string s;
        try {
            in_.readUntil('\n', s, limits_.maxLineBytes);
        } catch (const ProtocolError& e) {
            fail(std::string("reading the argument of ") + what + ": " + e.what());
        }
        if (!s.empty() && s.back() == '\r') s.pop_back();
        return s;
    }
    void checkLength(uint64_t n, const char* what) {
        if (n > limits_.maxStringBytes) fail(std::string(what) + " of " + std::to_string(n) + " bytes is too long");
        int64_t left = in_.remaining();
        if (left >= 0 && n > static_cast<uint64_t>(left))
            fail(std::string(what) + " of " + std::to_string(n) + " bytes, only " + std::to_string(left) + " left");
    }
    // Reads n bytes; when the remaining size is unknown the buffer grows as bytes arrive, so a
    // lying length cannot make us allocate more than was actually sent.
    std::string text(uint64_t n, const char* what) {
        checkLength(n, what);
        std::string s;
        if (in_.remaining() >= 0) {
            s.resize(static_cast<size_t>(n));
            in_.read(s.data(), s.size());
            return s;
        }
        while (s.size() < n) {
            size_t take = static_cast<size_t>(std::min<uint64_t>(kChunk, n - s.size()));
            size_t at = s.size();
            s.resize(at + take);
            in_.read(s.data() + at, take);
        }
        return s;
    }
    std::shared_ptr<Buffer> payload(uint64_t n, const char* what) {
        checkLength(n, what);
        if (in_.remaining() >= 0) {
            auto buf = Buffer::allocate(static_cast<size_t>(n));
            if (n) in_.read(buf->data(), static_cast<size_t>(n));
            return buf;
        }
        // A kept block of the announced size may hold it all (memory already committed).
        auto buf = Buffer::allocate(static_cast<size_t>(std::min<uint64_t>(n, kUpfront)), static_cast<size_t>(n));
        size_t have = 0;
        while (have < n) {
            size_t take = static_cast<size_t>(std::min<uint64_t>(kChunk, n - have));
            if (buf->size() < have + take) buf->resize(std::min<uint64_t>(n, std::max<uint64_t>(have + take, buf->size() * 2)));
            in_.read(buf->data() + have, take);
            have += take;
        }
        return buf;
    }

    // ---- objects ----
    Ref make(Kind k) { return std::make_shared<Object>(k); }
    Ref makeInt(int64_t v) {
        Ref o = make(Kind::Int);
        o->integer = v;
        return o;
    }
    Ref makeStr(std::string s) {
        Ref o = make(Kind::Str);
        o->text = std::move(s);
        return o;
    }
    Ref makeBytes(std::shared_ptr<Buffer> b) {
        Ref o = make(Kind::Bytes);
        o->bytes = std::move(b);
        return o;
    }
    Ref makeContainer(Kind k, std::vector<Ref> items) {
        Ref o = make(k);
        o->items = std::move(items);
        return o;
    }
    Ref makeGlobal(std::string module, std::string name) {
        if (proto_ < 3) fixImports(module, name);
        bool nul = module.find('\0') != std::string::npos || name.find('\0') != std::string::npos;
        if ((nul || (!isAllowedGlobal(module, name) && !nativeGlobal(module, name))) && refused_.empty())
            refused_ = module + "." + name;
        Ref o = make(Kind::Global);
        o->text = std::move(module);
        o->text += '\0';
        o->text += name;
        return o;
    }
    static bool nativeGlobal(std::string_view module, std::string_view name) {
        return (module == "_codecs" && name == "encode") || (module == "builtins" && name == "getattr");
    }
    static bool isGlobal(const Ref& o, std::string_view module, std::string_view name) {
        return o->kind == Kind::Global && o->module() == module && o->qualname() == name;
    }

    // ---- stack ----
    void push(Ref o) { stack_.push_back(std::move(o)); }
    Ref pop() {
        if (stack_.size() <= floor()) fail("stack underflow");
        Ref o = std::move(stack_.back());
        stack_.pop_back();
        return o;
    }
    Ref& top() {
        if (stack_.size() <= floor()) fail("stack underflow");
        return stack_.back();
    }
    size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
    std::vector<Ref> popMark() {
        if (marks_.empty()) fail("could not find MARK");
        size_t at = marks_.back();
        marks_.pop_back();
        std::vector<Ref> items(std::make_move_iterator(stack_.begin() + static_cast<ptrdiff_t>(at)),
                               std::make_move_iterator(stack_.end()));
        stack_.resize(at);
        return items;
    }

    void memoPut(uint64_t index) { memo_.put(index, top()); }
    void memoGet(uint64_t index) {
        const Ref* r = memo_.get(index);
        if (!r) fail("memo value not found at index " + std::to_string(index));
        push(*r);
    }

    // ---- mutations ----
    void mutate(const Ref& target, Mutation::Kind kind, std::vector<Ref> args, const char* opname) {
        auto append = [&] {
            if (target->items.empty()) target->items = std::move(args);
            else
                target->items.insert(target->items.end(), std::make_move_iterator(args.begin()),
                                     std::make_move_iterator(args.end()));
        };
        switch (target->kind) {
            case Kind::List:
                if (kind == Mutation::Kind::Append || kind == Mutation::Kind::Extend) {
                    if (target->texts) unpackInto(*target);
                    return append();
                }
                break;
            case Kind::Dict:
                if (kind == Mutation::Kind::SetItems) {
                    return append();
                }
                break;
            case Kind::Set:
                if (kind == Mutation::Kind::AddItems) {
                    return append();
                }
                break;
            case Kind::Call:
            case Kind::NewObj:
            case Kind::Instance: target->mutations.push_back(Mutation{kind, std::move(args)}); return;
            default: break;
        }
        fail(std::string(opname) + " applied to a " + kindName(target->kind));
    }

    // REDUCE. _codecs.encode(text, 'latin1') (how protocols 0-2 spell bytes) and
    // getattr(global, 'name') (how classmethods are pickled) are evaluated here, so neither
    // function is ever called from a result stream.
    void reduce() {
        Ref args = pop();
        Ref callable = pop();
        if (args->kind != Kind::Tuple) fail("REDUCE arguments are a " + std::string(kindName(args->kind)) + ", not a tuple");
        if (isGlobal(callable, "_codecs", "encode")) return push(latin1Bytes(args));
        if (isGlobal(callable, "builtins", "getattr")) {
            if (args->items.size() == 2 && args->items[0]->kind == Kind::Global && args->items[1]->kind == Kind::Str) {
                const Ref& owner = args->items[0];
                return push(
                    makeGlobal(std::string(owner->module()), std::string(owner->qualname()) + "." + args->items[1]->text));
            }
            if (refused_.empty()) refused_ = "builtins.getattr on a value that is not a global";
        }
        Ref o = make(Kind::Call);
        o->items = {std::move(callable), std::move(args)};
        push(std::move(o));
    }

    Ref latin1Bytes(const Ref& args) {
        const auto& a = args->items;
        bool latin1 = a.size() == 2 && a[0]->kind == Kind::Str && a[1]->kind == Kind::Str &&
            (a[1]->text == "latin1" || a[1]->text == "latin-1" || a[1]->text == "iso-8859-1");
        if (!latin1) {
            if (refused_.empty()) refused_ = "_codecs.encode with arguments other than (str, 'latin1')";
            return none_;
        }
        // UTF-8 -> code points, each of which must be below 256.
        const std::string& s = a[0]->text;
        auto buf = Buffer::allocate(s.size());
        size_t n = 0;
        for (size_t i = 0; i < s.size();) {
            uint8_t c = static_cast<uint8_t>(s[i]);
            if (c < 0x80) {
                buf->data()[n++] = c;
                ++i;
            } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size() && (static_cast<uint8_t>(s[i + 1]) & 0xc0) == 0x80) {
                uint32_t cp = (static_cast<uint32_t>(c & 0x1f) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3f);
                if (cp > 0xff) fail("_codecs.encode(..., 'latin1') of a character above U+00FF");
                buf->data()[n++] = static_cast<uint8_t>(cp);
                i += 2;
            } else {
                fail("_codecs.encode(..., 'latin1') of a character above U+00FF");
            }
        }
        buf->resize(n);
        return makeBytes(std::move(buf));
    }

    // ---- packed strings ----
    // After `EMPTY_LIST MARK`: strings (or one SYMBOL section) up to APPENDS become the list's
    // TextRun, with no Object per string. Any other opcode on the way ends the attempt: the
    // strings read so far are pushed as Objects and the opcode runs normally, so the stream
    // means exactly what it meant.
    // For the three protocol-4 string opcodes: reads the byte length that follows into n.
    bool stringLength(uint8_t op, uint64_t& n) {
        switch (op) {
            case SHORT_BINUNICODE: n = byte(); return true;
            case BINUNICODE: n = le<uint32_t>(); return true;
            case BINUNICODE8: n = le<uint64_t>(); return true;
            default: return false;
        }
    }
    void textRun() {
        auto run = std::make_unique<TextRun>();
        for (;;) {
            if (!run->symbols && pending_ < 0) shortStrings(*run);
            uint8_t op = next();
            uint64_t n;
            if (stringLength(op, n)) {
                if (!run->symbols) {
                    appendText(run->bytes, n, "string");
                    run->ends.push_back(static_cast<int64_t>(run->bytes.size()));
                    continue;
                }
                unpack(*run);   // a string after a SYMBOL section: read and pushed as usual
                return push(makeStr(text(n, "string")));
            }
            switch (op) {
                case FRAME: frame(); continue;
                case SYMBOL:
                    if (run->strings() != 0) {
                        pending_ = op;
                        return unpack(*run);
                    }
                    if (!symbolRun(*run)) return;   // no indices: pending_ holds the opcode that ended it
                    continue;
                case APPENDS:
                    if (run->size() == 0) break;
                    marks_.pop_back();
                    stack_.back()->texts = std::move(run);
                    return;
                default: break;
            }
            pending_ = op;
            return unpack(*run);
        }
    }
    // The SHORT_BINUNICODE records already buffered by the source, appended in one scan.
    void shortStrings(TextRun& run) {
        if (limits_.maxStringBytes < 255) return;
        std::string_view at = in_.peek();
        size_t used = 0;
        while (used + 2 <= at.size() && static_cast<uint8_t>(at[used]) == SHORT_BINUNICODE) {
            size_t n = static_cast<uint8_t>(at[used + 1]);
            if (used + 2 + n > at.size()) break;
            run.bytes.append(at.data() + used + 2, n);
            run.ends.push_back(static_cast<int64_t>(run.bytes.size()));
            used += 2 + n;
        }
        in_.consume(used);
    }
    // A SYMBOL section into an empty run: true when its indices were read (the run then holds
    // the section); false when it ended without indices (the run stays empty, pending_ set).
    bool symbolRun(TextRun& run) {
        for (;;) {
            uint8_t op = next();
            uint64_t n;
            if (stringLength(op, n)) {
                appendText(run.bytes, n, "SYMBOL string");
                run.ends.push_back(static_cast<int64_t>(run.bytes.size()));
                continue;
            }
            switch (op) {
                case FRAME: frame(); continue;
                case SHORT_BINBYTES: symbolRunIndices(run, byte(), 1); return true;
                case BINBYTES: symbolRunIndices(run, le<uint32_t>(), 4); return true;
                case BINBYTES8: symbolRunIndices(run, le<uint64_t>(), 8); return true;
                default:
                    pending_ = op;
                    run.ends.clear();
                    run.bytes.clear();
                    return false;
            }
        }
    }
    void symbolRunIndices(TextRun& run, uint64_t bytes, int width) {
        run.symbols = true;
        readSymbolIndices(
            bytes, width, run.strings(), [&](size_t count) { run.indices.reserve(count); },
            [&](uint64_t index) { run.indices.push_back(static_cast<uint32_t>(index)); });
    }
    // A SYMBOL section's index bytes (little-endian, `width` bytes each) in bounded chunks, each
    // index checked against the section's `tableSize` strings; `reserve(count)` first when the
    // stream's size says the bytes are there.
    template <class Reserve, class OnIndex>
    void readSymbolIndices(uint64_t bytes, int width, uint64_t tableSize, Reserve&& reserve, OnIndex&& onIndex) {
        if (bytes % static_cast<uint64_t>(width) != 0)
            fail("SYMBOL index bytes (" + std::to_string(bytes) + ") are not a multiple of " + std::to_string(width));
        checkLength(bytes, "SYMBOL indices");
        if (in_.remaining() >= 0) reserve(static_cast<size_t>(bytes / width));
        std::array<uint8_t, 64 * 1024> chunk;
        uint64_t left = bytes;
        while (left > 0) {
            size_t take = static_cast<size_t>(std::min<uint64_t>(chunk.size(), left));
            in_.read(chunk.data(), take);
            left -= take;
            for (size_t at = 0; at < take; at += static_cast<size_t>(width)) {
                uint64_t index = 0;
                if (width == 1) {
                    index = chunk[at];
                } else {
                    for (int k = width - 1; k >= 0; --k) index = (index << 8) | chunk[at + static_cast<size_t>(k)];
                }
                if (index >= tableSize)
                    fail("SYMBOL index " + std::to_string(index) + " outside its table of " + std::to_string(tableSize) +
                         " strings");
                onIndex(index);
            }
        }
    }
    // The run's strings onto the stack as Objects (a SYMBOL section's entries shared).
    void unpack(const TextRun& run) {
        for (auto& r : unpacked(run)) push(std::move(r));
    }
    std::vector<Ref> unpacked(const TextRun& run) {
        std::vector<Ref> table(run.strings());
        for (size_t k = 0; k < table.size(); ++k) table[k] = makeStr(std::string(run.string(k)));
        if (!run.symbols) return table;
        std::vector<Ref> items;
        items.reserve(run.indices.size());
        for (uint32_t i : run.indices) items.push_back(table[i]);
        return items;
    }
    // Appends n stream bytes to out (grown as they arrive when the remaining size is unknown).
    void appendText(std::string& out, uint64_t n, const char* what) {
        checkLength(n, what);
        size_t at = out.size();
        if (in_.remaining() >= 0) {
            out.resize(at + static_cast<size_t>(n));
            in_.read(out.data() + at, static_cast<size_t>(n));
            return;
        }
        uint64_t have = 0;
        while (have < n) {
            size_t take = static_cast<size_t>(std::min<uint64_t>(kChunk, n - have));
            out.resize(at + have + take);
            in_.read(out.data() + at + have, take);
            have += take;
        }
    }

    void unpackInto(Object& list) {
        list.items = unpacked(*list.texts);
        list.texts.reset();
    }

    // DolphinDB's SYMBOL section: strings define a table (not left on the stack), FRAMEs may
    // interleave, then one bytes opcode holds little-endian indices; the string each index names
    // is pushed. Any other opcode ends the section and is executed normally.
    void symbols() {
        std::vector<Ref> table;
        for (;;) {
            uint8_t op = next();
            uint64_t n;
            if (stringLength(op, n)) {
                table.push_back(makeStr(text(n, "SYMBOL string")));
                continue;
            }
            switch (op) {
                case FRAME: frame(); continue;
                case SHORT_BINBYTES: return symbolIndices(table, byte(), 1);
                case BINBYTES: return symbolIndices(table, le<uint32_t>(), 4);
                case BINBYTES8: return symbolIndices(table, le<uint64_t>(), 8);
                default: pending_ = op; return;
            }
        }
    }
    void symbolIndices(const std::vector<Ref>& table, uint64_t bytes, int width) {
        readSymbolIndices(
            bytes, width, table.size(), [&](size_t count) { stack_.reserve(stack_.size() + count); },
            [&](uint64_t index) { stack_.push_back(table[static_cast<size_t>(index)]); });
    }

    void frame() {
        uint64_t n = le<uint64_t>();
        int64_t left = in_.remaining();
        if (left >= 0 && n > static_cast<uint64_t>(left)) fail("FRAME of " + std::to_string(n) + " bytes exceeds the stream");
    }

    // ---- protocol 0 text arguments ----
    static bool parseInt64(std::string_view s, int64_t& out) {
        if (!s.empty() && s.front() == '+') s.remove_prefix(1);
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc() && p == s.data() + s.size();
    }
    static bool decimalDigits(std::string_view s) {
        if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
        return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    }
    Ref textInteger(std::string s, const char* what) {
        int64_t v;
        if (parseInt64(s, v)) return makeInt(v);
        if (!decimalDigits(s)) fail(std::string("invalid ") + what + " argument '" + s.substr(0, 40) + "'");
        Ref o = make(Kind::BigIntText);
        o->text = std::move(s);
        return o;
    }
    Ref littleEndianInteger(const std::string& bytes) {
        if (bytes.size() <= 8) {
            uint64_t v = 0;
            for (size_t i = 0; i < bytes.size(); ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
            if (!bytes.empty() && bytes.size() < 8 && (static_cast<uint8_t>(bytes.back()) & 0x80))
                v |= ~uint64_t{0} << (8 * bytes.size());   // sign-extend
            return makeInt(static_cast<int64_t>(v));
        }
        Ref o = make(Kind::BigInt);
        o->text = bytes;
        return o;
    }
    // STRING / BINSTRING (Python 2 str): CPython decodes them as ASCII by default.
    Ref asciiStr(std::string s, const char* what) {
        for (char c : s)
            if (static_cast<uint8_t>(c) >= 0x80) fail(std::string(what) + " holds non-ASCII bytes");
        return makeStr(std::move(s));
    }
    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    // UNICODE: raw-unicode-escape (latin-1 bytes, \uXXXX and \UXXXXXXXX escapes) -> UTF-8.
    static std::string rawUnicodeEscape(const std::string& s) {
        std::string out;
        for (size_t i = 0; i < s.size();) {
            if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
                size_t digits = s[i + 1] == 'u' ? 4 : 8;
                if (i + 2 + digits > s.size()) fail("truncated \\u escape in UNICODE");
                uint32_t cp = 0;
                for (size_t k = 0; k < digits; ++k) {
                    int d = hexDigit(s[i + 2 + k]);
                    if (d < 0) fail("invalid \\u escape in UNICODE");
                    cp = cp * 16 + static_cast<uint32_t>(d);
                }
                if (cp > 0x10ffff) fail("\\U escape beyond U+10FFFF in UNICODE");
                appendUtf8(out, cp);
                i += 2 + digits;
            } else {
                appendUtf8(out, static_cast<uint8_t>(s[i]));
                ++i;
            }
        }
        return out;
    }
    // STRING: a quoted Python 2 literal, unescaped as codecs.escape_decode does.
    static std::string escapeDecode(std::string_view s) {
        std::string out;
        for (size_t i = 0; i < s.size(); ++i) {
            char c = s[i];
            if (c != '\\' || i + 1 == s.size()) {
                if (c == '\\') fail("trailing backslash in STRING");
                out.push_back(c);
                continue;
            }
            char e = s[++i];
            switch (e) {
                case '\n': break;
                case '\\': out.push_back('\\'); break;
                case '\'': out.push_back('\''); break;
                case '"': out.push_back('"'); break;
                case 'a': out.push_back('\a'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'v': out.push_back('\v'); break;
                case 'x': {
                    int h = i + 1 < s.size() ? hexDigit(s[i + 1]) : -1;
                    int l = i + 2 < s.size() ? hexDigit(s[i + 2]) : -1;
                    if (h < 0 || l < 0) fail("invalid \\x escape in STRING");
                    out.push_back(static_cast<char>(h * 16 + l));
                    i += 2;
                    break;
                }
                default:
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
                            v = v * 8 + (s[++i] - '0');
                        out.push_back(static_cast<char>(v & 0xff));
                    } else {
                        out.push_back('\\');
                        out.push_back(e);
                    }
            }
        }
        return out;
    }

    // ---- the dispatcher ----
    void execute(uint8_t op) {
        switch (op) {
            case PROTO: {
                uint8_t v = byte();
                if (v > 4) fail("pickle protocol " + std::to_string(v) + " is not supported (at most 4)");
                proto_ = v;
                return;
            }
            case FRAME: return frame();
            case OBJECTBEGIN: return;
            case SYMBOL: return symbols();
            case MARK:
                marks_.push_back(stack_.size());
                if (!stack_.empty() && stack_.back()->kind == Kind::List && stack_.back()->items.empty() && !stack_.back()->texts)
                    textRun();
                return;
            case POP:
                if (stack_.size() > floor()) stack_.pop_back();
                else popMark();
                return;
            case POP_MARK: popMark(); return;
            case DUP: {
                Ref o = top();
                push(std::move(o));
                return;
            }

            case NONE: return push(none_);
            case NEWTRUE: return push(true_);
            case NEWFALSE: return push(false_);
            case BININT: return push(makeInt(le<int32_t>()));
            case BININT1: return push(makeInt(byte()));
            case BININT2: return push(makeInt(le<uint16_t>()));
            case LONG1: return push(littleEndianInteger(text(byte(), "LONG1")));
            case LONG4: {
                int32_t n = le<int32_t>();
                if (n < 0) fail("LONG4 with negative length");
                return push(littleEndianInteger(text(static_cast<uint64_t>(n), "LONG4")));
            }
            case INT: {
                std::string s = line("INT");
                if (s == "00") return push(false_);
                if (s == "01") return push(true_);
                return push(textInteger(std::move(s), "INT"));
            }
            case LONG: {
                std::string s = line("LONG");
                if (!s.empty() && s.back() == 'L') s.pop_back();
                return push(textInteger(std::move(s), "LONG"));
            }
            case FLOAT: {
                std::string s = line("FLOAT");
                Ref o = make(Kind::Float);
                auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), o->real);
                if (ec != std::errc() || p != s.data() + s.size()) fail("invalid FLOAT argument '" + s.substr(0, 40) + "'");
                return push(std::move(o));
            }
            case BINFLOAT: {
                uint8_t raw[8];
                in_.read(raw, 8);
                if constexpr (std::endian::native == std::endian::little) std::reverse(raw, raw + 8);
                Ref o = make(Kind::Float);
                std::memcpy(&o->real, raw, 8);
                return push(std::move(o));
            }

            case SHORT_BINUNICODE: return push(makeStr(text(byte(), "SHORT_BINUNICODE")));
            case BINUNICODE: return push(makeStr(text(le<uint32_t>(), "BINUNICODE")));
            case BINUNICODE8: return push(makeStr(text(le<uint64_t>(), "BINUNICODE8")));
            case UNICODE: return push(makeStr(rawUnicodeEscape(line("UNICODE"))));
            case SHORT_BINBYTES: return push(makeBytes(payload(byte(), "SHORT_BINBYTES")));
            case BINBYTES: return push(makeBytes(payload(le<uint32_t>(), "BINBYTES")));
            case BINBYTES8: return push(makeBytes(payload(le<uint64_t>(), "BINBYTES8")));
            case SHORT_BINSTRING: return push(asciiStr(text(byte(), "SHORT_BINSTRING"), "SHORT_BINSTRING"));
            case BINSTRING: {
                int32_t n = le<int32_t>();
                if (n < 0) fail("BINSTRING with negative length");
                return push(asciiStr(text(static_cast<uint64_t>(n), "BINSTRING"), "BINSTRING"));
            }
            case STRING: {
                std::string s = line("STRING");
                if (s.size() < 2 || s.front() != s.back() || (s.front() != '\'' && s.front() != '"'))
                    fail("the STRING opcode argument must be quoted");
                return push(asciiStr(escapeDecode(std::string_view(s).substr(1, s.size() - 2)), "STRING"));
            }

            case EMPTY_TUPLE: return push(make(Kind::Tuple));
            case TUPLE: return push(makeContainer(Kind::Tuple, popMark()));
            case TUPLE1:
            case TUPLE2:
            case TUPLE3: {
                size_t n = static_cast<size_t>(op - TUPLE1 + 1);
                if (stack_.size() < floor() + n) fail("stack underflow");
                std::vector<Ref> items(std::make_move_iterator(stack_.end() - static_cast<ptrdiff_t>(n)),
                                       std::make_move_iterator(stack_.end()));
                stack_.resize(stack_.size() - n);
                return push(makeContainer(Kind::Tuple, std::move(items)));
            }
            case EMPTY_LIST: return push(make(Kind::List));
            case LIST: return push(makeContainer(Kind::List, popMark()));
            case EMPTY_DICT: return push(make(Kind::Dict));
            case DICT: {
                auto items = popMark();
                if (items.size() % 2) fail("DICT with an odd number of items");
                return push(makeContainer(Kind::Dict, std::move(items)));
            }
            case EMPTY_SET: return push(make(Kind::Set));
            case FROZENSET: return push(makeContainer(Kind::FrozenSet, popMark()));

            case APPEND: {
                Ref v = pop();
                return mutate(top(), Mutation::Kind::Append, {std::move(v)}, "APPEND");
            }
            case APPENDS: {
                auto items = popMark();
                return mutate(top(), Mutation::Kind::Extend, std::move(items), "APPENDS");
            }
            case SETITEM: {
                Ref v = pop();
                Ref k = pop();
                return mutate(top(), Mutation::Kind::SetItems, {std::move(k), std::move(v)}, "SETITEM");
            }
            case SETITEMS: {
                auto items = popMark();
                if (items.size() % 2) fail("SETITEMS with an odd number of items");
                return mutate(top(), Mutation::Kind::SetItems, std::move(items), "SETITEMS");
            }
            case ADDITEMS: {
                auto items = popMark();
                return mutate(top(), Mutation::Kind::AddItems, std::move(items), "ADDITEMS");
            }
            case BUILD: {
                Ref state = pop();
                return mutate(top(), Mutation::Kind::Build, {std::move(state)}, "BUILD");
            }

            case GLOBAL: {
                std::string module = line("GLOBAL");
                std::string name = line("GLOBAL");
                return push(makeGlobal(std::move(module), std::move(name)));
            }
            case STACK_GLOBAL: {
                Ref name = pop();
                Ref module = pop();
                if (module->kind != Kind::Str || name->kind != Kind::Str) fail("STACK_GLOBAL requires str");
                return push(makeGlobal(module->text, name->text));
            }
            case REDUCE: return reduce();
            case NEWOBJ: {
                Ref args = pop();
                Ref cls = pop();
                if (args->kind != Kind::Tuple) fail("NEWOBJ arguments are not a tuple");
                Ref o = make(Kind::NewObj);
                o->items = {std::move(cls), std::move(args)};
                return push(std::move(o));
            }
            case NEWOBJ_EX: {
                Ref kwargs = pop();
                Ref args = pop();
                Ref cls = pop();
                if (args->kind != Kind::Tuple || kwargs->kind != Kind::Dict)
                    fail("NEWOBJ_EX arguments are not a tuple and a dict");
                Ref o = make(Kind::NewObj);
                o->items = {std::move(cls), std::move(args), std::move(kwargs)};
                return push(std::move(o));
            }
            case INST: {
                std::string module = line("INST");
                std::string name = line("INST");
                Ref cls = makeGlobal(std::move(module), std::move(name));
                Ref o = make(Kind::Instance);
                o->items = {std::move(cls), makeContainer(Kind::Tuple, popMark())};
                return push(std::move(o));
            }
            case OBJ: {
                auto items = popMark();
                if (items.empty()) fail("OBJ without a class");
                Ref cls = std::move(items.front());
                items.erase(items.begin());
                Ref o = make(Kind::Instance);
                o->items = {std::move(cls), makeContainer(Kind::Tuple, std::move(items))};
                return push(std::move(o));
            }

            case PUT: return memoPut(lineIndex("PUT"));
            case BINPUT: return memoPut(byte());
            case LONG_BINPUT: return memoPut(le<uint32_t>());
            case MEMOIZE: return memoPut(memo_.size());
            case GET: return memoGet(lineIndex("GET"));
            case BINGET: return memoGet(byte());
            case LONG_BINGET: return memoGet(le<uint32_t>());

            case PERSID:
            case BINPERSID: fail("persistent ids (opcode " + opName(op) + ") are not supported");
            case EXT1:
            case EXT2:
            case EXT4: fail("extension registry codes (opcode " + opName(op) + ") are not supported");
            case BYTEARRAY8:
            case NEXT_BUFFER:
            case READONLY_BUFFER: fail("protocol 5 opcode " + opName(op) + " is not supported");
            default: fail("unknown opcode " + opName(op));
        }
    }

    Source& in_;
    Limits limits_;
    int pending_;
    int proto_ = 0;
    std::vector<Ref> stack_;
    std::vector<size_t> marks_;
    Memo memo_;
    std::string refused_;
    Ref none_, true_, false_;
};

// Objects being torn down iteratively (see ~Object).
thread_local std::vector<Ref>* tTeardown = nullptr;

void moveChildren(Object& o, std::vector<Ref>& into) {
    for (auto& r : o.items) into.push_back(std::move(r));
    for (auto& m : o.mutations)
        for (auto& r : m.args) into.push_back(std::move(r));
    o.items.clear();
    o.mutations.clear();
}

// Drops every reference in `work`; objects freed on the way hand their children to `work`
// instead of recursing.
void drain(std::vector<Ref>& work) {
    std::vector<Ref>* outer = tTeardown;
    tTeardown = &work;
    while (!work.empty()) {
        Ref r = std::move(work.back());
        work.pop_back();
        r.reset();
    }
    tTeardown = outer;
}

// Breaks the cycles a stream can build through its memo, then releases everything.
void release(std::vector<Ref>& memoized, Ref root) {
    std::vector<Ref> work;
    for (auto& o : memoized) moveChildren(*o, work);
    for (auto& o : memoized) work.push_back(std::move(o));
    memoized.clear();
    if (root) work.push_back(std::move(root));
    drain(work);
}

}   // namespace

Object::~Object() {
    if (items.empty() && mutations.empty()) return;
    if (tTeardown) {   // an outer drain() owns the worklist
        moveChildren(*this, *tTeardown);
        return;
    }
    std::vector<Ref> work;
    moveChildren(*this, work);
    drain(work);
}

std::string_view Object::bytesView() const {
    if (!bytes) return {};
    return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

Tree::~Tree() { release(memoized, std::move(root)); }

std::shared_ptr<Tree> decode(Source& in, const Limits& limits) {
    Machine m(in, limits, -1);
    return m.run();
}

std::shared_ptr<Tree> decode(Source& in, uint8_t firstByte, const Limits& limits) {
    Machine m(in, limits, firstByte);
    return m.run();
}

bool isAllowedGlobal(std::string_view module, std::string_view name) {
    std::string key;
    key.reserve(module.size() + 1 + name.size());
    key.append(module);
    key += '\t';
    key.append(name);
    if (allowedSet().count(key)) return true;
    for (const char* m : kAllowedModules)
        if (module == m && !name.empty() && name.front() != '_' && name.find('.') == std::string_view::npos) return true;
    return false;
}

}   // namespace ddb::pickle
