// Object serialization (PROTOCOL.md §5, §6, Appendix B).
//
// Decoder rules: every count is checked (negative -> ProtocolError; against Source::remaining()
// when known); fixed-width data is read straight into its final Buffer; when the remaining size is
// unknown (a socket) buffers grow in bounded chunks as bytes arrive, so a lying count cannot make
// us allocate unbounded memory. Nesting (ANY / dictionary / set / table inside ANY) is limited.
#include "protocol/codec.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "compression/compression.h"
#include "protocol/arrow_stream.h"
#include "protocol/pickle.h"

namespace ddb {

namespace {

constexpr int kMaxDepth = 100;
constexpr size_t kMaxStringLength = 64 * 1024 * 1024;   // one STRING/SYMBOL/text value
constexpr uint64_t kMaxBlobLength = 2ULL * 1024 * 1024 * 1024;
// What a client sends: a STRING/SYMBOL value must be shorter than 256 KiB, the limit of the
// official APIs (users match on their text; BLOB has no such limit).
constexpr size_t kMaxSentStringLength = 256 * 1024;
const char* const kStringTooLongText = "String too long, Serialization failed, length must be less than 256K bytes.";
constexpr size_t kChunk = 1024 * 1024;   // read step when remaining() is unknown
// What a declared size may reserve before its bytes arrived (remaining() unknown): a lying
// count costs at most this much address space, and pages are only touched as bytes arrive,
// while real columns up to this size are read into their final buffer without regrowing it.
constexpr size_t kUpfront = 64 * 1024 * 1024;
constexpr int kArrayBlockRows = 65535;
constexpr int64_t kMaxElements = int64_t(1) << 40;   // far above any real vector (INT32 rows)

[[noreturn]] void fail(const std::string& msg) { throw ProtocolError(msg); }

std::string tname(uint8_t t) { return typeName(t) + " (type id " + std::to_string(t) + ")"; }

int maxDecimalScale(Type t) { return typeInfo(t).maxScale; }

// Byte-swaps `n` values in place for a big-endian peer, part by part: 16-byte values are swapped
// as a whole (§4.2), COMPLEX/POINT (two DOUBLEs) and DURATION (two INT32s) per part.
void swapValues(uint8_t* p, int64_t n, Type t) {
    const TypeInfo& info = typeInfo(t);
    if (info.swapUnit <= 1 || n <= 0) return;
    const size_t parts = static_cast<size_t>(n) * (info.width / info.swapUnit);
    for (size_t i = 0; i < parts; ++i, p += info.swapUnit) std::reverse(p, p + info.swapUnit);
}

template <class T>
T bswap(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof v);
    std::reverse(b, b + sizeof(T));
    std::memcpy(&v, b, sizeof v);
    return v;
}

// A Buffer that grows while bytes arrive: geometrically, but never past `most` (the size the
// stream announced), so a column read in steps ends in a block of its own size.
struct Growing {
    std::shared_ptr<Buffer> buf;
    size_t used = 0;

    void ensure(size_t need, size_t most = SIZE_MAX) {
        if (!buf) {
            buf = Buffer::allocate(need);
        } else if (need > buf->size()) {
            buf->resize(std::min(std::max(need, buf->size() * 2), std::max(need, most)));
        }
    }
    uint8_t* tail() { return buf->data() + used; }
    std::shared_ptr<Buffer> finish() {
        if (!buf) buf = Buffer::allocate(0);
        buf->resize(used);
        return std::move(buf);
    }
};

class Decoder {
public:
    Decoder(Source& in, const DecodeOptions& o) : in_(in), swap_(o.swapBytes) {}

    Value object(int depth) {
        uint16_t flag = get<uint16_t>();
        return body(static_cast<Form>(flag >> 8), static_cast<uint8_t>(flag & 0xff), depth);
    }

    // PICKLE / ARROW result (§7): an Arrow IPC stream starts with its continuation marker
    // 0xFFFFFFFF, which no pickle opcode is.
    Value specialPayload(Form base) {
        if (swap_) fail("PICKLE/ARROW results from a big-endian peer are not supported");
        Value v;
        v.form = base;
        uint8_t first = get<uint8_t>();
        bool arrow = first == 0xff;
        try {
            if (arrow) {
                v.payload = Payload::Arrow;
                v.arrowStream = readArrowStream(in_, first);
            } else {
                v.payload = Payload::Pickle;
                v.pickled = pickle::decode(in_, first);
            }
        } catch (const ProtocolError& e) {
            fail(std::string(arrow ? "reading an ARROW result: " : "reading a PICKLE result: ") + e.what());
        }
        return v;
    }

    Value body(Form form, uint8_t rawType, int depth) {
        if (depth > kMaxDepth) fail("object nesting deeper than " + std::to_string(kMaxDepth) + " levels");
        uint8_t f = static_cast<uint8_t>(form);
        if (f & kPayloadFormBit) return specialPayload(static_cast<Form>(f & ~kPayloadFormBit));
        Value v;
        v.form = form;
        switch (form) {
            case Form::Scalar: v.column = scalar(rawType); break;
            case Form::Vector:
            case Form::Pair: v.column = vectorBody(rawType, depth); break;
            case Form::Matrix: matrix(v, rawType, depth); break;
            case Form::Set: v.column = vectorObject(depth, "set keys"); break;
            case Form::Dictionary:
            case Form::Chart: {
                v.column = vectorObject(depth, "dictionary keys");
                v.dictValues = std::make_shared<Column>(vectorObject(depth, "dictionary values"));
                if (v.dictValues->length != v.column.length)
                    fail("dictionary has " + std::to_string(v.column.length) + " keys but " +
                         std::to_string(v.dictValues->length) + " values");
                break;
            }
            case Form::Table: table(v, rawType, depth); break;
            case Form::Chunk: {
                int16_t n = get<int16_t>();
                if (n < 0) fail("CHUNK with negative length " + std::to_string(n));
                v.column.rawType = rawType;   // kept so the flag word re-encodes unchanged
                v.raw.resize(static_cast<size_t>(n));
                in_.read(v.raw.data(), v.raw.size());
                break;
            }
            case Form::SysObj: fail("data form SYSOBJ (form id 9) is not supported");
            case Form::Tensor: fail("data form TENSOR (form id 10) is not supported");
            case Form::ExtObj: fail("data form EXTOBJ (form id 11) is not supported");
            default: fail("unknown data form id " + std::to_string(f));
        }
        return v;
    }

private:
    Source& in_;
    bool swap_;
    std::unordered_map<int32_t, std::shared_ptr<SymbolBase>>* registry_ = nullptr;   // inside a table

    template <class T>
    T get() {
        T v;
        in_.read(&v, sizeof v);
        return swap_ ? bswap(v) : v;
    }
    int32_t count(const char* what) {
        int32_t n = get<int32_t>();
        if (n < 0) fail(std::string("negative ") + what + " " + std::to_string(n));
        return n;
    }
    // When the remaining size is known, `bytes` must fit in it.
    void require(uint64_t bytes, const char* what) {
        int64_t rem = in_.remaining();
        if (rem >= 0 && bytes > static_cast<uint64_t>(rem))
            fail(std::string("truncated or lying ") + what + ": needs " + std::to_string(bytes) + " bytes, " +
                 std::to_string(rem) + " left");
    }
    // Appends `bytes` bytes from the stream to g, in bounded chunks when remaining() is unknown.
    void readAppend(Growing& g, uint64_t bytes, const char* what) {
        if (bytes == 0) return;
        if (in_.remaining() >= 0) {
            require(bytes, what);
            g.ensure(g.used + bytes);
            in_.read(g.tail(), bytes);
            g.used += bytes;
            return;
        }
        const size_t announced = g.used + static_cast<size_t>(bytes);
        const size_t upfront = g.used + static_cast<size_t>(std::min<uint64_t>(bytes, kUpfront));
        if (!g.buf) g.buf = Buffer::allocate(upfront, announced);   // a kept block may hold it all
        else g.ensure(upfront);
        while (bytes > 0) {
            size_t step = static_cast<size_t>(std::min<uint64_t>(bytes, kChunk));
            g.ensure(g.used + step, announced);
            in_.read(g.tail(), step);
            g.used += step;
            bytes -= step;
        }
    }
    std::string cstring() {
        std::string s;
        in_.readUntil('\0', s, kMaxStringLength);
        return s;
    }
    int32_t decimalScale(Type t) {
        int32_t scale = get<int32_t>();
        if (scale < 0 || scale > maxDecimalScale(t))
            fail("invalid " + typeName(static_cast<uint8_t>(t)) + " scale " + std::to_string(scale));
        return scale;
    }

    // ---- fixed width ----
    void fixed(Column& c, Type t, int64_t n) {
        int w = fixedWidth(t);
        if (n > std::numeric_limits<int64_t>::max() / 16) fail("element count " + std::to_string(n) + " too large");
        uint64_t bytes = static_cast<uint64_t>(n) * w;
        Growing g;
        if (in_.remaining() >= 0) {
            require(bytes, "vector");
            g.buf = Buffer::allocate(bytes);
            if (bytes) in_.read(g.buf->data(), bytes);
            g.used = bytes;
        } else {
            readAppend(g, bytes, "vector");
        }
        c.data = g.finish();
        c.length = n;
        if (swap_) swapValues(c.data->data(), n, t);
    }

    // ---- NUL-terminated strings ----
    void strings(Column& c, int64_t n) {
        require(static_cast<uint64_t>(n), "string vector");   // at least one byte (the NUL) each
        Growing off;
        uint64_t offBytes = (static_cast<uint64_t>(n) + 1) * 8;
        if (in_.remaining() >= 0) off.ensure(offBytes);
        else off.ensure(std::min<uint64_t>(offBytes, kUpfront));
        std::string acc;
        if (in_.remaining() > 0) acc.reserve(static_cast<size_t>(std::min<int64_t>(in_.remaining(), n * 16)));
        else if (in_.remaining() < 0)
            acc.reserve(static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(n) * 8, kUpfront)));
        int64_t zero = 0;
        std::memcpy(off.tail(), &zero, 8);
        off.used = 8;
        // Batches of strings per virtual call; the offsets buffer grows with what arrived.
        for (int64_t done = 0; done < n;) {
            size_t batch = static_cast<size_t>(std::min<int64_t>(n - done, 65536));
            off.ensure(off.used + batch * 8);
            in_.readStrings(batch, acc, reinterpret_cast<int64_t*>(off.tail()), kMaxStringLength);
            off.used += batch * 8;
            done += static_cast<int64_t>(batch);
        }
        c.offsets = off.finish();
        // The accumulated bytes become the column as they are (a large column's copy costs as
        // much as splitting it); the data buffer of a decoded column is never written to.
        auto bytes = std::make_shared<const std::string>(std::move(acc));
        c.data = Buffer::borrow(bytes->data(), bytes->size(), bytes);
        c.length = n;
    }

    void blobs(Column& c, int64_t n) {
        require(static_cast<uint64_t>(n) * 4, "BLOB vector");
        Growing off, data;
        uint64_t offBytes = (static_cast<uint64_t>(n) + 1) * 8;
        if (in_.remaining() >= 0) off.ensure(offBytes);
        else off.ensure(std::min<uint64_t>(offBytes, kUpfront));
        int64_t zero = 0;
        std::memcpy(off.tail(), &zero, 8);
        off.used = 8;
        for (int64_t i = 0; i < n; ++i) {
            int32_t len = get<int32_t>();
            if (len < 0) fail("negative BLOB length " + std::to_string(len));
            if (static_cast<uint64_t>(len) > kMaxBlobLength) fail("BLOB too long");
            readAppend(data, static_cast<uint64_t>(len), "BLOB");
            off.ensure(off.used + 8);
            int64_t o = static_cast<int64_t>(data.used);
            std::memcpy(off.tail(), &o, 8);
            off.used += 8;
        }
        c.offsets = off.finish();
        c.data = data.finish();
        c.length = n;
    }

    // ---- symbols ----
    std::shared_ptr<SymbolBase> symbolBase() {
        int32_t id = get<int32_t>();
        int32_t size = count("symbol base size");
        if (size == 0) {
            if (registry_) {
                auto it = registry_->find(id);
                if (it != registry_->end()) return it->second;
            }
            auto base = std::make_shared<SymbolBase>();
            base->id = id;
            base->strings.rawType = static_cast<uint8_t>(Type::String);
            strings(base->strings, 0);
            return base;
        }
        auto base = std::make_shared<SymbolBase>();
        base->id = id;
        base->strings.rawType = static_cast<uint8_t>(Type::String);
        strings(base->strings, size);
        if (registry_) (*registry_)[id] = base;
        return base;
    }
    void symbolIndices(Column& c, int64_t n) {
        fixed(c, Type::Int, n);
        const int32_t* idx = c.data->as<int32_t>();
        uint32_t limit = static_cast<uint32_t>(c.symbols->strings.length);
        for (int64_t i = 0; i < n; ++i) {
            if (static_cast<uint32_t>(idx[i]) >= limit)
                fail("symbol index " + std::to_string(idx[i]) + " out of range for a base of " + std::to_string(limit) +
                     " entries");
        }
    }

    // ---- array vectors ----
    void arrayVector(Column& c, Type elem, int64_t rows, int32_t colsHint) {
        int w = fixedWidth(elem);
        if (w == 0) fail("array vector of " + tname(static_cast<uint8_t>(elem)) + " is not supported");
        require(static_cast<uint64_t>(rows), "array vector");   // every row needs a count byte
        Growing off, vals;
        uint64_t offBytes = (static_cast<uint64_t>(rows) + 1) * 8;
        if (in_.remaining() >= 0) off.ensure(offBytes);
        else off.ensure(std::min<uint64_t>(offBytes, kUpfront));
        int64_t rem = in_.remaining();
        if (colsHint > 0 && rem >= 0 && static_cast<uint64_t>(colsHint) * w <= static_cast<uint64_t>(rem))
            vals.ensure(static_cast<size_t>(colsHint) * w);
        int64_t* o = off.buf->as<int64_t>();
        o[0] = 0;
        off.used = 8;
        int64_t done = 0, total = 0;
        std::vector<uint8_t> counts;
        while (done < rows) {
            uint16_t blockRows = get<uint16_t>();
            uint8_t cb = get<uint8_t>();
            (void)get<uint8_t>();
            if (blockRows == 0) fail("array vector block with 0 rows");
            if (blockRows > rows - done)
                fail("array vector block of " + std::to_string(blockRows) + " rows exceeds the " + std::to_string(rows - done) +
                     " rows left");
            if (cb != 1 && cb != 2 && cb != 4) fail("array vector count width " + std::to_string(cb) + " (must be 1, 2 or 4)");
            counts.resize(static_cast<size_t>(blockRows) * cb);
            in_.read(counts.data(), counts.size());
            off.ensure(off.used + static_cast<size_t>(blockRows) * 8);
            o = off.buf->as<int64_t>();
            uint64_t sum = 0;
            for (int i = 0; i < blockRows; ++i) {
                uint32_t n;
                if (cb == 1) {
                    n = counts[i];
                } else if (cb == 2) {
                    uint16_t v;
                    std::memcpy(&v, &counts[i * 2], 2);
                    n = swap_ ? bswap(v) : v;
                } else {
                    uint32_t v;
                    std::memcpy(&v, &counts[i * 4], 4);
                    n = swap_ ? bswap(v) : v;
                }
                sum += n;
                o[done + i + 1] = total + static_cast<int64_t>(sum);
            }
            off.used += static_cast<size_t>(blockRows) * 8;
            // The values of all rows of the block follow. (The C++ writer may flush a long row's
            // values in two pieces; on the wire they are still contiguous after the counts.)
            size_t before = vals.used;
            readAppend(vals, sum * w, "array vector values");
            if (swap_ && sum) swapValues(vals.buf->data() + before, static_cast<int64_t>(sum), elem);
            total += static_cast<int64_t>(sum);
            done += blockRows;
        }
        c.offsets = off.finish();
        auto values = std::make_shared<Column>();
        values->rawType = static_cast<uint8_t>(elem);
        values->scale = c.scale;
        values->length = total;
        values->data = vals.finish();
        c.values = std::move(values);
        c.length = rows;
    }

    // ---- ANY ----
    void anyItems(Column& c, int64_t n, int depth) {
        require(static_cast<uint64_t>(n) * 2, "ANY vector");
        c.items.reserve(static_cast<size_t>(std::min<int64_t>(n, 4096)));
        auto saved = registry_;
        registry_ = nullptr;   // nested symbol vectors carry their own bases
        for (int64_t i = 0; i < n; ++i) c.items.push_back(object(depth + 1));
        registry_ = saved;
        c.length = n;
    }

    // Reads the part of a vector-shaped object after rows/cols: [scale] [symbol base] elements.
    // `scaleOverride` is set for compressed payloads (the scale is in the compression header).
    Column payload(uint8_t rawType, int64_t n, int32_t colsHint, int depth, std::optional<int32_t> scaleOverride) {
        Column c;
        c.rawType = rawType;
        if (n > kMaxElements) fail("element count " + std::to_string(n) + " too large");
        if (rawType == kSymbolWithBase) {
            c.rawType = static_cast<uint8_t>(Type::Symbol);
            c.symbols = symbolBase();
            symbolIndices(c, n);
            return c;
        }
        if (isArrayType(rawType)) {
            Type elem = elementTypeOf(rawType);
            if (isDecimal(elem)) c.scale = scaleOverride ? *scaleOverride : decimalScale(elem);
            arrayVector(c, elem, n, colsHint);
            return c;
        }
        if (rawType >= 128) fail("unknown data type id " + std::to_string(rawType));
        Type t = static_cast<Type>(rawType);
        if (isDecimal(t)) {
            c.scale = scaleOverride ? *scaleOverride : decimalScale(t);
            if (c.scale < 0 || c.scale > maxDecimalScale(t)) fail("invalid decimal scale " + std::to_string(c.scale));
        }
        switch (typeInfo(t).elements) {
            case Elements::Fixed: fixed(c, t, n); break;
            case Elements::Text: strings(c, n); break;
            case Elements::Blob: blobs(c, n); break;
            case Elements::Any: anyItems(c, n, depth); break;
            case Elements::Void: c.length = n; break;
            case Elements::None: fail("vector of " + tname(rawType) + " is not supported");
        }
        return c;
    }

    Column compressed(int depth) {
        if (swap_) fail("compressed vectors from a big-endian peer are not supported");
        CompressedHeader h;
        std::string bytes = readCompressedPayload(in_, h);
        if (h.elementCount < 0) fail("compressed vector with negative element count");
        uint8_t dataType = static_cast<uint8_t>(h.dataType);
        if (dataType == static_cast<uint8_t>(Type::Compress)) fail("nested compressed vector");
        int32_t colsHint = isArrayType(dataType) ? h.extra : h.colCount;
        MemorySource src(bytes);
        Decoder inner(src, DecodeOptions{});
        std::optional<int32_t> scale;
        uint8_t base = isArrayType(dataType) ? static_cast<uint8_t>(dataType - kArrayTypeBase) : dataType;
        if (base < 128 && isDecimal(static_cast<Type>(base))) scale = h.reserved;
        Column c = inner.payload(dataType, h.elementCount, colsHint, depth, scale);
        if (src.remaining() != 0)
            fail("compressed " + tname(dataType) + " payload has " + std::to_string(src.remaining()) + " trailing bytes");
        return c;
    }

    // VECTOR/PAIR body (after the flag word).
    Column vectorBody(uint8_t rawType, int depth) {
        if (rawType == static_cast<uint8_t>(Type::Compress)) return compressed(depth);
        int32_t rows = count("vector row count");
        int32_t cols = count("vector column count");
        int64_t n = rows;
        if (!isArrayType(rawType)) n = static_cast<int64_t>(rows) * cols;   // cols is 1 in practice
        return payload(rawType, n, cols, depth, std::nullopt);
    }

    // A complete vector object (own flag word): set keys, dictionary keys/values, matrix labels,
    // table columns.
    Column vectorObject(int depth, const char* what) {
        uint16_t flag = get<uint16_t>();
        Form form = static_cast<Form>(flag >> 8);
        uint8_t type = static_cast<uint8_t>(flag & 0xff);
        if (form != Form::Vector && form != Form::Pair)
            fail(std::string(what) + ": expected a vector, got form " + formName(form) + " (form id " +
                 std::to_string(static_cast<int>(form)) + ")");
        if (depth + 1 > kMaxDepth) fail("object nesting deeper than " + std::to_string(kMaxDepth) + " levels");
        return vectorBody(type, depth + 1);
    }

    Column scalar(uint8_t rawType) {
        Column c;
        c.rawType = rawType;
        if (rawType >= 64) fail("scalar of " + tname(rawType) + " is not supported");
        Type t = static_cast<Type>(rawType);
        if (isDecimal(t)) c.scale = decimalScale(t);
        if (t == Type::FunctionDef) c.scale = get<uint8_t>();
        const Elements elements = typeInfo(t).elements;
        if (elements == Elements::Fixed) {
            fixed(c, t, 1);
        } else if (elements == Elements::Text || t == Type::FunctionDef) {
            strings(c, 1);
        } else if (elements == Elements::Blob) {
            blobs(c, 1);
        } else if (t == Type::Void) {
            c.scale = get<uint8_t>();   // 0 = "nothing", 1 = explicit NULL (§5.4)
            c.length = 1;
        } else {
            fail("scalar of " + tname(rawType) + " is not supported");
        }
        return c;
    }

    void matrix(Value& v, uint8_t rawType, int depth) {
        uint8_t labels = get<uint8_t>();
        if (labels & ~3u) fail("invalid matrix label flags " + std::to_string(labels));
        if (labels & 1) v.rowLabels = std::make_shared<Column>(vectorObject(depth, "matrix row labels"));
        if (labels & 2) v.colLabels = std::make_shared<Column>(vectorObject(depth, "matrix column labels"));
        uint16_t flag = get<uint16_t>();
        Form form = static_cast<Form>(flag >> 8);
        uint8_t type = static_cast<uint8_t>(flag & 0xff);
        if (form != Form::Matrix)
            fail("matrix data: expected form MATRIX, got form id " + std::to_string(static_cast<int>(form)));
        if (isArrayType(type) || type == static_cast<uint8_t>(Type::Compress))
            fail("matrix of " + tname(type) + " is not supported");
        (void)rawType;
        int32_t rows = count("matrix row count");
        int32_t cols = count("matrix column count");
        v.rows = rows;
        v.cols = cols;
        v.column = payload(type, static_cast<int64_t>(rows) * cols, cols, depth, std::nullopt);
        if (v.rowLabels && v.rowLabels->length != rows)
            fail("matrix has " + std::to_string(rows) + " rows but " + std::to_string(v.rowLabels->length) + " row labels");
        if (v.colLabels && v.colLabels->length != cols)
            fail("matrix has " + std::to_string(cols) + " columns but " + std::to_string(v.colLabels->length) + " column labels");
    }

    void table(Value& v, uint8_t tableType, int depth) {
        v.tableType = tableType;
        int32_t rows = count("table row count");
        int32_t cols = count("table column count");
        require(static_cast<uint64_t>(cols) * 3, "table");
        v.rows = rows;
        v.cols = cols;
        v.tableName = cstring();
        v.columnNames.reserve(static_cast<size_t>(std::min(cols, 4096)));
        for (int32_t i = 0; i < cols; ++i) v.columnNames.push_back(cstring());
        std::unordered_map<int32_t, std::shared_ptr<SymbolBase>> registry;
        auto saved = registry_;
        registry_ = &registry;
        v.columns.reserve(static_cast<size_t>(std::min(cols, 4096)));
        for (int32_t i = 0; i < cols; ++i) {
            v.columns.push_back(vectorObject(depth, "table column"));
            if (v.columns.back().length != rows)
                fail("table column '" + v.columnNames[i] + "' has " + std::to_string(v.columns.back().length) +
                     " rows, the table " + std::to_string(rows));
        }
        registry_ = saved;
    }
};

// ------------------------------------------------------------------------------------------
// Encoder

class Encoder {
public:
    Encoder(Sink& out, const EncodeOptions& o) : out_(out), opt_(o) {}

    void object(const Value& v) {
        if (v.payload == Payload::Arrow) {
            if (!v.arrowStream) fail("cannot encode an ARROW result without its stream");
            flag(static_cast<Form>(static_cast<uint8_t>(v.form) | kPayloadFormBit), 0);
            out_.writeStable(v.arrowStream->data(), v.arrowStream->size());
            return;
        }
        if (v.payload == Payload::Pickle) fail("cannot re-encode a decoded PICKLE result");
        switch (v.form) {
            case Form::Scalar: scalar(v.column); break;
            case Form::Vector:
            case Form::Pair: vector(v.column, v.form, CompressMethod::None, false); break;
            case Form::Matrix: matrix(v); break;
            case Form::Set:
                flag(Form::Set, flagType(v.column));
                vector(v.column, Form::Vector, CompressMethod::None, false);
                break;
            case Form::Dictionary:
            case Form::Chart: {
                if (!v.dictValues) fail("cannot encode a dictionary without values");
                if (v.dictValues->length != v.column.length) fail("cannot encode a dictionary: keys and values differ in length");
                flag(v.form, flagType(*v.dictValues));
                vector(v.column, Form::Vector, CompressMethod::None, false);
                vector(*v.dictValues, Form::Vector, CompressMethod::None, false);
                break;
            }
            case Form::Table: table(v); break;
            case Form::Chunk: {
                if (v.raw.size() > static_cast<size_t>(std::numeric_limits<int16_t>::max())) fail("CHUNK payload too long");
                flag(Form::Chunk, v.column.rawType);
                out_.put<int16_t>(static_cast<int16_t>(v.raw.size()));
                out_.write(v.raw.data(), v.raw.size());
                break;
            }
            default: fail("cannot encode data form " + formName(v.form));
        }
    }

private:
    Sink& out_;
    const EncodeOptions& opt_;
    std::unordered_map<const SymbolBase*, int32_t>* registry_ = nullptr;
    int32_t nextBaseId_ = 0;

    void flag(Form form, uint8_t type) { out_.put<uint16_t>(static_cast<uint16_t>((static_cast<int>(form) << 8) | type)); }

    // The type byte of a set/dictionary flag: the element type (17 for symbols, never 145).
    static uint8_t flagType(const Column& c) { return c.rawType; }

    static bool sendsSymbolBase(const Column& c) { return c.type() == Type::Symbol && c.length > 0; }

    static void checkData(const std::shared_ptr<Buffer>& data, int64_t n, int w, uint8_t rawType) {
        if (n > 0 && (!data || data->size() < static_cast<uint64_t>(n) * w))
            fail("cannot encode " + typeName(rawType) + " column: data buffer smaller than " + std::to_string(n) + " values");
    }
    static void checkFixed(const Column& c, int64_t n) { checkData(c.data, n, fixedWidth(c.type()), c.rawType); }
    static void checkOffsets(const Column& c) {
        if (c.length == 0 && !c.offsets) return;
        if (!c.offsets || c.offsets->size() < static_cast<size_t>(c.length + 1) * 8)
            fail("cannot encode " + typeName(c.rawType) + " column: missing offsets");
        const int64_t* o = c.offsets->as<int64_t>();
        size_t dataSize = c.data ? c.data->size() : 0;
        for (int64_t i = 0; i < c.length; ++i)
            if (o[i] < 0 || o[i + 1] < o[i]) fail("cannot encode " + typeName(c.rawType) + " column: bad offsets");
        if (c.length > 0 && static_cast<uint64_t>(o[c.length]) > dataSize)
            fail("cannot encode " + typeName(c.rawType) + " column: offsets beyond the data");
    }

    void cstring(std::string_view s) {
        if (s.size() >= kMaxSentStringLength) throw ConversionError(kStringTooLongText);
        if (s.find('\0') != std::string_view::npos) fail("cannot encode a string containing a NUL byte");
        out_.putCString(s);
    }

    // NUL-terminated strings of a plain (offsets + data) column.
    void textElements(const Column& c) {
        checkOffsets(c);
        if (c.length == 0) return;
        const int64_t* o = c.offsets->as<int64_t>();
        const char* d = reinterpret_cast<const char*>(c.data->data());
        size_t bytes = static_cast<size_t>(o[c.length] - o[0]);
        if (bytes && std::memchr(d + o[0], 0, bytes)) fail("cannot encode a " + typeName(c.rawType) + " containing a NUL byte");
        if (bytes >= kMaxSentStringLength)
            for (int64_t i = 0; i < c.length; ++i)
                if (static_cast<size_t>(o[i + 1] - o[i]) >= kMaxSentStringLength) throw ConversionError(kStringTooLongText);
        uint8_t* p = out_.extend(bytes + static_cast<size_t>(c.length));
        const uint8_t* end = p + bytes + static_cast<size_t>(c.length);
        const char* dataEnd = d + c.data->size();
        constexpr size_t kShort = 16;   // copied as one fixed-size block: no memcpy call per string
        for (int64_t i = 0; i < c.length; ++i) {
            size_t n = static_cast<size_t>(o[i + 1] - o[i]);
            const char* from = d + o[i];
            // The bytes past n land where the next strings and terminators go: overwritten.
            if (n <= kShort && dataEnd - from >= static_cast<std::ptrdiff_t>(kShort) &&
                end - p >= static_cast<std::ptrdiff_t>(kShort))
                std::memcpy(p, from, kShort);
            else if (n) std::memcpy(p, from, n);
            p += n;
            *p++ = 0;
        }
    }

    void blobElements(const Column& c) {
        checkOffsets(c);
        const int64_t* o = c.offsets->as<int64_t>();
        for (int64_t i = 0; i < c.length; ++i) {
            int64_t n = o[i + 1] - o[i];
            if (n > std::numeric_limits<int32_t>::max()) fail("BLOB value longer than 2 GiB");
            out_.put<int32_t>(static_cast<int32_t>(n));
            out_.writeStable(c.data->data() + o[i], static_cast<size_t>(n));
        }
    }

    void baseStrings(const SymbolBase& b) {
        out_.put<int32_t>(static_cast<int32_t>(b.strings.length));
        if (b.strings.symbols) fail("a symbol base's strings must be a plain STRING column");
        textElements(b.strings);
    }

    // Symbol vector body (type 145): base + indices.
    void symbolElements(const Column& c) {
        if (c.symbols) {
            const SymbolBase* key = c.symbols.get();
            if (registry_) {
                auto it = registry_->find(key);
                if (it != registry_->end()) {
                    out_.put<int32_t>(it->second);
                    out_.put<int32_t>(0);
                } else {
                    int32_t id = nextBaseId_++;
                    registry_->emplace(key, id);
                    out_.put<int32_t>(id);
                    baseStrings(*c.symbols);
                }
            } else {
                out_.put<int32_t>(0);
                baseStrings(*c.symbols);
            }
            checkData(c.data, c.length, 4, c.rawType);
            const int32_t* idx = c.data->as<int32_t>();
            for (int64_t i = 0; i < c.length; ++i)
                if (idx[i] < 0 || idx[i] >= c.symbols->strings.length) fail("cannot encode a symbol index out of its base");
            out_.writeStable(idx, static_cast<size_t>(c.length) * 4);
            return;
        }
        // Plain strings: build a base ("" first, then order of first appearance).
        checkOffsets(c);
        std::unordered_map<std::string_view, int32_t> ids;
        std::vector<std::string_view> base{std::string_view()};
        ids.emplace(std::string_view(), 0);
        std::vector<int32_t> idx(static_cast<size_t>(c.length));
        for (int64_t i = 0; i < c.length; ++i) {
            std::string_view s = c.stringAt(i);
            auto [it, fresh] = ids.emplace(s, static_cast<int32_t>(base.size()));
            if (fresh) base.push_back(s);
            idx[i] = it->second;
        }
        out_.put<int32_t>(registry_ ? nextBaseId_++ : 0);
        out_.put<int32_t>(static_cast<int32_t>(base.size()));
        for (auto s : base) cstring(s);
        out_.write(idx.data(), idx.size() * 4);
    }

    void arrayElements(const Column& c) {
        if (!c.values) fail("cannot encode array vector: missing values");
        Type elem = elementTypeOf(c.rawType);
        int w = fixedWidth(elem);
        if (w == 0) fail("cannot encode array vector of " + typeName(static_cast<uint8_t>(elem)));
        if (!c.offsets || c.offsets->size() < static_cast<size_t>(c.length + 1) * 8)
            fail("cannot encode array vector: missing offsets");
        const int64_t* o = c.offsets->as<int64_t>();
        for (int64_t i = 0; i < c.length; ++i)
            if (o[i] < 0 || o[i + 1] < o[i]) fail("cannot encode array vector: bad offsets");
        checkData(c.values->data, o[c.length], w, c.rawType);
        const uint8_t* vals = c.values->data ? c.values->data->data() : nullptr;
        for (int64_t start = 0; start < c.length; start += kArrayBlockRows) {
            int64_t rows = std::min<int64_t>(kArrayBlockRows, c.length - start);
            int64_t maxCount = 0;
            for (int64_t i = start; i < start + rows; ++i) maxCount = std::max(maxCount, o[i + 1] - o[i]);
            if (maxCount > std::numeric_limits<uint32_t>::max()) fail("array vector row too long");
            uint8_t cb = maxCount <= 0xff ? 1 : maxCount <= 0xffff ? 2 : 4;
            out_.put<uint16_t>(static_cast<uint16_t>(rows));
            out_.put<uint8_t>(cb);
            out_.put<uint8_t>(0);
            uint8_t* p = out_.extend(static_cast<size_t>(rows) * cb);
            for (int64_t i = start; i < start + rows; ++i) {
                uint32_t n = static_cast<uint32_t>(o[i + 1] - o[i]);
                if (cb == 1) {
                    *p = static_cast<uint8_t>(n);
                } else if (cb == 2) {
                    uint16_t v = static_cast<uint16_t>(n);
                    std::memcpy(p, &v, 2);
                } else std::memcpy(p, &n, 4);
                p += cb;
            }
            int64_t from = o[start], to = o[start + rows];
            if (to > from) out_.writeStable(vals + from * w, static_cast<size_t>(to - from) * w);
        }
    }

    // Elements after rows/cols[/scale]/[base] — the payload a compressed vector carries.
    void elements(const Column& c) {
        if (c.isArrayVector()) return arrayElements(c);
        if (c.rawType >= 64) fail("cannot encode " + typeName(c.rawType));
        Type t = c.type();
        if (t == Type::Symbol && c.length > 0) return symbolElements(c);
        switch (typeInfo(t).elements) {
            case Elements::Fixed:
                checkFixed(c, c.length);
                if (c.length) out_.writeStable(c.data->data(), static_cast<size_t>(c.length) * fixedWidth(t));
                return;
            case Elements::Text:
                if (c.length == 0) return;   // e.g. an empty SYMBOL vector: plain type 17, no data
                return textElements(c);
            case Elements::Blob: return blobElements(c);
            case Elements::Any: {
                if (static_cast<int64_t>(c.items.size()) != c.length) fail("cannot encode ANY vector: items.size() != length");
                auto saved = registry_;
                registry_ = nullptr;
                for (const Value& item : c.items) object(item);
                registry_ = saved;
                return;
            }
            case Elements::Void: return;   // no element bytes
            case Elements::None: fail("cannot encode a vector of " + typeName(c.rawType));
        }
    }

    uint8_t wireType(const Column& c) const {
        if (sendsSymbolBase(c)) return kSymbolWithBase;
        return c.rawType;
    }

    void checkLength(const Column& c) {
        if (c.length < 0 || c.length > std::numeric_limits<int32_t>::max())
            fail("cannot encode a vector of " + std::to_string(c.length) + " elements");
    }

    int32_t totalElements(const Column& c) {
        const int64_t* o = c.offsets->as<int64_t>();
        int64_t total = o[c.length] - o[0];
        if (total > std::numeric_limits<int32_t>::max()) fail("array vector with more than 2^31 elements");
        return static_cast<int32_t>(total);
    }

    void vector(const Column& c, Form form, CompressMethod method, bool explicitMethod) {
        checkLength(c);
        if (c.isArrayVector() && !c.offsets) fail("cannot encode array vector: missing offsets");
        if (method != CompressMethod::None) return compressedVector(c, method, explicitMethod);
        flag(form, wireType(c));
        out_.put<int32_t>(static_cast<int32_t>(c.length));
        out_.put<int32_t>(c.isArrayVector() ? totalElements(c) : 1);
        Type base = c.isArrayVector() ? elementTypeOf(c.rawType) : c.type();
        if (c.rawType < 128 && isDecimal(base)) out_.put<int32_t>(c.scale);
        elements(c);
    }

    void compressedVector(const Column& c, CompressMethod method, bool explicitMethod) {
        Type base = c.isArrayVector() ? elementTypeOf(c.rawType) : c.type();
        int w = fixedWidth(base);
        bool deltaOk = deltaCompressible(c);
        if (method == CompressMethod::Delta && !deltaOk) {
            if (explicitMethod) fail("delta-of-delta compression cannot encode a " + typeName(c.rawType) + " column");
            method = CompressMethod::Lz4;
        }
        Sink scratch;
        std::string_view payload = compressionPayload(c, scratch);
        if (method == CompressMethod::Auto) method = deltaOk ? smallerOnSample(payload, w) : CompressMethod::Lz4;
        CompressedHeader h;
        h.colCount = 1;
        h.version = 0;
        h.flags = 1;
        h.charCode = -1;
        h.method = static_cast<int8_t>(method);
        h.dataType = static_cast<int8_t>(c.rawType);
        h.unitLength = static_cast<int8_t>(w > 0 ? w : -1);   // the official client writes -1 for STRING/BLOB
        h.reserved = isDecimal(base) ? static_cast<int16_t>(c.scale) : 0;
        h.extra = c.isArrayVector() ? totalElements(c) : (isDecimal(base) ? c.scale : 0);
        h.elementCount = static_cast<int32_t>(c.length);
        h.checkSum = -1;
        flag(Form::Vector, static_cast<uint8_t>(Type::Compress));
        writeCompressed(out_, h, payload);
    }

    // The bytes a compressed vector compresses: a fixed-width column's own buffer, else its
    // elements encoded into `scratch`.
    std::string_view compressionPayload(const Column& c, Sink& scratch) {
        if (!c.isArrayVector() && c.rawType < 64 && fixedWidth(c.type()) > 0) {
            checkFixed(c, c.length);
            if (c.length == 0) return {};
            return std::string_view(reinterpret_cast<const char*>(c.data->data()),
                                    static_cast<size_t>(c.length) * fixedWidth(c.type()));
        }
        Encoder inner(scratch, opt_);
        inner.elements(c);
        return scratch.written();
    }

    // Encodes the first block's worth of values (64K values at most) both ways and keeps the
    // method that wrote fewer bytes. Values delta-of-delta cannot encode (a delta beyond 64
    // bits) mean LZ4.
    static CompressMethod smallerOnSample(std::string_view payload, int width) {
        constexpr size_t kSampleValues = 65536;
        std::string_view sample = payload.substr(0, std::min(payload.size(), kSampleValues * width));
        if (sample.empty()) return CompressMethod::Lz4;
        size_t lz4 = 0, delta = 0;
        try {
            for (size_t at = 0; at < sample.size(); at += kCompressionBlockSize)
                lz4 += lz4CompressBlock(sample.substr(at, kCompressionBlockSize)).size();
            size_t step = kCompressionBlockSize / width * width;
            for (size_t at = 0; at < sample.size(); at += step) delta += deltaEncodeBlock(sample.substr(at, step), width).size();
        } catch (const ProtocolError&) {
            return CompressMethod::Lz4;
        }
        return delta < lz4 ? CompressMethod::Delta : CompressMethod::Lz4;
    }

    void scalar(const Column& c) {
        if (c.rawType >= 64) fail("cannot encode a scalar of " + typeName(c.rawType));
        Type t = c.type();
        flag(Form::Scalar, c.rawType);
        if (t == Type::Void) {
            out_.put<uint8_t>(static_cast<uint8_t>(c.scale));
            return;
        }
        if (c.length != 1) fail("cannot encode a scalar column of length " + std::to_string(c.length));
        if (isDecimal(t)) out_.put<int32_t>(c.scale);
        if (t == Type::FunctionDef) out_.put<uint8_t>(static_cast<uint8_t>(c.scale));
        const Elements elements = typeInfo(t).elements;
        if (elements == Elements::Fixed) {
            checkFixed(c, 1);
            out_.write(c.data->data(), static_cast<size_t>(fixedWidth(t)));
        } else if (t == Type::Symbol && c.symbols) {
            cstring(c.stringAt(0));
        } else if (elements == Elements::Text || t == Type::FunctionDef) {
            textElements(c);
        } else if (elements == Elements::Blob) {
            blobElements(c);
        } else {
            fail("cannot encode a scalar of " + typeName(c.rawType));
        }
    }

    void matrix(const Value& v) {
        const Column& c = v.column;
        if (v.rows < 0 || v.cols < 0 || static_cast<int64_t>(v.rows) * v.cols != c.length)
            fail("cannot encode matrix: rows*cols != number of values");
        if (c.isArrayVector()) fail("cannot encode a matrix of " + typeName(c.rawType));
        flag(Form::Matrix, c.rawType);
        out_.put<uint8_t>(static_cast<uint8_t>((v.rowLabels ? 1 : 0) | (v.colLabels ? 2 : 0)));
        if (v.rowLabels) vector(*v.rowLabels, Form::Vector, CompressMethod::None, false);
        if (v.colLabels) vector(*v.colLabels, Form::Vector, CompressMethod::None, false);
        flag(Form::Matrix, wireType(c));
        out_.put<int32_t>(v.rows);
        out_.put<int32_t>(v.cols);
        if (isDecimal(c.type())) out_.put<int32_t>(c.scale);
        elements(c);
    }

    void table(const Value& v) {
        if (v.columnNames.size() != v.columns.size()) fail("cannot encode table: column names and columns differ in number");
        int64_t rows = v.columns.empty() ? v.rows : v.columns[0].length;
        for (size_t i = 0; i < v.columns.size(); ++i)
            if (v.columns[i].length != rows)
                fail("cannot encode table: column '" + v.columnNames[i] + "' has a different length");
        if (rows > std::numeric_limits<int32_t>::max()) fail("cannot encode table: too many rows");
        flag(Form::Table, opt_.compressTables ? 8 : v.tableType);
        out_.put<int32_t>(static_cast<int32_t>(rows));
        out_.put<int32_t>(static_cast<int32_t>(v.columns.size()));
        cstring(v.tableName);
        for (const auto& name : v.columnNames) cstring(name);
        std::unordered_map<const SymbolBase*, int32_t> registry;
        auto savedRegistry = registry_;
        auto savedId = nextBaseId_;
        registry_ = &registry;
        nextBaseId_ = 0;
        for (size_t i = 0; i < v.columns.size(); ++i) {
            const Column& c = v.columns[i];
            CompressMethod method = CompressMethod::None;
            bool explicitMethod = false;
            if (opt_.compressTables) {
                auto it = opt_.columnMethods.find(v.columnNames[i]);
                explicitMethod = it != opt_.columnMethods.end();
                if (explicitMethod) {
                    method = it->second;
                } else if (i < v.compressMethods.size()) {
                    method = v.compressMethods[i];
                    explicitMethod = method != CompressMethod::Auto;
                } else {
                    method = opt_.defaultMethod;
                }
                // SYMBOL columns are never compressed (§6.1); ANY/VOID have no compressible payload.
                if (c.type() == Type::Symbol || c.type() == Type::Any || c.type() == Type::Void) method = CompressMethod::None;
            }
            if (method != CompressMethod::Delta || !explicitMethod) {
                vector(c, Form::Vector, method, explicitMethod);
                continue;
            }
            try {
                vector(c, Form::Vector, method, explicitMethod);
            } catch (const ProtocolError& e) {
                // An explicit delta-of-delta the data does not allow is the caller's choice, not
                // malformed bytes.
                throw ConversionError("cannot compress column '" + v.columnNames[i] + "' with delta-of-delta: " + e.what());
            }
        }
        registry_ = savedRegistry;
        nextBaseId_ = savedId;
    }
};

}   // namespace

bool deltaCompressible(const Column& c) {
    int w = fixedWidth(c.type());
    return !c.isArrayVector() && deltaType(static_cast<uint8_t>(c.type())) && (w == 2 || w == 4 || w == 8);
}

Value decodeObject(Source& in, const DecodeOptions& options) {
    Decoder d(in, options);
    return d.object(0);
}

Value decodeObjectBody(Source& in, Form form, uint8_t rawType, const DecodeOptions& options) {
    Decoder d(in, options);
    return d.body(form, rawType, 0);
}

void encodeObject(const Value& v, Sink& out, const EncodeOptions& options) {
    Encoder e(out, options);
    e.object(v);
}

}   // namespace ddb
