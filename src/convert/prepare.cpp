// Stage 1 of a download conversion (see convert.h): everything that does not create a Python
// object. This file deliberately includes no Python header, so it is safe without the GIL.
#include <cmath>
#include <cstring>
#include <limits>

#include "../../cpp/errors.h"   // the core header itself: src/errors.h would bring pybind11
#include "convert/prepared.h"
#include "convert/text.h"

#ifdef Py_PYTHON_H
#error "prepare.cpp runs without the GIL and must not see Python headers"
#endif

namespace ddbpy {

struct ToPythonOptions;

namespace detail {

using ddb::Buffer;
using ddb::Column;
using ddb::Form;
using ddb::Type;
using ddb::Value;

namespace {

enum class Ctx { Vector, Table, TableList };

// Days from 1970-01-01 to the first day of `month` months after 1970-01 (civil calendar).
int64_t daysOfMonth(int64_t months) {
    int64_t y = 1970 + (months >= 0 ? months / 12 : (months - 11) / 12);
    int64_t m = months - (y - 1970) * 12 + 1;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

std::shared_ptr<Buffer> allocate(int64_t n, int width) {
    return Buffer::allocate(static_cast<size_t>(std::max<int64_t>(n, 0)) * width);
}

Node numericView(std::shared_ptr<Buffer> buf, size_t offset, int64_t n, const char* dtype) {
    if (n > 0 && buf->borrowed()) {
        // An uploaded value's memory belongs to the caller's array (read-only, maybe): an array
        // made from it gets its own copy instead of an alias.
        auto copy = Buffer::allocate(buf->size());
        std::memcpy(copy->data(), buf->data(), buf->size());
        buf = std::move(copy);
    }
    Node node;
    node.kind = Kind::Numeric;
    node.buffer = n > 0 ? std::move(buf) : allocate(0, 1);
    node.offset = n > 0 ? offset : 0;
    node.length = n;
    node.dtype = dtype;
    return node;
}

template <class T>
bool anyEqual(const T* p, int64_t n, T sentinel) {
    bool found = false;
    for (int64_t i = 0; i < n; ++i) found |= p[i] == sentinel;
    return found;
}

template <class T>
Node integral(const std::shared_ptr<Buffer>& buf, size_t off, int64_t n, T sentinel, const char* dtype) {
    const T* p = reinterpret_cast<const T*>(buf ? buf->data() + off : nullptr);
    if (n == 0 || !anyEqual(p, n, sentinel)) return numericView(buf, off, n, dtype);
    auto out = allocate(n, 8);
    double* d = out->as<double>();
    for (int64_t i = 0; i < n; ++i)
        d[i] = p[i] == sentinel ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(p[i]);
    return numericView(out, 0, n, "float64");
}

// FLOAT/DOUBLE: the wire null (-FLT_MAX / -DBL_MAX) becomes NaN; in place when we own the buffer.
template <class T>
Node floating(std::shared_ptr<Buffer> buf, size_t off, int64_t n, T sentinel, const char* dtype, bool owned) {
    if (n == 0) return numericView(buf, off, n, dtype);
    T* p = reinterpret_cast<T*>(buf->data() + off);
    if (!anyEqual<T>(p, n, sentinel)) return numericView(std::move(buf), off, n, dtype);
    if (!owned) {
        auto copy = allocate(n, sizeof(T));
        std::memcpy(copy->data(), p, static_cast<size_t>(n) * sizeof(T));
        buf = copy;
        off = 0;
        p = copy->as<T>();
    }
    for (int64_t i = 0; i < n; ++i)
        if (p[i] == sentinel) p[i] = std::numeric_limits<T>::quiet_NaN();
    return numericView(std::move(buf), off, n, dtype);
}

Node temporal(const std::shared_ptr<Buffer>& buf, size_t off, int64_t n, Type t, bool nanos) {
    const ddb::TypeInfo& info = ddb::typeInfo(t);
    const char* dtype = nanos ? "datetime64[ns]" : info.numpyDtype;
    int width = info.width;
    if (width == 8 && (!nanos || info.nsPerUnit == 1)) return numericView(buf, off, n, dtype);   // NaT == null
    auto out = allocate(n, 8);
    int64_t* d = out->as<int64_t>();
    const uint8_t* src = buf ? buf->data() + off : nullptr;
    int64_t scale = nanos ? info.nsPerUnit : 1;   // MONTH (no fixed unit) is converted apart
    if (width == 8) {
        const int64_t* p = reinterpret_cast<const int64_t*>(src);
        for (int64_t i = 0; i < n; ++i) d[i] = p[i] == ddb::kNullLong ? ddb::kNullLong : p[i] * scale;
    } else if (t == Type::Month) {
        const int32_t* p = reinterpret_cast<const int32_t*>(src);
        for (int64_t i = 0; i < n; ++i) {
            if (p[i] == ddb::kNullInt) {
                d[i] = ddb::kNullLong;
                continue;
            }
            int64_t months = static_cast<int64_t>(p[i]) - 1970 * 12;
            d[i] = nanos ? daysOfMonth(months) * 86400000000000LL : months;
        }
    } else {
        const int32_t* p = reinterpret_cast<const int32_t*>(src);
        for (int64_t i = 0; i < n; ++i) d[i] = p[i] == ddb::kNullInt ? ddb::kNullLong : static_cast<int64_t>(p[i]) * scale;
    }
    return numericView(out, 0, n, dtype);
}

// A text column (offsets + data) built from per-element strings.
struct TextBuilder {
    explicit TextBuilder(int64_t n) : offsets(allocate(n + 1, 8)), count(n) { offsets->as<int64_t>()[0] = 0; }
    void add(int64_t i, const std::string& s) {
        bytes += s;
        offsets->as<int64_t>()[i + 1] = static_cast<int64_t>(bytes.size());
    }
    Column column(Type t) {
        Column c;
        c.rawType = static_cast<uint8_t>(t);
        c.length = count;
        c.offsets = offsets;
        c.data = Buffer::allocate(bytes.size());
        if (!bytes.empty()) std::memcpy(c.data->data(), bytes.data(), bytes.size());
        return c;
    }
    std::shared_ptr<Buffer> offsets;
    int64_t count;
    std::string bytes;
};

// UUID / IPADDR / INT128 elements as text; nulls as the zero text (vectors) or '' (scalar use).
Column wideText(const uint8_t* p, int64_t n, Type t, bool emptyNulls) {
    TextBuilder b(n);
    for (int64_t i = 0; i < n; ++i, p += 16) {
        if (emptyNulls && text::allZero(p)) b.add(i, std::string());
        else b.add(i, text::wide(t, p));
    }
    return b.column(Type::String);
}

Column decimalText(const uint8_t* p, int64_t n, Type t, int scale) {
    TextBuilder b(n);
    const int width = ddb::fixedWidth(t);
    for (int64_t i = 0; i < n; ++i) {
        bool null;
        __int128 raw = text::signedAt(p, width, i, &null);
        b.add(i, null ? std::string() : text::decimal(raw, scale));
    }
    return b.column(Type::String);
}

Node objects(Column c, ObjectKind kind) {
    Node node;
    node.kind = Kind::Objects;
    node.column = std::move(c);
    node.objects = kind;
    return node;
}

// A copy of elements [from, from + n) of a fixed-width column (array-vector rows that become
// object arrays).
Column fixedSlice(const Column& values, int64_t from, int64_t n) {
    Column c;
    c.rawType = values.rawType;
    c.scale = values.scale;
    c.length = n;
    int w = ddb::fixedWidth(values.type());
    c.data = allocate(n, std::max(w, 1));
    if (n > 0) std::memcpy(c.data->data(), values.data->data() + from * w, static_cast<size_t>(n) * w);
    return c;
}

Node prepareValue(Value&& v, Ctx anyCtx, bool tableToList);

// The buffers a column's elements are read from really hold `length` elements (finish() reads
// them without further checks). Values from our decoder always pass; hand-built ones may not.
void checkColumn(const Column& c) {
    auto fail = [&] { throw ddb::ConversionError("malformed " + ddb::typeName(c.rawType) + " column"); };
    if (c.length < 0) fail();
    Type t = c.type();
    if (c.isArrayVector() || t == Type::Void || t == Type::Any) return;
    if (ddb::isStringLike(t)) {
        if (c.symbols) {
            if (c.length && (!c.data || c.data->size() < static_cast<size_t>(c.length) * 4)) fail();
            checkColumn(c.symbols->strings);
            return;
        }
        if (!c.offsets || c.offsets->size() < static_cast<size_t>(c.length + 1) * 8) {
            if (c.length == 0) return;
            fail();
        }
        const int64_t* o = c.offsets->as<int64_t>();
        size_t size = c.data ? c.data->size() : 0;
        for (int64_t i = 0; i < c.length; ++i)
            if (o[i] < 0 || o[i + 1] < o[i]) fail();
        if (static_cast<uint64_t>(o[c.length]) > size) fail();
        return;
    }
    int w = ddb::fixedWidth(t);
    if (w == 0) return;   // not a value type: the conversion reports it
    if (c.length && (!c.data || c.data->size() < static_cast<size_t>(c.length) * w)) fail();
}

// Elements [from, from + n) of a fixed-width column as a vector (array-vector rows use this with
// the flat values column; whole vectors with from = 0).
Node fixedVector(const Column& c, int64_t from, int64_t n, Ctx ctx, bool owned) {
    Type t = c.type();
    int w = ddb::fixedWidth(t);
    size_t off = static_cast<size_t>(from) * w;
    if (n > 0 && (!c.data || c.data->size() < off + static_cast<size_t>(n) * w))
        throw ddb::ConversionError("malformed " + ddb::typeName(c.rawType) + " column: data shorter than its length");
    bool nanos = ctx != Ctx::Vector;
    const char* dtype = ddb::typeInfo(t).numpyDtype;
    switch (ddb::typeInfo(t).category) {
        case ddb::TypeCategory::Logical: {
            const int8_t* p = c.data ? reinterpret_cast<const int8_t*>(c.data->data() + off) : nullptr;
            if (n == 0 || !anyEqual<int8_t>(p, n, ddb::kNullChar)) return numericView(c.data, off, n, dtype);
            return objects(from == 0 && n == c.length ? c : fixedSlice(c, from, n), ObjectKind::Bool);
        }
        case ddb::TypeCategory::Integral:
            switch (w) {
                case 1: return integral<int8_t>(c.data, off, n, ddb::kNullChar, dtype);
                case 2: return integral<int16_t>(c.data, off, n, ddb::kNullShort, dtype);
                case 4: return integral<int32_t>(c.data, off, n, ddb::kNullInt, dtype);
                default: return integral<int64_t>(c.data, off, n, ddb::kNullLong, dtype);
            }
        case ddb::TypeCategory::Floating:
            if (w == 4) return floating<float>(c.data, off, n, ddb::kNullFloat, dtype, owned);
            return floating<double>(c.data, off, n, ddb::kNullDouble, dtype, owned);
        case ddb::TypeCategory::Binary:
            return objects(wideText(c.data ? c.data->data() + off : nullptr, n, t, false), ObjectKind::Str);
        case ddb::TypeCategory::Denary: {
            const uint8_t* p = c.data ? c.data->data() + off : nullptr;
            return objects(decimalText(p, n, t, c.scale), ObjectKind::Decimal);
        }
        case ddb::TypeCategory::Temporal: return temporal(c.data, off, n, t, nanos);
        default: break;
    }
    throw ddb::ConversionError("Cannot convert a vector of type " + ddb::typeName(c.rawType) + " to Python");
}

Node arrayVector(Column&& c, Ctx ctx) {
    if (!c.values || !c.offsets || c.offsets->size() < static_cast<size_t>(c.length + 1) * 8)
        throw ddb::ConversionError("malformed array vector: missing offsets or values");
    const int64_t* o = c.offsets->as<int64_t>();
    const Column& values = *c.values;
    if (ddb::fixedWidth(values.type()) == 0)
        throw ddb::ConversionError("Cannot convert an array vector of type " + ddb::typeName(c.rawType));
    if (ctx == Ctx::TableList) {
        // pickleTableToList: a 2-D ndarray in the native dtype (rows must have equal lengths).
        int64_t width = c.length ? o[1] - o[0] : 0;
        for (int64_t i = 0; i < c.length; ++i)
            if (o[i + 1] - o[i] != width) throw ddb::ConversionError("ValueError: negative dimensions not allowed");
        Node flat = fixedVector(values, o[0], c.length ? o[c.length] - o[0] : 0, Ctx::Vector, false);
        flat.rows = c.length;
        flat.cols = width;
        flat.rowMajor = true;
        return flat;
    }
    Node node;
    node.kind = Kind::ObjectArray;
    node.children.reserve(static_cast<size_t>(c.length));
    for (int64_t i = 0; i < c.length; ++i) {
        if (o[i + 1] < o[i]) throw ddb::ConversionError("malformed array vector offsets");
        node.children.push_back(fixedVector(values, o[i], o[i + 1] - o[i], Ctx::Vector, false));
    }
    return node;
}

Node prepareColumn(Column&& c, Ctx ctx, bool owned) {
    checkColumn(c);
    if (c.isArrayVector()) return arrayVector(std::move(c), ctx);
    Type t = c.type();
    if (ddb::isStringLike(t)) return objects(std::move(c), t == Type::Blob ? ObjectKind::Bytes : ObjectKind::Str);
    switch (t) {
        case Type::Void: return objects(std::move(c), ObjectKind::Scalars);
        case Type::Any: {
            Node node;
            node.kind = ctx == Ctx::Vector ? Kind::List : Kind::ObjectArray;
            node.children.reserve(c.items.size());
            for (auto& item : c.items) node.children.push_back(prepareValue(std::move(item), Ctx::Vector, false));
            return node;
        }
        default: break;
    }
    return fixedVector(c, 0, c.length, ctx, owned);
}

bool ownedData(const Column& c) { return c.data && c.data.use_count() == 1 && !c.data->borrowed(); }

// Values of pairs, sets and dictionaries: converted as scalars, in finish().
Node scalars(Kind kind, Column&& c) {
    checkColumn(c);
    if (kind == Kind::Scalar && c.type() != Type::Void && c.length < 1) throw ddb::ConversionError("malformed scalar: no value");
    Node node;
    node.kind = kind;
    node.column = std::move(c);
    return node;
}

Node prepareValue(Value&& v, Ctx anyCtx, bool tableToList) {
    if (v.payload == ddb::Payload::Pickle) {
        Node node;
        node.kind = Kind::Pickled;
        node.pickled = std::move(v.pickled);
        node.form = v.form;
        return node;
    }
    if (v.payload == ddb::Payload::Arrow) {
        Node node;
        node.kind = Kind::Arrow;
        node.dtype = "uint8";
        node.buffer = std::move(v.arrowStream);
        node.length = node.buffer ? static_cast<int64_t>(node.buffer->size()) : 0;
        return node;
    }
    switch (v.form) {
        case Form::Scalar: return scalars(Kind::Scalar, std::move(v.column));
        case Form::Vector: {
            bool owned = ownedData(v.column);
            return prepareColumn(std::move(v.column), anyCtx, owned);
        }
        case Form::Pair:
            if (v.column.type() == Type::Any) {
                Node node;
                node.kind = Kind::List;
                for (auto& item : v.column.items) node.children.push_back(prepareValue(std::move(item), Ctx::Vector, false));
                return node;
            }
            // A pair always holds two values; a VOID pair (`NULL : NULL`) carries no element
            // bytes and the server may send it with 0 rows. The official client gives [None, None].
            if (v.column.type() == Type::Void) v.column.length = 2;
            return scalars(Kind::Pair, std::move(v.column));
        case Form::Set: return scalars(Kind::Set, std::move(v.column));
        case Form::Dictionary:
        case Form::Chart: {
            Type kt = v.column.type();
            if (kt == Type::Bool) throw ddb::ConversionError("Not allowed to create Dictionary for the key type BOOL");
            bool ok = kt == Type::String || kt == Type::Symbol || ddb::typeInfo(kt).category == ddb::TypeCategory::Integral;
            if (!ok || v.column.isArrayVector())
                throw ddb::ConversionError("Only dictionary with string, symbol or integral keys can be converted to dict.");
            if (!v.dictValues) throw ddb::ConversionError("malformed dictionary: no values");
            Node node = scalars(Kind::Dict, std::move(v.column));
            Column values = std::move(*v.dictValues);
            if (values.type() == Type::Any && !values.isArrayVector()) {
                Node list;
                list.kind = Kind::List;
                for (auto& item : values.items) list.children.push_back(prepareValue(std::move(item), Ctx::Vector, false));
                node.children.push_back(std::move(list));
            } else {
                node.children.push_back(scalars(Kind::Pair, std::move(values)));
            }
            if (node.children[0].kind == Kind::Pair
                    ? node.children[0].column.length != node.column.length
                    : static_cast<int64_t>(node.children[0].children.size()) != node.column.length)
                throw ddb::ConversionError("malformed dictionary: keys and values differ in number");
            return node;
        }
        case Form::Matrix: {
            Type t = v.column.type();
            if (ddb::typeInfo(t).category == ddb::TypeCategory::Binary || t == Type::Symbol || v.column.isArrayVector())
                throw ddb::ConversionError("Not allowed to create a matrix with type " + ddb::typeName(v.column.rawType));
            if (static_cast<int64_t>(v.rows) * v.cols != v.column.length || v.rows < 0 || v.cols < 0)
                throw ddb::ConversionError("malformed matrix: rows * cols != number of values");
            Node node;
            node.kind = Kind::Matrix;
            bool owned = ownedData(v.column);
            Node data = prepareColumn(std::move(v.column), Ctx::Vector, owned);
            if (data.kind != Kind::Numeric && data.kind != Kind::Objects)
                throw ddb::ConversionError("Not allowed to create a matrix with type ANY");
            data.rows = v.rows;
            data.cols = v.cols;
            node.children.push_back(std::move(data));
            node.present = {v.rowLabels != nullptr, v.colLabels != nullptr};
            for (auto* labels : {&v.rowLabels, &v.colLabels}) {
                if (*labels) {
                    bool own = ownedData(**labels) && labels->use_count() == 1;
                    node.children.push_back(prepareColumn(std::move(**labels), Ctx::Vector, own));
                } else {
                    node.children.emplace_back();
                }
            }
            return node;
        }
        case Form::Table: {
            if (v.columnNames.size() != v.columns.size()) throw ddb::ConversionError("malformed table: names and columns differ");
            Node node;
            node.kind = tableToList ? Kind::TableList : Kind::Table;
            node.names = std::move(v.columnNames);
            node.children.reserve(v.columns.size());
            Ctx ctx = tableToList ? Ctx::TableList : Ctx::Table;
            for (auto& c : v.columns) {
                bool owned = ownedData(c);
                node.children.push_back(prepareColumn(std::move(c), ctx, owned));
            }
            return node;
        }
        default: throw ddb::ConversionError("Data form " + ddb::formName(v.form) + " cannot be converted to Python");
    }
}

}   // namespace

Node prepareRoot(Value&& v, bool tableToList) { return prepareValue(std::move(v), Ctx::Vector, tableToList); }

}   // namespace detail
}   // namespace ddbpy
