// pyarrow.Table -> DolphinDB table (uploads under PROTOCOL_ARROW). The table is read through the
// Arrow C stream interface (__arrow_c_stream__), so every column's buffers are read directly,
// batch by batch, into the final DolphinDB columns; no pandas or numpy round trip.
//
// Types (the reverse of the ARROW download mapping, PROTOCOL.md §7.2): bool BOOL, int8/16/32/64
// CHAR/SHORT/INT/LONG, float32/64 FLOAT/DOUBLE, date32/date64 DATE, time32(s) SECOND,
// time32(ms) TIME, time64 NANOTIME, timestamp(s) DATETIME, timestamp(ms) TIMESTAMP,
// timestamp(us/ns) NANOTIMESTAMP, utf8/large_utf8 STRING, dictionary<int, utf8> SYMBOL,
// binary/large_binary BLOB, fixed_size_binary(16) UUID, decimal128(p, s) DECIMAL128(s),
// list/large_list of a numeric or temporal type an array vector. Nulls become DolphinDB nulls.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "convert/build.h"
#include "convert/upload.h"

namespace ddbpy::up {

namespace {

// The Arrow C data interface (https://arrow.apache.org/docs/format/CDataInterface.html), a
// stable ABI: declared here so the binding needs no Arrow headers.
struct ArrowSchema {
    const char* format;
    const char* name;
    const char* metadata;
    int64_t flags;
    int64_t n_children;
    ArrowSchema** children;
    ArrowSchema* dictionary;
    void (*release)(ArrowSchema*);
    void* private_data;
};
struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void** buffers;
    ArrowArray** children;
    ArrowArray* dictionary;
    void (*release)(ArrowArray*);
    void* private_data;
};
struct ArrowArrayStream {
    int (*get_schema)(ArrowArrayStream*, ArrowSchema*);
    int (*get_next)(ArrowArrayStream*, ArrowArray*);
    const char* (*get_last_error)(ArrowArrayStream*);
    void (*release)(ArrowArrayStream*);
    void* private_data;
};

[[noreturn]] void fail(const std::string& msg) { throw ddb::ConversionError(msg); }

struct SchemaHolder {
    ArrowSchema s{};
    ~SchemaHolder() {
        if (s.release) s.release(&s);
    }
};
struct ArrayHolder {
    ArrowArray a{};
    ~ArrayHolder() {
        if (a.release) a.release(&a);
    }
};

// One column's Arrow type, resolved to a DolphinDB type and how to read it.
struct ColumnType {
    enum Read : uint8_t { Bool, Fixed, Date64, Scaled, DatetimeS, Text, LargeText, Dictionary, Uuid, Decimal, List, LargeList };
    Read read = Fixed;
    Type type = Type::Void;
    int width = 0;   // bytes per Arrow value (Fixed / Scaled / Dictionary indices)
    int64_t multiplier = 1;   // Scaled: Arrow value x multiplier
    int scale = 0;   // Decimal
    Type element = Type::Void;   // List: the element type
    std::shared_ptr<ColumnType> child;   // List: how to read the elements
};

ColumnType resolve(const ArrowSchema& s, const std::string& column) {
    std::string_view f = s.format ? s.format : "";
    ColumnType t;
    auto fixed = [&](Type ty, int width) {
        t.read = ColumnType::Fixed;
        t.type = ty;
        t.width = width;
        return t;
    };
    auto scaled = [&](Type ty, int64_t mul) {
        t.read = ColumnType::Scaled;
        t.type = ty;
        t.width = 8;
        t.multiplier = mul;
        return t;
    };
    if (s.dictionary) {
        std::string_view df = s.dictionary->format ? s.dictionary->format : "";
        if (df != "u" && df != "U")
            fail("Cannot convert Arrow column '" + column + "': only dictionaries of strings become SYMBOL");
        if (f != "c" && f != "s" && f != "i" && f != "l")
            fail("Cannot convert Arrow column '" + column + "': unsupported dictionary index type");
        t.read = ColumnType::Dictionary;
        t.type = Type::Symbol;
        t.width = f == "c" ? 1 : f == "s" ? 2 : f == "i" ? 4 : 8;
        t.child = std::make_shared<ColumnType>();
        t.child->read = df == "u" ? ColumnType::Text : ColumnType::LargeText;
        return t;
    }
    if (f == "b") {
        t.read = ColumnType::Bool;
        t.type = Type::Bool;
        return t;
    }
    if (f == "c") return fixed(Type::Char, 1);
    if (f == "s") return fixed(Type::Short, 2);
    if (f == "i") return fixed(Type::Int, 4);
    if (f == "l") return fixed(Type::Long, 8);
    if (f == "f") return fixed(Type::Float, 4);
    if (f == "g") return fixed(Type::Double, 8);
    if (f == "tdD") return fixed(Type::Date, 4);
    if (f == "tdm") {
        t.read = ColumnType::Date64;
        t.type = Type::Date;
        t.width = 8;
        return t;
    }
    if (f == "tts") return fixed(Type::Second, 4);
    if (f == "ttm") return fixed(Type::Time, 4);
    if (f == "ttu") return scaled(Type::Nanotime, 1000);
    if (f == "ttn") return fixed(Type::Nanotime, 8);
    if (f.substr(0, 3) == "tss") {
        t.read = ColumnType::DatetimeS;
        t.type = Type::Datetime;
        t.width = 8;
        return t;
    }
    if (f.substr(0, 3) == "tsm") return fixed(Type::Timestamp, 8);
    if (f.substr(0, 3) == "tsu") return scaled(Type::Nanotimestamp, 1000);
    if (f.substr(0, 3) == "tsn") return fixed(Type::Nanotimestamp, 8);
    if (f == "u") {
        t.read = ColumnType::Text;
        t.type = Type::String;
        return t;
    }
    if (f == "U") {
        t.read = ColumnType::LargeText;
        t.type = Type::String;
        return t;
    }
    if (f == "z") {
        t.read = ColumnType::Text;
        t.type = Type::Blob;
        return t;
    }
    if (f == "Z") {
        t.read = ColumnType::LargeText;
        t.type = Type::Blob;
        return t;
    }
    if (f == "w:16") {
        t.read = ColumnType::Uuid;
        t.type = Type::Uuid;
        return t;
    }
    if (f.substr(0, 2) == "d:") {
        // "d:precision,scale[,bitWidth]"
        std::string spec(f.substr(2));
        size_t comma = spec.find(',');
        size_t second = spec.find(',', comma + 1);
        if (comma == std::string::npos || (second != std::string::npos && spec.substr(second + 1) != "128"))
            fail("Cannot convert Arrow column '" + column + "': only decimal128 becomes DECIMAL128");
        t.read = ColumnType::Decimal;
        t.type = Type::Decimal128;
        t.scale = std::stoi(spec.substr(comma + 1, second == std::string::npos ? std::string::npos : second - comma - 1));
        if (t.scale < 0 || t.scale > 38) fail("Cannot convert Arrow column '" + column + "': decimal scale out of range");
        return t;
    }
    if ((f == "+l" || f == "+L") && s.n_children == 1) {
        ColumnType elem = resolve(*s.children[0], column);
        if (elem.read != ColumnType::Fixed && elem.read != ColumnType::Bool && elem.read != ColumnType::Scaled &&
            elem.read != ColumnType::Date64 && elem.read != ColumnType::DatetimeS && elem.read != ColumnType::Decimal &&
            elem.read != ColumnType::Uuid)
            fail("Cannot convert Arrow column '" + column + "': lists of " + std::string(s.children[0]->format) +
                 " cannot become an array vector");
        t.read = f == "+l" ? ColumnType::List : ColumnType::LargeList;
        t.element = elem.type;
        t.type = static_cast<Type>(ddb::kArrayTypeBase + static_cast<uint8_t>(elem.type));
        t.child = std::make_shared<ColumnType>(elem);
        return t;
    }
    fail("Cannot convert Arrow column '" + column + "' of type " + std::string(f) + " to a DolphinDB type.");
}

bool valid(const ArrowArray& a, int64_t i) {
    if (a.null_count == 0 || !a.buffers[0]) return true;
    int64_t bit = a.offset + i;
    return (static_cast<const uint8_t*>(a.buffers[0])[bit >> 3] >> (bit & 7)) & 1;
}

template <class T>
T fixedAt(const ArrowArray& a, int64_t i) {
    T v;
    std::memcpy(&v, static_cast<const uint8_t*>(a.buffers[1]) + (a.offset + i) * static_cast<int64_t>(sizeof(T)), sizeof v);
    return v;
}

int64_t nullOf(Type t) {
    return ddb::fixedWidth(t) == 8 ? ddb::kNullLong
        : ddb::fixedWidth(t) == 4  ? ddb::kNullInt
        : ddb::fixedWidth(t) == 2  ? ddb::kNullShort
                                   : ddb::kNullChar;
}

// Reads `n` values of `a` (elements from..from+n) into out's fixed-width data at `at`.
void fillFixed(const ColumnType& t, const ArrowArray& a, int64_t from, int64_t n, Column& out, int64_t at,
               const std::string& column) {
    uint8_t* dst = out.data->data();
    const int w = ddb::fixedWidth(t.type);
    for (int64_t k = 0; k < n; ++k) {
        int64_t i = from + k;
        uint8_t* p = dst + (at + k) * w;
        bool ok = valid(a, i);
        switch (t.read) {
            case ColumnType::Bool: {
                int64_t bit = a.offset + i;
                int8_t v = ok ? static_cast<int8_t>((static_cast<const uint8_t*>(a.buffers[1])[bit >> 3] >> (bit & 7)) & 1)
                              : ddb::kNullChar;
                std::memcpy(p, &v, 1);
                break;
            }
            case ColumnType::Fixed:
                // NaN is a NULL float / double, as in the official client's Arrow uploads.
                if (ok && t.type == Type::Float) ok = !std::isnan(fixedAt<float>(a, i));
                if (ok && t.type == Type::Double) ok = !std::isnan(fixedAt<double>(a, i));
                if (ok) {
                    std::memcpy(p, static_cast<const uint8_t*>(a.buffers[1]) + (a.offset + i) * t.width, static_cast<size_t>(w));
                } else if (t.type == Type::Float) {
                    std::memcpy(p, &ddb::kNullFloat, 4);
                } else if (t.type == Type::Double) {
                    std::memcpy(p, &ddb::kNullDouble, 8);
                } else {
                    int64_t null = nullOf(t.type);
                    std::memcpy(p, &null, static_cast<size_t>(w));   // little-endian: low bytes
                }
                break;
            case ColumnType::Scaled: {
                int64_t v = ddb::kNullLong;
                if (ok) {
                    int64_t raw = fixedAt<int64_t>(a, i);
                    if (__builtin_mul_overflow(raw, t.multiplier, &v) || v == ddb::kNullLong)
                        fail("Arrow column '" + column + "': value " + std::to_string(raw) + " is out of range for " +
                             ddb::typeName(static_cast<uint8_t>(t.type)));
                }
                std::memcpy(p, &v, 8);
                break;
            }
            case ColumnType::Date64: {
                int32_t v = ddb::kNullInt;
                if (ok) {
                    int64_t ms = fixedAt<int64_t>(a, i);
                    int64_t days = ms / 86400000 - (ms % 86400000 < 0 ? 1 : 0);
                    v = static_cast<int32_t>(days);
                }
                std::memcpy(p, &v, 4);
                break;
            }
            case ColumnType::DatetimeS: {
                int32_t v = ddb::kNullInt;
                if (ok) {
                    int64_t s = fixedAt<int64_t>(a, i);
                    if (s <= std::numeric_limits<int32_t>::min() || s > std::numeric_limits<int32_t>::max())
                        fail("Arrow column '" + column + "': timestamp " + std::to_string(s) + " s is out of the DATETIME range");
                    v = static_cast<int32_t>(s);
                }
                std::memcpy(p, &v, 4);
                break;
            }
            case ColumnType::Uuid: {
                if (ok) {
                    const uint8_t* src = static_cast<const uint8_t*>(a.buffers[1]) + (a.offset + i) * 16;
                    for (int b = 0; b < 16; ++b) p[b] = src[15 - b];   // canonical order -> wire order
                } else {
                    std::memset(p, 0, 16);
                }
                break;
            }
            case ColumnType::Decimal: {
                if (ok) {
                    std::memcpy(p, static_cast<const uint8_t*>(a.buffers[1]) + (a.offset + i) * 16, 16);
                } else {
                    unsigned __int128 null = static_cast<unsigned __int128>(1) << 127;
                    std::memcpy(p, &null, 16);
                }
                break;
            }
            default: fail("internal: not a fixed-width Arrow column");
        }
    }
}

// Offset i of a (large) string or binary array.
int64_t textOffset(const ColumnType::Read read, const ArrowArray& a, int64_t i) {
    if (read == ColumnType::Text) return static_cast<const int32_t*>(a.buffers[1])[a.offset + i];
    return static_cast<const int64_t*>(a.buffers[1])[a.offset + i];
}

std::string_view textAt(const ColumnType::Read read, const ArrowArray& a, int64_t i) {
    const uint8_t* data = static_cast<const uint8_t*>(a.buffers[2]);
    int64_t begin = textOffset(read, a, i), end = textOffset(read, a, i + 1);
    if (!data || end <= begin) return {};
    return std::string_view(reinterpret_cast<const char*>(data) + begin, static_cast<size_t>(end - begin));
}

// The bytes elements [from, from + n) span: what they add to a text column at most (nulls add
// none), so it grows once per batch.
size_t textBytes(const ColumnType::Read read, const ArrowArray& a, int64_t from, int64_t n) {
    if (n <= 0 || !a.buffers[1]) return 0;
    int64_t begin = textOffset(read, a, from), end = textOffset(read, a, from + n);
    return end > begin ? static_cast<size_t>(end - begin) : 0;
}

int64_t indexAt(const ArrowArray& a, int64_t i, int width) {
    switch (width) {
        case 1: return fixedAt<int8_t>(a, i);
        case 2: return fixedAt<int16_t>(a, i);
        case 4: return fixedAt<int32_t>(a, i);
        default: return fixedAt<int64_t>(a, i);
    }
}

// A column being filled from successive batches.
struct Target {
    ColumnType type;
    std::string name;
    Column fixed;   // fixed-width columns
    std::unique_ptr<build::Text> text;   // STRING / SYMBOL / BLOB
    std::vector<int64_t> offsets{0};   // array vectors: element offsets
    Column elements;   // array vectors: grown per batch
    int64_t at = 0;
};

void appendBatch(Target& t, const ArrowArray& a, int64_t from, int64_t n) {
    switch (t.type.read) {
        case ColumnType::Text:
        case ColumnType::LargeText:
            t.text->reserve(textBytes(t.type.read, a, from, n));
            for (int64_t i = from; i < from + n; ++i) t.text->add(valid(a, i) ? textAt(t.type.read, a, i) : std::string_view());
            return;
        case ColumnType::Dictionary: {
            const ArrowArray* dict = a.dictionary;
            if (!dict) fail("Arrow column '" + t.name + "': dictionary array missing");
            for (int64_t i = from; i < from + n; ++i) {
                if (!valid(a, i)) {
                    t.text->add({});
                    continue;
                }
                int64_t k = indexAt(a, i, t.type.width);
                if (k < 0 || k >= dict->length) fail("Arrow column '" + t.name + "': dictionary index out of range");
                t.text->add(valid(*dict, k) ? textAt(t.type.child->read, *dict, k) : std::string_view());
            }
            return;
        }
        case ColumnType::List:
        case ColumnType::LargeList: {
            const ArrowArray& values = *a.children[0];
            auto offsetAt = [&](int64_t i) -> int64_t {
                if (t.type.read == ColumnType::List) return static_cast<const int32_t*>(a.buffers[1])[a.offset + i];
                return static_cast<const int64_t*>(a.buffers[1])[a.offset + i];
            };
            int64_t total = 0;
            for (int64_t i = from; i < from + n; ++i)
                if (valid(a, i)) total += offsetAt(i + 1) - offsetAt(i);
            int w = ddb::fixedWidth(t.type.element);
            int64_t have = t.elements.length;
            t.elements.data->resize(static_cast<size_t>((have + total) * w));
            t.elements.length = have + total;
            for (int64_t i = from; i < from + n; ++i) {
                int64_t count = valid(a, i) ? offsetAt(i + 1) - offsetAt(i) : 0;
                if (count) fillFixed(*t.type.child, values, offsetAt(i), count, t.elements, have, t.name);
                have += count;
                t.offsets.push_back(have);
            }
            return;
        }
        default: fillFixed(t.type, a, from, n, t.fixed, t.at, t.name); t.at += n;
    }
}

void startTarget(Target& t, int64_t rows) {
    switch (t.type.read) {
        case ColumnType::Text:
        case ColumnType::LargeText:
        case ColumnType::Dictionary: t.text = std::make_unique<build::Text>(t.type.type, rows); break;
        case ColumnType::List:
        case ColumnType::LargeList:
            t.elements = build::fixed(t.type.element, 0, t.type.child->scale);
            t.offsets.reserve(static_cast<size_t>(rows) + 1);
            break;
        default: t.fixed = build::fixed(t.type.type, rows, t.type.scale);
    }
}

Column finishTarget(Target& t, int64_t rows) {
    switch (t.type.read) {
        case ColumnType::Text:
        case ColumnType::LargeText:
        case ColumnType::Dictionary: return t.text->take();
        case ColumnType::List:
        case ColumnType::LargeList: {
            Column c;
            c.rawType = static_cast<uint8_t>(t.type.type);
            c.length = rows;
            c.scale = t.type.child->scale;
            c.offsets = ddb::Buffer::allocate(t.offsets.size() * sizeof(int64_t));
            std::memcpy(c.offsets->data(), t.offsets.data(), t.offsets.size() * sizeof(int64_t));
            c.values = std::make_shared<Column>(std::move(t.elements));
            return c;
        }
        default: return std::move(t.fixed);
    }
}

// Reads an Arrow C stream to its end, one batch at a time.
template <class OnBatch>
void readStream(py::handle source, const char* what, ArrowSchema& schema, OnBatch&& onBatch) {
    py::object capsule = source.attr("__arrow_c_stream__")();
    auto* stream = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
    if (!stream) throw py::error_already_set();
    auto streamError = [&](const char* part) {
        const char* msg = stream->get_last_error ? stream->get_last_error(stream) : nullptr;
        fail(std::string("Cannot read the ") + what + " (" + part + "): " + (msg ? msg : "unknown error"));
    };
    if (stream->get_schema(stream, &schema) != 0) streamError("schema");
    for (;;) {
        ArrayHolder batch;
        if (stream->get_next(stream, &batch.a) != 0) streamError("batch");
        if (!batch.a.release) break;   // end of stream
        onBatch(batch.a);
    }
}

}   // namespace

Column columnFromArrow(py::handle data, const std::string& name) {
    int64_t rows = static_cast<int64_t>(py::len(data));
    SchemaHolder schema;
    Target t;
    t.name = name;
    bool started = false;
    int64_t seen = 0;
    readStream(data, "Arrow column", schema.s, [&](const ArrowArray& b) {
        if (!started) {
            t.type = resolve(schema.s, name);
            startTarget(t, rows);
            started = true;
        }
        if (seen + b.length > rows) fail("Cannot read Arrow column '" + name + "': more values than it says it has");
        appendBatch(t, b, 0, b.length);   // the reads add the array's own offset
        seen += b.length;
    });
    if (!started) {
        t.type = resolve(schema.s, name);
        startTarget(t, rows);
    }
    if (seen != rows) fail("Cannot read Arrow column '" + name + "': fewer values than it says it has");
    return finishTarget(t, rows);
}

namespace {}   // namespace

bool isArrowTable(py::handle o) {
    static PyObject* modules = PyImport_GetModuleDict();
    if (!PyDict_GetItemString(modules, "pyarrow")) return false;
    static auto* tableType = new py::object(py::module_::import("pyarrow").attr("Table"));
    return PyObject_IsInstance(o.ptr(), tableType->ptr()) == 1;
}

Value tableFromArrow(py::handle table) {
    int64_t rows = table.attr("num_rows").cast<int64_t>();
    py::object capsule = table.attr("__arrow_c_stream__")();
    auto* stream = static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
    if (!stream) throw py::error_already_set();
    auto streamError = [&](const char* what) {
        const char* msg = stream->get_last_error ? stream->get_last_error(stream) : nullptr;
        fail(std::string("Cannot read the pyarrow.Table (") + what + "): " + (msg ? msg : "unknown error"));
    };
    SchemaHolder schema;
    if (stream->get_schema(stream, &schema.s) != 0) streamError("schema");
    if (std::string_view(schema.s.format ? schema.s.format : "") != "+s")
        fail("Cannot read the pyarrow.Table: its schema is not a struct");

    std::vector<Target> targets(static_cast<size_t>(schema.s.n_children));
    Value v;
    v.form = ddb::Form::Table;
    for (int64_t c = 0; c < schema.s.n_children; ++c) {
        const ArrowSchema& cs = *schema.s.children[c];
        Target& t = targets[static_cast<size_t>(c)];
        t.name = cs.name ? cs.name : "";
        t.type = resolve(cs, t.name);
        v.columnNames.push_back(t.name);
        startTarget(t, rows);
    }

    int64_t seen = 0;
    for (;;) {
        ArrayHolder batch;
        if (stream->get_next(stream, &batch.a) != 0) streamError("batch");
        if (!batch.a.release) break;   // end of stream
        const ArrowArray& b = batch.a;
        if (b.n_children != schema.s.n_children) fail("Cannot read the pyarrow.Table: a batch has a different number of columns");
        if (seen + b.length > rows) fail("Cannot read the pyarrow.Table: more rows than it says it has");
        for (int64_t c = 0; c < b.n_children; ++c)
            appendBatch(targets[static_cast<size_t>(c)], *b.children[c], b.offset, b.length);
        seen += b.length;
    }
    if (seen != rows) fail("Cannot read the pyarrow.Table: fewer rows than it says it has");

    for (Target& t : targets) v.columns.push_back(finishTarget(t, rows));
    v.rows = static_cast<int32_t>(rows);
    v.cols = static_cast<int32_t>(v.columns.size());
    return v;
}

}   // namespace ddbpy::up
