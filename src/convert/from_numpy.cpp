// numpy -> ddb::Value: typed 1-D arrays by dtype (sent from the array's own memory when the bytes
// are already DolphinDB's, else one conversion pass: NaN -> the null sentinels, units), object
// arrays scanned like lists, 2-D arrays as matrices, scalars.
#include <cmath>
#include <cstring>

#include "convert/build.h"
#include "convert/upload.h"
#include "protocol/io.h"
#include "protocol/utf8.h"

namespace ddbpy::up {

std::string datetimeUnit(const py::dtype& dt) {
    return pyc::numpy().attr("datetime_data")(dt).cast<py::tuple>()[0].cast<std::string>();
}

namespace {

std::string dtypeName(const py::dtype& dt) { return py::str(dt).cast<std::string>(); }

[[noreturn]] void unsupportedDtype(const py::dtype& dt) {
    throw ddb::ConversionError("Cannot convert from numpy dtype " + dtypeName(dt) + ".");
}

// The array's own memory as the column's buffer (`a` is contiguous and native-endian): an upload
// sends it from there without a copy. The buffer holds a reference to the array until it is
// released, under the GIL, so the memory stays valid while the request is encoded and sent
// without the GIL; it is read-only (Buffer::borrowed), so the array is never written to. Small
// arrays are copied: a request copies them anyway (ddb::Sink::kReferencedSpan), and a copy
// needs no GIL to be released.
Column borrowFixed(Type t, const py::array& a) {
    const auto bytes = static_cast<size_t>(a.nbytes());
    if (bytes < ddb::Sink::kReferencedSpan) {
        Column c = build::fixed(t, a.size());
        if (bytes) std::memcpy(c.data->data(), a.data(), bytes);
        return c;
    }
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.length = a.size();
    c.data = ddb::Buffer::borrow(a.data(), bytes, gilSafe(a));
    return c;
}

// NaN and +-inf are NULL, as in the official client: sent in place when there are none.
template <class T>
Column floats(Type t, const py::array& a, T sentinel) {
    const T* src = static_cast<const T*>(a.data());
    const int64_t n = a.size();
    bool finite = true;
    for (int64_t i = 0; i < n; ++i) finite &= std::isfinite(src[i]);
    if (finite) return borrowFixed(t, a);
    Column c = build::fixed(t, n);
    T* p = c.data->as<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = std::isfinite(src[i]) ? src[i] : sentinel;
    return c;
}

// Fixed-width numpy 'U' (UCS-4, NUL padded) -> STRING.
Column unicodeColumn(const py::array& a) {
    int64_t n = a.size();
    size_t chars = static_cast<size_t>(a.itemsize()) / 4;
    build::Text b(Type::String, n);
    const uint32_t* p = static_cast<const uint32_t*>(a.data());
    std::string s;
    for (int64_t i = 0; i < n; ++i, p += chars) {
        size_t len = chars;
        while (len && p[len - 1] == 0) --len;
        s.clear();
        for (size_t k = 0; k < len; ++k) ddb::appendUtf8(s, p[k]);
        b.add(s);
    }
    return b.take();
}

// Fixed-width numpy 'S' (NUL padded) -> BLOB.
Column bytesColumn(const py::array& a) {
    int64_t n = a.size();
    size_t width = static_cast<size_t>(a.itemsize());
    build::Text b(Type::Blob, n);
    const char* p = static_cast<const char*>(a.data());
    for (int64_t i = 0; i < n; ++i, p += width) {
        size_t len = width;
        while (len && p[len - 1] == 0) --len;
        b.add(std::string_view(p, len));
    }
    return b.take();
}

std::vector<PyObject*> objectItems(const py::array& a) {
    PyObject* const* p = static_cast<PyObject* const*>(a.data());
    return std::vector<PyObject*>(p, p + a.size());
}

py::array contiguous(py::array arr) {
    if (!(arr.flags() & py::array::c_style) || !arr.dtype().attr("isnative").cast<bool>())
        arr = pyc::numpy().attr("ascontiguousarray")(arr, arr.dtype().attr("newbyteorder")("="));
    return arr;
}

template <class T>
void countsOf(const T* src, int64_t n, Type t, Column& out) {
    const int width = ddb::fixedWidth(t);
    for (int64_t i = 0; i < n; ++i) {
        int64_t v = temporalCount(t, static_cast<__int128>(src[i]), i);
        if (width == 8) out.data->as<int64_t>()[i] = v;
        else out.data->as<int32_t>()[i] = static_cast<int32_t>(v);
    }
}

// A typed integer array given a temporal type: each element a count of the type's unit (`a` is
// contiguous and native-endian).
Column temporalCounts(const py::array& a, Type t) {
    const int64_t n = a.size();
    Column c = build::fixed(t, n);
    const void* p = a.data();
    const bool isSigned = a.dtype().kind() == 'i';
    switch (a.itemsize()) {
        case 1:
            isSigned ? countsOf(static_cast<const int8_t*>(p), n, t, c) : countsOf(static_cast<const uint8_t*>(p), n, t, c);
            break;
        case 2:
            isSigned ? countsOf(static_cast<const int16_t*>(p), n, t, c) : countsOf(static_cast<const uint16_t*>(p), n, t, c);
            break;
        case 4:
            isSigned ? countsOf(static_cast<const int32_t*>(p), n, t, c) : countsOf(static_cast<const uint32_t*>(p), n, t, c);
            break;
        default:
            isSigned ? countsOf(static_cast<const int64_t*>(p), n, t, c) : countsOf(static_cast<const uint64_t*>(p), n, t, c);
            break;
    }
    return c;
}

}   // namespace

bool isNdarray(py::handle o) {
    static auto* ndarray = new py::object(pyc::numpy().attr("ndarray"));
    return PyObject_IsInstance(o.ptr(), ndarray->ptr()) == 1;
}

Column columnFromArray(py::array arr) {
    py::dtype dt = arr.dtype();
    char kind = dt.kind();
    int size = static_cast<int>(dt.itemsize());
    if (kind == 'O') {
        arr = contiguous(arr);
        return sequenceColumn(objectItems(arr), Infinities::Kept);
    }
    if (kind == 'T') return sequenceColumn(objectItems(contiguous(arr.attr("astype")("O"))));
    bool supported =
        kind == 'b' || kind == 'i' || (kind == 'f' && (size == 4 || size == 8)) || kind == 'M' || kind == 'U' || kind == 'S';
    if (!supported) unsupportedDtype(dt);
    arr = contiguous(arr);
    switch (kind) {
        case 'b': return borrowFixed(Type::Bool, arr);
        case 'i':
            switch (size) {
                case 1: return borrowFixed(Type::Char, arr);
                case 2: return borrowFixed(Type::Short, arr);
                case 4: return borrowFixed(Type::Int, arr);
                default: return borrowFixed(Type::Long, arr);
            }
        case 'f':
            if (size == 4) return floats<float>(Type::Float, arr, ddb::kNullFloat);
            return floats<double>(Type::Double, arr, ddb::kNullDouble);
        case 'M': {
            std::string unit = datetimeUnit(dt);
            Type t = typeOfDatetimeUnit(unit);
            // The same counts in the same unit, and NaT is INT64_MIN, the null of both.
            if ((unit == "ms" && t == Type::Timestamp) || (unit == "ns" && t == Type::Nanotimestamp)) return borrowFixed(t, arr);
            Column c = build::fixed(t, arr.size());
            convertTemporal(static_cast<const int64_t*>(arr.data()), arr.size(), unit, t, c);
            return c;
        }
        case 'U': return unicodeColumn(arr);
        default: return bytesColumn(arr);
    }
}

Column columnFromArrayForced(py::array arr, const TypeSpec& spec) {
    py::dtype dt = arr.dtype();
    char kind = dt.kind();
    uint8_t raw = static_cast<uint8_t>(spec.type);
    Type t = static_cast<Type>(raw);
    if (kind == 'M' && !ddb::isArrayType(raw) && ddb::fixedWidth(t) > 0 && !ddb::isDecimal(t) && t != Type::Bool &&
        t != Type::Float && t != Type::Double) {
        arr = contiguous(arr);
        Column c = build::fixed(t, arr.size());
        convertTemporal(static_cast<const int64_t*>(arr.data()), arr.size(), datetimeUnit(dt), t, c);
        return c;
    }
    if (kind != 'O' && kind != 'M' && !ddb::isArrayType(raw)) {
        Column natural = columnFromArray(arr);
        if (natural.rawType == raw && !ddb::isDecimal(t)) return natural;
        // Floats and bools are not counts of days or milliseconds (the official client truncates
        // floats into counts, which would lose their fractions silently).
        if (ddb::isTemporal(t))
            throw ddb::ConversionError("Cannot convert numpy dtype " + dtypeName(dt) + " to " + ddb::typeName(raw) + ".");
    }
    py::list objects = arr.attr("tolist")();
    return forcedColumn(itemsOf(objects), spec, kind == 'O' ? ForcedSource::Cells : ForcedSource::TypedArray);
}

Column columnFromNdarrayForced(py::array arr, const TypeSpec& spec) {
    char kind = arr.dtype().kind();
    Type t = static_cast<Type>(spec.type);
    if ((kind == 'i' || kind == 'u') && !ddb::isArrayType(static_cast<uint8_t>(spec.type)) && ddb::isTemporal(t))
        return temporalCounts(contiguous(arr), t);
    return columnFromArrayForced(arr, spec);
}

Value matrixFromArray(py::array arr, const TypeSpec& spec) {
    if (spec.forced() && ddb::isArrayType(static_cast<uint8_t>(spec.type)))
        throw ddb::ConversionError("Vector types cannot be specified as arrays (e.g., BOOL[], INT[]).");
    Value v;
    v.form = ddb::Form::Matrix;
    v.rows = static_cast<int32_t>(arr.shape(0));
    v.cols = static_cast<int32_t>(arr.shape(1));
    py::array flat = arr.attr("ravel")("F");
    char kind = arr.dtype().kind();
    if (spec.forced()) {
        v.column = columnFromNdarrayForced(flat, spec);   // the elements as a vector's would be
    } else if (kind == 'O') {
        flat = contiguous(flat);
        auto items = objectItems(flat);
        Scan s = scan(items);
        if (s.any || (s.type == Type::Void && !items.empty()))
            throw ddb::ConversionError("Not allowed to create a matrix with type ANY");
        v.column = items.empty() ? build::fixed(Type::Double, 0) : columnOf(items, s.type, s.scale);
    } else {
        v.column = columnFromArray(flat);
    }
    Type t = v.column.type();
    if (t == Type::String || t == Type::Blob || t == Type::Symbol || t == Type::Any || ddb::isDecimal(t))
        throw ddb::ConversionError("Not allowed to create a matrix with type " + ddb::typeName(v.column.rawType));
    return v;
}

Value scalarFromNumpy(py::handle o) {
    py::dtype dt = o.attr("dtype");
    char kind = dt.kind();
    int size = static_cast<int>(dt.itemsize());
    bool supported = kind == 'b' || kind == 'i' || (kind == 'f' && (size == 4 || size == 8)) || kind == 'U' || kind == 'S';
    if (kind == 'M') {
        std::string unit = datetimeUnit(dt);
        if (unit == "generic") {   // NaT without a unit
            Column c = build::fixed(Type::Nanotimestamp, 1);
            c.data->as<int64_t>()[0] = ddb::kNullLong;
            return build::scalar(std::move(c));
        }
        supported = unit == "D" || unit == "M" || unit == "h" || unit == "m" || unit == "s" || unit == "ms" || unit == "us" ||
            unit == "ns";
    }
    if (!supported) {
        std::string name = kind == 'm' ? "timedelta64" : dtypeName(dt);
        throw ddb::ConversionError("Cannot convert " + name + " to Scalar as it is an unsupported numpy dtype.");
    }
    py::array one = pyc::numpy().attr("asarray")(o).attr("reshape")(1);
    return build::scalar(columnFromArray(one));
}

}   // namespace ddbpy::up
