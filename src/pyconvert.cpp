#include "pyconvert.h"

#include <pybind11/numpy.h>

#include <algorithm>
#include <unordered_map>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"

namespace ddbpy {

using ddb::Buffer;
using ddb::Column;
using ddb::Form;
using ddb::Type;
using ddb::Value;

namespace {

// ---------------------------------------------------------------------------------- helpers
// Python objects used on every call, looked up once and deliberately never released: C++ static
// destructors run after the interpreter has finalized, when dropping a reference would crash.
struct PyRefs {
    py::object numpy = py::module_::import("numpy");
    py::object Decimal = py::module_::import("decimal").attr("Decimal");
    py::object pandas = py::module_::import("pandas");
    py::object DataFrame = pandas.attr("DataFrame");
    py::object Series = pandas.attr("Series");
    py::object Timestamp = pandas.attr("Timestamp");
    py::object NaT = pandas.attr("NaT");
    py::object NA = pandas.attr("NA");
    py::object floating = numpy.attr("floating");
    py::object datetime64 = numpy.attr("datetime64");
    py::object isnat = numpy.attr("isnat");
    py::object datetime = py::module_::import("datetime");
};

const PyRefs& refs() {
    static PyRefs* r = new PyRefs();
    return *r;
}

py::handle np() { return refs().numpy; }
py::handle decimalClass() { return refs().Decimal; }

bool isTemporal(Type t) {
    switch (t) {
        case Type::Date: case Type::Month: case Type::Time: case Type::Minute: case Type::Second:
        case Type::Datetime: case Type::Timestamp: case Type::Nanotime: case Type::Nanotimestamp:
        case Type::Datehour: case Type::Dateminute: return true;
        default: return false;
    }
}

// numpy datetime64 unit of a temporal type's values (after the MONTH epoch shift).
const char* temporalUnit(Type t) {
    switch (t) {
        case Type::Date: return "D";
        case Type::Month: return "M";
        case Type::Time: case Type::Timestamp: return "ms";
        case Type::Minute: case Type::Dateminute: return "m";
        case Type::Second: case Type::Datetime: return "s";
        case Type::Nanotime: case Type::Nanotimestamp: return "ns";
        case Type::Datehour: return "h";
        default: return "ns";
    }
}

int64_t nsPerUnit(Type t) {
    switch (t) {
        case Type::Date: return 86400000000000LL;
        case Type::Time: case Type::Timestamp: return 1000000LL;
        case Type::Minute: case Type::Dateminute: return 60000000000LL;
        case Type::Second: case Type::Datetime: return 1000000000LL;
        case Type::Datehour: return 3600000000000LL;
        default: return 1;
    }
}

// A numpy array viewing `count` elements of a shared Buffer (kept alive by a capsule).
py::array viewBuffer(const std::shared_ptr<Buffer>& buf, py::dtype dtype, ssize_t count, size_t offset = 0) {
    auto* keep = new std::shared_ptr<Buffer>(buf);
    py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<Buffer>*>(p); });
    return py::array(dtype, {count}, {}, buf->data() + offset, owner);
}

// A 1-D object array; numpy fills it with references to None.
py::array newObjectArray(int64_t n) { return py::array(py::dtype("O"), std::vector<ssize_t>{n}); }

void setObject(py::array& arr, int64_t i, py::object o) {
    PyObject** slot = static_cast<PyObject**>(arr.mutable_data()) + i;
    Py_XDECREF(*slot);
    *slot = o.release().ptr();
}

template <class T>
int64_t intAt(const Column& c, int64_t i) { return reinterpret_cast<const T*>(c.data->data())[i]; }

int64_t integerAt(const Column& c, int64_t i, bool* isNull) {
    switch (c.type()) {
        case Type::Bool: case Type::Char: { int8_t v = intAt<int8_t>(c, i); *isNull = v == INT8_MIN; return v; }
        case Type::Short: { int16_t v = static_cast<int16_t>(intAt<int16_t>(c, i)); *isNull = v == INT16_MIN; return v; }
        case Type::Int: case Type::Date: case Type::Month: case Type::Time: case Type::Minute: case Type::Second:
        case Type::Datetime: case Type::Datehour: case Type::Dateminute: case Type::Decimal32: {
            int32_t v = static_cast<int32_t>(intAt<int32_t>(c, i)); *isNull = v == INT32_MIN; return v; }
        default: { int64_t v = intAt<int64_t>(c, i); *isNull = v == INT64_MIN; return v; }
    }
}

std::string hex128(const uint8_t* p) {
    static const char* digits = "0123456789abcdef";
    std::string s(32, '0');
    for (int i = 0; i < 16; ++i) {
        uint8_t b = p[15 - i];   // wire order is little-endian
        s[2 * i] = digits[b >> 4];
        s[2 * i + 1] = digits[b & 15];
    }
    return s;
}

bool allZero(const uint8_t* p) {
    for (int i = 0; i < 16; ++i) if (p[i]) return false;
    return true;
}

py::object wideToPython(Type t, const uint8_t* p, bool scalar) {
    if (scalar && allZero(p)) return py::none();
    std::string h = hex128(p);
    if (t == Type::Int128) return py::str(h);
    if (t == Type::Uuid)
        return py::str(h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20));
    // IPADDR: IPv4 when the upper 96 bits are zero.
    bool v4 = true;
    for (int i = 4; i < 16; ++i) if (p[i]) v4 = false;
    if (v4)
        return py::str(std::to_string(p[3]) + "." + std::to_string(p[2]) + "." + std::to_string(p[1]) + "." + std::to_string(p[0]));
    std::string out;
    for (int g = 0; g < 8; ++g) {
        if (g) out += ":";
        char buf[8];
        std::snprintf(buf, sizeof buf, "%x", (p[15 - 2 * g] << 8) | p[14 - 2 * g]);
        out += buf;
    }
    return py::str(out);
}

std::string decimalText(__int128 raw, int scale) {
    bool neg = raw < 0;
    unsigned __int128 u = neg ? -static_cast<unsigned __int128>(raw) : raw;
    std::string digits;
    do { digits.insert(digits.begin(), char('0' + int(u % 10))); u /= 10; } while (u);
    if (scale > 0) {
        if (static_cast<int>(digits.size()) <= scale) digits.insert(0, scale - digits.size() + 1, '0');
        digits.insert(digits.size() - scale, ".");
    }
    return (neg ? "-" : "") + digits;
}

py::object decimalAt(const Column& c, int64_t i) {
    __int128 raw;
    if (c.type() == Type::Decimal32) {
        int32_t v = reinterpret_cast<const int32_t*>(c.data->data())[i];
        if (v == INT32_MIN) return py::none();
        raw = v;
    } else if (c.type() == Type::Decimal64) {
        int64_t v = reinterpret_cast<const int64_t*>(c.data->data())[i];
        if (v == INT64_MIN) return py::none();
        raw = v;
    } else {
        std::memcpy(&raw, c.data->data() + 16 * i, 16);
        if (raw == static_cast<__int128>(static_cast<unsigned __int128>(1) << 127)) return py::none();
    }
    return decimalClass()(decimalText(raw, c.scale));
}

// --------------------------------------------------------------------------------- scalars
py::object scalarAt(const Column& c, int64_t i) {
    Type t = c.type();
    switch (t) {
        case Type::Void: return py::none();
        case Type::Bool: { int8_t v = intAt<int8_t>(c, i); if (v == INT8_MIN) return py::none(); return py::bool_(v != 0); }
        case Type::Char: case Type::Short: case Type::Int: case Type::Long: {
            bool null; int64_t v = integerAt(c, i, &null);
            return null ? py::object(py::none()) : py::object(py::int_(v));
        }
        case Type::Float: {
            float v = reinterpret_cast<const float*>(c.data->data())[i];
            if (v == ddb::kNullFloat || std::isnan(v)) return py::none();
            return py::float_(v);
        }
        case Type::Double: {
            double v = reinterpret_cast<const double*>(c.data->data())[i];
            if (v == ddb::kNullDouble || std::isnan(v)) return py::none();
            return py::float_(v);
        }
        case Type::String: case Type::Symbol: case Type::FunctionDef: case Type::Handle: case Type::Code:
        case Type::DataSource: case Type::Resource: {
            auto s = c.stringAt(i);
            if (s.empty() && c.length == 1 && !c.symbols) return py::none();   // an empty STRING scalar is NULL
            return py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(s.data(), s.size(), "replace"));
        }
        case Type::Blob: { auto s = c.stringAt(i); return py::bytes(s.data(), s.size()); }
        case Type::Uuid: case Type::IpAddr: case Type::Int128: return wideToPython(t, c.data->data() + 16 * i, true);
        case Type::Decimal32: case Type::Decimal64: case Type::Decimal128: return decimalAt(c, i);
        default: break;
    }
    if (isTemporal(t)) {
        bool null; int64_t v = integerAt(c, i, &null);
        if (null) return py::none();
        if (t == Type::Month) v -= 1970 * 12;
        return np().attr("datetime64")(v, temporalUnit(t));
    }
    throw ddb::ConversionError("Not allowed to create a scalar with type " + ddb::typeName(c.rawType));
}

// --------------------------------------------------------------------------------- vectors
py::array objectArray(const Column& c, bool scalarNulls) {
    py::array out = newObjectArray(c.length);
    Type t = c.type();
    if (c.symbols) {   // one Python str per distinct symbol, shared by every row that uses it
        const Column& base = c.symbols->strings;
        std::vector<py::object> cache(base.length);
        for (int64_t k = 0; k < base.length; ++k) {
            auto sv = base.stringAt(k);
            cache[k] = py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(sv.data(), sv.size(), "replace"));
        }
        const int32_t* idx = c.data->as<int32_t>();
        PyObject** slots = static_cast<PyObject**>(out.mutable_data());
        for (int64_t i = 0; i < c.length; ++i) {
            PyObject* o = cache[idx[i]].ptr();
            Py_INCREF(o);
            Py_XDECREF(slots[i]);
            slots[i] = o;
        }
        return out;
    }
    for (int64_t i = 0; i < c.length; ++i) {
        py::object o;
        if (t == Type::Uuid || t == Type::IpAddr || t == Type::Int128) o = wideToPython(t, c.data->data() + 16 * i, false);
        else if (scalarNulls) o = scalarAt(c, i);
        else if (t == Type::String || t == Type::Symbol || t == Type::Blob) o = scalarAt(c, i);
        else o = scalarAt(c, i);
        setObject(out, i, std::move(o));
    }
    return out;
}

py::array vectorArray(const Column& c, bool tableColumn);

py::array temporalArray(const Column& c, bool asNanoseconds) {
    Type t = c.type();
    int64_t n = c.length;
    int width = ddb::fixedWidth(t);
    if (!asNanoseconds && width == 8) {   // TIMESTAMP, NANOTIME(STAMP): nulls are already NaT
        std::string dt = std::string("datetime64[") + temporalUnit(t) + "]";
        return viewBuffer(c.data, py::dtype(dt), n);
    }
    std::string dt = std::string("datetime64[") + (asNanoseconds ? "ns" : temporalUnit(t)) + "]";
    py::array out(py::dtype(dt), std::vector<ssize_t>{n});
    auto* dst = static_cast<int64_t*>(out.mutable_data());
    int64_t scale = asNanoseconds ? nsPerUnit(t) : 1;
    for (int64_t i = 0; i < n; ++i) {
        bool null; int64_t v = integerAt(c, i, &null);
        if (null) { dst[i] = INT64_MIN; continue; }
        if (t == Type::Month) {
            v -= 1970 * 12;
            if (asNanoseconds) {
                // first day of the month, in ns
                int64_t y = 1970 + (v >= 0 ? v / 12 : (v - 11) / 12), m = v - (y - 1970) * 12 + 1;
                int64_t yy = y - (m <= 2), era = (yy >= 0 ? yy : yy - 399) / 400;
                int64_t yoe = yy - era * 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
                int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
                dst[i] = days * 86400000000000LL;
                continue;
            }
        }
        dst[i] = v * scale;
    }
    return out;
}

template <class T>
bool hasNull(const Column& c, T sentinel) {
    const T* p = reinterpret_cast<const T*>(c.data->data());
    for (int64_t i = 0; i < c.length; ++i) if (p[i] == sentinel) return true;
    return false;
}

template <class T>
py::array intArray(const Column& c, T sentinel, const char* dtype) {
    if (!hasNull<T>(c, sentinel)) return viewBuffer(c.data, py::dtype(dtype), c.length);
    py::array_t<double> out(c.length);
    double* dst = out.mutable_data();
    const T* p = reinterpret_cast<const T*>(c.data->data());
    for (int64_t i = 0; i < c.length; ++i) dst[i] = p[i] == sentinel ? NAN : static_cast<double>(p[i]);
    return out;
}

template <class T>
py::array floatArray(const Column& c, T sentinel, const char* dtype) {
    T* p = reinterpret_cast<T*>(c.data->data());
    for (int64_t i = 0; i < c.length; ++i) if (p[i] == sentinel) p[i] = NAN;   // our buffer: fix in place
    return viewBuffer(c.data, py::dtype(dtype), c.length);
}

py::array arrayVector(const Column& c, bool tableColumn) {
    py::array out = newObjectArray(c.length);
    const int64_t* off = c.offsets->as<int64_t>();
    const Column& vals = *c.values;
    int width = ddb::fixedWidth(vals.type());
    for (int64_t i = 0; i < c.length; ++i) {
        Column row;
        row.rawType = vals.rawType;
        row.scale = vals.scale;
        row.length = off[i + 1] - off[i];
        row.data = Buffer::allocate(row.length * std::max(width, 1));
        if (width && row.length) std::memcpy(row.data->data(), vals.data->data() + off[i] * width, row.length * width);
        setObject(out, i, vectorArray(row, false));
    }
    (void)tableColumn;
    return out;
}

py::array vectorArray(const Column& c, bool tableColumn) {
    if (c.isArrayVector()) return arrayVector(c, tableColumn);
    Type t = c.type();
    switch (t) {
        case Type::Bool:
            if (!hasNull<int8_t>(c, INT8_MIN)) return viewBuffer(c.data, py::dtype("bool"), c.length);
            return objectArray(c, true);
        case Type::Char: return intArray<int8_t>(c, INT8_MIN, "int8");
        case Type::Short: return intArray<int16_t>(c, INT16_MIN, "int16");
        case Type::Int: return intArray<int32_t>(c, INT32_MIN, "int32");
        case Type::Long: return intArray<int64_t>(c, INT64_MIN, "int64");
        case Type::Float: return floatArray<float>(c, ddb::kNullFloat, "float32");
        case Type::Double: return floatArray<double>(c, ddb::kNullDouble, "float64");
        case Type::Void: return newObjectArray(c.length);
        default: break;
    }
    if (isTemporal(t)) return temporalArray(c, tableColumn);
    if (t == Type::Any) {
        py::array out = newObjectArray(c.length);
        for (int64_t i = 0; i < c.length; ++i) setObject(out, i, toPython(c.items[i]));
        return out;
    }
    return objectArray(c, false);
}

py::object anyList(const Column& c, const ToPythonOptions& o) {
    py::list out(c.length);
    for (int64_t i = 0; i < c.length; ++i) out[i] = toPython(c.items[i], o);
    return out;
}

py::object columnToPython(const Column& c, const ToPythonOptions& o) {
    if (c.type() == Type::Any && !c.isArrayVector()) return anyList(c, o);
    return vectorArray(c, false);
}

}  // namespace

py::object toPython(const Value& v, const ToPythonOptions& o) {
    switch (v.form) {
        case Form::Scalar: return scalarAt(v.column, 0);
        case Form::Vector: return columnToPython(v.column, o);
        case Form::Pair: {
            py::list out;
            for (int64_t i = 0; i < v.column.length; ++i)
                out.append(v.column.type() == Type::Any ? toPython(v.column.items[i], o) : scalarAt(v.column, i));
            return out;
        }
        case Form::Set: {
            py::set out;
            for (int64_t i = 0; i < v.column.length; ++i) out.add(scalarAt(v.column, i));
            return out;
        }
        case Form::Dictionary: case Form::Chart: {
            py::dict out;
            const Column& vals = *v.dictValues;
            // The official client builds dicts from the last key to the first; match its order.
            for (int64_t i = v.column.length - 1; i >= 0; --i) {
                py::object key = scalarAt(v.column, i);
                out[key] = vals.type() == Type::Any ? toPython(vals.items[i], o) : scalarAt(vals, i);
            }
            return out;
        }
        case Form::Matrix: {
            Type t = v.column.type();
            if (t == Type::Uuid || t == Type::IpAddr || t == Type::Int128)
                throw ddb::ConversionError("Not allowed to create a matrix with type " + ddb::typeName(v.column.rawType));
            py::array flat = vectorArray(v.column, false);
            py::array shaped = flat.attr("reshape")(py::make_tuple(v.cols, v.rows)).attr("T");
            py::object rows = v.rowLabels ? columnToPython(*v.rowLabels, o) : py::object(py::none());
            py::object cols = v.colLabels ? columnToPython(*v.colLabels, o) : py::object(py::none());
            return py::list(py::make_tuple(shaped, rows, cols));
        }
        case Form::Table: {
            if (o.tableToList) {
                py::list out;
                for (const auto& c : v.columns) out.append(vectorArray(c, true));
                return out;
            }
            py::dict data;
            for (size_t i = 0; i < v.columns.size(); ++i) {
                const Column& c = v.columns[i];
                data[py::str(v.columnNames[i])] = vectorArray(c, true);
            }
            return refs().DataFrame(data, py::arg("copy") = false);
        }
        default:
            throw ddb::ConversionError("Data form " + ddb::formName(v.form) + " is not supported");
    }
}

// =============================================================================== fromPython
namespace {

Value scalarValue(Type t, const void* bytes, int width, int scale = 0) {
    Value v;
    v.form = Form::Scalar;
    v.column.rawType = static_cast<uint8_t>(t);
    v.column.length = 1;
    v.column.scale = scale;
    v.column.data = Buffer::allocate(std::max(width, 1));
    if (width) std::memcpy(v.column.data->data(), bytes, width);
    return v;
}

template <class T>
Value scalarOf(Type t, T value, int scale = 0) { return scalarValue(t, &value, sizeof(T), scale); }

Column stringColumn(Type t, const std::vector<std::string>& items) {
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.length = static_cast<int64_t>(items.size());
    c.offsets = Buffer::allocate(sizeof(int64_t) * (items.size() + 1));
    size_t total = 0;
    for (auto& s : items) total += s.size();
    c.data = Buffer::allocate(total);
    int64_t* off = c.offsets->as<int64_t>();
    size_t at = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        off[i] = at;
        std::memcpy(c.data->data() + at, items[i].data(), items[i].size());
        at += items[i].size();
    }
    off[items.size()] = at;
    return c;
}

Value stringScalar(Type t, std::string s) {
    Value v;
    v.form = Form::Scalar;
    v.column = stringColumn(t, {std::move(s)});
    return v;
}

bool isNullish(py::handle o) {
    PyObject* p = o.ptr();
    if (p == Py_None) return true;
    if (PyFloat_Check(p)) return std::isnan(PyFloat_AS_DOUBLE(p));
    if (PyUnicode_Check(p) || PyLong_Check(p) || PyBytes_Check(p)) return false;
    const PyRefs& r = refs();
    if (o.is(r.NaT) || o.is(r.NA)) return true;
    if (py::isinstance(o, r.floating)) return std::isnan(o.cast<double>());
    if (py::isinstance(o, r.datetime64)) return r.isnat(o).cast<bool>();
    return false;
}

Type datetimeUnitType(const std::string& unit) {
    if (unit == "D") return Type::Date;
    if (unit == "M") return Type::Month;
    if (unit == "h") return Type::Datehour;
    if (unit == "m" || unit == "s") return Type::Datetime;
    if (unit == "ms") return Type::Timestamp;
    if (unit == "us" || unit == "ns") return Type::Nanotimestamp;
    throw ddb::ConversionError("Cannot convert datetime64 with unit " + unit);
}

std::string unitOf(py::handle dtype) {
    py::tuple info = np().attr("datetime_data")(dtype);
    return info[0].cast<std::string>();
}

// int64 values of a datetime64 array converted to the DolphinDB type's unit (NaT -> null).
Column temporalColumnFromArray(py::array arr, bool forTable) {
    std::string unit = unitOf(arr.dtype());
    Type t = datetimeUnitType(unit);
    py::array_t<int64_t> raw = arr.attr("view")("int64");
    int64_t n = raw.size();
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.length = n;
    int width = ddb::fixedWidth(t);
    c.data = Buffer::allocate(n * width);
    const int64_t* src = raw.data();
    int64_t div = unit == "us" ? 1 : 1;
    for (int64_t i = 0; i < n; ++i) {
        int64_t v = src[i];
        bool null = v == INT64_MIN;
        if (unit == "us" && !null) v *= 1000;
        if (unit == "m" && !null) v *= 60;
        if (t == Type::Month && !null) v += 1970 * 12;
        if (width == 8) reinterpret_cast<int64_t*>(c.data->data())[i] = null ? INT64_MIN : v / div;
        else reinterpret_cast<int32_t*>(c.data->data())[i] = null ? INT32_MIN : static_cast<int32_t>(v);
    }
    (void)forTable;
    return c;
}

template <class T>
Column fixedColumn(Type t, py::array arr) {
    py::array_t<T, py::array::c_style | py::array::forcecast> a(arr);
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.length = a.size();
    c.data = Buffer::allocate(c.length * sizeof(T));
    std::memcpy(c.data->data(), a.data(), c.length * sizeof(T));
    return c;
}

Column columnFromSequence(py::handle seq, Type* chosen, bool reversed);

Column columnFromArray(py::array arr) {
    char kind = arr.dtype().kind();
    int item = static_cast<int>(arr.itemsize());
    if (kind == 'b') {
        Column c = fixedColumn<int8_t>(Type::Bool, arr.attr("astype")("int8"));
        return c;
    }
    if (kind == 'i') {
        switch (item) {
            case 1: return fixedColumn<int8_t>(Type::Char, arr);
            case 2: return fixedColumn<int16_t>(Type::Short, arr);
            case 4: return fixedColumn<int32_t>(Type::Int, arr);
            default: return fixedColumn<int64_t>(Type::Long, arr);
        }
    }
    if (kind == 'f') {
        if (item == 4) {
            Column c = fixedColumn<float>(Type::Float, arr);
            float* p = c.data->as<float>();
            for (int64_t i = 0; i < c.length; ++i) if (std::isnan(p[i])) p[i] = ddb::kNullFloat;
            return c;
        }
        if (item == 8) {
            Column c = fixedColumn<double>(Type::Double, arr);
            double* p = c.data->as<double>();
            for (int64_t i = 0; i < c.length; ++i) if (std::isnan(p[i])) p[i] = ddb::kNullDouble;
            return c;
        }
    }
    if (kind == 'M') return temporalColumnFromArray(arr, false);
    if (kind == 'U') {
        std::vector<std::string> items;
        for (auto x : arr) items.push_back(py::str(x).cast<std::string>());
        return stringColumn(Type::String, items);
    }
    if (kind == 'S') {
        std::vector<std::string> items;
        for (auto x : arr) items.push_back(x.cast<std::string>());
        return stringColumn(Type::Blob, items);
    }
    if (kind == 'O') {
        Type t;
        return columnFromSequence(arr, &t, false);
    }
    throw ddb::ConversionError("Cannot convert from numpy dtype " + py::str(arr.dtype()).cast<std::string>() + ".");
}

// The DolphinDB type of a Python scalar (VOID for null-ish).
Type pyScalarType(py::handle o) {
    if (PyUnicode_Check(o.ptr())) return Type::String;
    if (isNullish(o)) return Type::Void;
    if (PyBool_Check(o.ptr()) || py::isinstance(o, np().attr("bool_"))) return Type::Bool;
    if (PyLong_Check(o.ptr())) return Type::Long;
    if (PyFloat_Check(o.ptr())) return Type::Double;
    if (PyUnicode_Check(o.ptr())) return Type::String;
    if (PyBytes_Check(o.ptr())) return Type::Blob;
    return Type::Any;
}

Column columnFromSequence(py::handle seq, Type* chosen, bool reversed = false) {
    std::vector<py::handle> items;
    for (auto x : seq) items.push_back(x);
    if (reversed) std::reverse(items.begin(), items.end());   // sets and dicts: the official order
    Type t = Type::Void;
    bool mixed = false;
    for (auto x : items) {
        Type xt = pyScalarType(x);
        if (xt == Type::Any) { mixed = true; break; }
        if (xt == Type::Void) continue;
        if (t == Type::Void) t = xt;
        else if (t != xt) {
            if ((t == Type::Long && xt == Type::Double) || (t == Type::Double && xt == Type::Long)) t = Type::Double;
            else { mixed = true; break; }
        }
    }
    if (items.empty() && !mixed) t = Type::Double;
    if (mixed || t == Type::Void) {
        Column c;
        c.rawType = static_cast<uint8_t>(Type::Any);
        c.length = static_cast<int64_t>(items.size());
        for (auto x : items) c.items.push_back(fromPython(x));
        *chosen = Type::Any;
        return c;
    }
    *chosen = t;
    int64_t n = static_cast<int64_t>(items.size());
    Column c;
    c.rawType = static_cast<uint8_t>(t);
    c.length = n;
    if (t == Type::String || t == Type::Blob) {
        // Two passes over borrowed UTF-8 buffers: sizes, then one copy into the final Buffer.
        std::vector<std::pair<const char*, Py_ssize_t>> views(items.size(), {nullptr, 0});
        size_t total = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            PyObject* p = items[i].ptr();
            if (PyUnicode_Check(p)) {
                views[i].first = PyUnicode_AsUTF8AndSize(p, &views[i].second);
                if (!views[i].first) throw py::error_already_set();
            } else if (PyBytes_Check(p)) {
                char* data;
                PyBytes_AsStringAndSize(p, &data, &views[i].second);
                views[i].first = data;
            }
            total += views[i].second;
        }
        c.offsets = Buffer::allocate(sizeof(int64_t) * (items.size() + 1));
        c.data = Buffer::allocate(total);
        int64_t* off = c.offsets->as<int64_t>();
        size_t at = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            off[i] = at;
            if (views[i].second) std::memcpy(c.data->data() + at, views[i].first, views[i].second);
            at += views[i].second;
        }
        off[items.size()] = at;
        return c;
    }
    c.data = Buffer::allocate(n * ddb::fixedWidth(t));
    for (int64_t i = 0; i < n; ++i) {
        bool null = isNullish(items[i]);
        if (t == Type::Bool) c.data->as<int8_t>()[i] = null ? INT8_MIN : int8_t(items[i].cast<bool>());
        else if (t == Type::Long) c.data->as<int64_t>()[i] = null ? INT64_MIN : items[i].cast<int64_t>();
        else c.data->as<double>()[i] = null ? ddb::kNullDouble : items[i].cast<double>();
    }
    return c;
}

Value vectorValue(Column c) {
    Value v;
    v.form = Form::Vector;
    v.column = std::move(c);
    return v;
}


// ---- forced column types (df.__DolphinDB_Type__ = {col: DT | [DT, scale] | "NAME"}) ----------
int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t monthFromDays(int64_t z) {   // days since 1970-01-01 -> year*12 + month-1
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, m = mp < 10 ? mp + 3 : mp - 9;
    return (y + (m <= 2)) * 12 + m - 1;
}

// Nanoseconds since the epoch of a temporal source value (datetime64 columns arrive as
// NANOTIMESTAMP, TIMESTAMP, DATETIME or DATE depending on their unit).
int64_t toNanoseconds(Type src, int64_t v) {
    switch (src) {
        case Type::Date: return v * 86400000000000LL;
        case Type::Datetime: return v * 1000000000LL;
        case Type::Timestamp: return v * 1000000LL;
        default: return v;
    }
}

int64_t fromNanoseconds(Type target, int64_t ns) {
    constexpr int64_t day = 86400000000000LL;
    switch (target) {
        case Type::Date: return floorDiv(ns, day);
        case Type::Month: return monthFromDays(floorDiv(ns, day));
        case Type::Time: return floorDiv(ns - floorDiv(ns, day) * day, 1000000LL);
        case Type::Minute: return floorDiv(ns - floorDiv(ns, day) * day, 60000000000LL);
        case Type::Second: return floorDiv(ns - floorDiv(ns, day) * day, 1000000000LL);
        case Type::Nanotime: return ns - floorDiv(ns, day) * day;
        case Type::Datetime: return floorDiv(ns, 1000000000LL);
        case Type::Timestamp: return floorDiv(ns, 1000000LL);
        case Type::Datehour: return floorDiv(ns, 3600000000000LL);
        case Type::Dateminute: return floorDiv(ns, 60000000000LL);
        default: return ns;
    }
}

void storeInteger(Column& out, int64_t i, int64_t v, bool null) {
    switch (ddb::fixedWidth(out.type())) {
        case 1: out.data->as<int8_t>()[i] = null ? INT8_MIN : static_cast<int8_t>(v); break;
        case 2: out.data->as<int16_t>()[i] = null ? INT16_MIN : static_cast<int16_t>(v); break;
        case 4: out.data->as<int32_t>()[i] = null ? INT32_MIN : static_cast<int32_t>(v); break;
        default: out.data->as<int64_t>()[i] = null ? INT64_MIN : v; break;
    }
}

Column symbolColumn(const Column& strings) {
    std::vector<std::string> base{""};
    std::unordered_map<std::string_view, int32_t> index{{std::string_view(), 0}};
    Column c;
    c.rawType = static_cast<uint8_t>(Type::Symbol);
    c.length = strings.length;
    c.data = Buffer::allocate(4 * std::max<int64_t>(strings.length, 1));
    std::vector<std::string_view> views;
    for (int64_t i = 0; i < strings.length; ++i) {
        std::string_view s = strings.stringAt(i);
        auto it = index.find(s);
        int32_t k;
        if (it == index.end()) {
            k = static_cast<int32_t>(base.size());
            base.emplace_back(s);
            index.emplace(strings.stringAt(i), k);   // views into `strings`, which outlives the map
        } else {
            k = it->second;
        }
        c.data->as<int32_t>()[i] = k;
    }
    c.symbols = std::make_shared<ddb::SymbolBase>();
    c.symbols->strings = stringColumn(Type::String, base);
    return c;
}

Type typeFromName(const std::string& name);

void forceType(Column& c, Type target, int scale) {
    Type src = c.type();
    if (src == target && !ddb::isDecimal(target)) return;
    int64_t n = c.length;
    if (target == Type::Symbol && (src == Type::String || src == Type::Symbol)) { c = symbolColumn(c); return; }
    if ((target == Type::Blob || target == Type::String) && (src == Type::String || src == Type::Blob)) {
        c.rawType = static_cast<uint8_t>(target);
        return;
    }
    int width = ddb::fixedWidth(target);
    if (width == 0 || width == 16)
        throw ddb::ConversionError("Cannot convert a column of type " + ddb::typeName(c.rawType) + " to " +
                                   ddb::typeName(static_cast<uint8_t>(target)));
    Column out;
    out.rawType = static_cast<uint8_t>(target);
    out.length = n;
    out.scale = scale;
    out.data = Buffer::allocate(std::max<int64_t>(n, 1) * width);
    bool srcFloat = src == Type::Double || src == Type::Float;
    for (int64_t i = 0; i < n; ++i) {
        bool null = false;
        double d = 0;
        int64_t v = 0;
        if (srcFloat) {
            d = src == Type::Double ? c.data->as<double>()[i] : c.data->as<float>()[i];
            null = std::isnan(d) || d == ddb::kNullDouble || (src == Type::Float && d == ddb::kNullFloat);
            v = null ? 0 : static_cast<int64_t>(d);
        } else if (ddb::fixedWidth(src) && ddb::fixedWidth(src) <= 8) {
            v = integerAt(c, i, &null);
            d = static_cast<double>(v);
        } else {
            throw ddb::ConversionError("Cannot convert a column of type " + ddb::typeName(c.rawType) + " to " +
                                       ddb::typeName(static_cast<uint8_t>(target)));
        }
        if (target == Type::Double) { out.data->as<double>()[i] = null ? ddb::kNullDouble : d; continue; }
        if (target == Type::Float) { out.data->as<float>()[i] = null ? ddb::kNullFloat : static_cast<float>(d); continue; }
        if (ddb::isDecimal(target)) {
            double p = std::pow(10.0, scale);
            storeInteger(out, i, static_cast<int64_t>(std::llround(d * p)), null);
            continue;
        }
        if (isTemporal(target) && isTemporal(src)) v = fromNanoseconds(target, toNanoseconds(src, v));
        storeInteger(out, i, v, null);
    }
    c = std::move(out);
}

// The DolphinDB type (and decimal scale) a __DolphinDB_Type__ entry asks for.
std::pair<Type, int> forcedType(py::handle spec) {
    if (PyLong_Check(spec.ptr())) return {static_cast<Type>(spec.cast<int>()), 0};
    if (PyUnicode_Check(spec.ptr())) return {typeFromName(spec.cast<std::string>()), 0};
    if (PyList_Check(spec.ptr()) || PyTuple_Check(spec.ptr())) {
        py::sequence seq = py::reinterpret_borrow<py::sequence>(spec);
        if (py::len(seq) == 2) return {static_cast<Type>(seq[0].cast<int>()), seq[1].cast<int>()};
    }
    throw ddb::ConversionError("A forced column type must be a DT code, [DT, scale] or a type name");
}

Type typeFromName(const std::string& name) {
    for (int t = 0; t <= 41; ++t)
        if (ddb::typeName(static_cast<uint8_t>(t)) == name) return static_cast<Type>(t);
    throw ddb::ConversionError("Unknown DolphinDB type name " + name);
}

Value tableFromFrame(py::handle df) {
    Value v;
    v.form = Form::Table;
    py::object columns = df.attr("columns");
    // Forced types are an attribute users set on the frame (as with the official client).
    py::object forced = py::getattr(df, "__DolphinDB_Type__", py::none());
    if (!forced.is_none() && !PyDict_Check(forced.ptr()))
        throw ddb::ConversionError("__DolphinDB_Type__ must be a dict of column name -> type");
    for (auto name : columns) {
        if (!PyUnicode_Check(name.ptr())) throw ddb::ConversionError("DataFrame column names must be strings.");
        py::object series = df.attr("__getitem__")(name);
        py::object values = series.attr("to_numpy")();
        py::array arr = values;
        Column c;
        if (arr.dtype().kind() == 'M') c = temporalColumnFromArray(arr, true);
        else c = columnFromArray(arr);
        if (!forced.is_none() && forced.contains(name)) {
            auto [t, scale] = forcedType(forced[name]);
            forceType(c, t, scale);
        }
        v.columnNames.push_back(name.cast<std::string>());
        v.columns.push_back(std::move(c));
    }
    v.rows = v.columns.empty() ? 0 : static_cast<int32_t>(v.columns[0].length);
    v.cols = static_cast<int32_t>(v.columns.size());
    return v;
}

}  // namespace

Value fromPython(py::handle o) {
    const PyRefs& r = refs();
    if (o.is(r.NaT)) return scalarOf<int64_t>(Type::Nanotimestamp, INT64_MIN);
    if (o.is_none() || o.is(r.NA)) {
        Value v = scalarValue(Type::Void, nullptr, 0);
        v.column.data = Buffer::allocate(1);
        v.column.data->data()[0] = 0;
        return v;
    }
    if (PyBool_Check(o.ptr())) return scalarOf<int8_t>(Type::Bool, o.ptr() == Py_True ? 1 : 0);
    if (PyLong_Check(o.ptr())) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(o.ptr(), &overflow);
        if (overflow) throw ddb::ConversionError("Python int out of the LONG range");
        return scalarOf<int64_t>(Type::Long, x);
    }
    if (PyFloat_Check(o.ptr())) {
        double d = PyFloat_AsDouble(o.ptr());
        return scalarOf<double>(Type::Double, std::isnan(d) ? ddb::kNullDouble : d);
    }
    if (PyUnicode_Check(o.ptr())) return stringScalar(Type::String, o.cast<std::string>());
    if (PyBytes_Check(o.ptr())) return stringScalar(Type::Blob, o.cast<std::string>());
    if (py::isinstance(o, r.DataFrame)) return tableFromFrame(o);
    if (py::isinstance(o, r.Series)) return vectorValue(columnFromArray(o.attr("to_numpy")()));
    if (py::isinstance(o, np().attr("generic"))) {
        py::array a = np().attr("asarray")(o).attr("reshape")(1);
        Value v = vectorValue(columnFromArray(a));
        v.form = Form::Scalar;
        return v;
    }
    if (py::isinstance(o, r.Timestamp) || py::isinstance(o, r.datetime.attr("datetime"))) {
        py::object ts = r.Timestamp(o);
        return scalarOf<int64_t>(Type::Timestamp, ts.attr("value").cast<int64_t>() / 1000000);
    }
    if (py::isinstance(o, r.datetime.attr("date"))) {
        int64_t days = np().attr("datetime64")(o, "D").attr("astype")("int64").cast<int64_t>();
        return scalarOf<int32_t>(Type::Date, static_cast<int32_t>(days));
    }
    if (py::isinstance(o, r.Decimal)) {
        py::tuple t = o.attr("as_tuple")();
        int exp = t[2].cast<int>();
        int scale = exp < 0 ? -exp : 0;
        py::object raw = o.attr("scaleb")(scale).attr("to_integral_value")();
        return scalarOf<int64_t>(Type::Decimal64, py::int_(raw).cast<int64_t>(), scale);
    }
    if (py::isinstance<py::array>(o)) {
        py::array a = py::reinterpret_borrow<py::array>(o);
        if (a.ndim() == 2) {
            Value v;
            v.form = Form::Matrix;
            v.rows = static_cast<int32_t>(a.shape(0));
            v.cols = static_cast<int32_t>(a.shape(1));
            v.column = columnFromArray(a.attr("T").attr("reshape")(-1));
            return v;
        }
        return vectorValue(columnFromArray(a));
    }
    if (PyList_Check(o.ptr()) || PyTuple_Check(o.ptr())) {
        Type t;
        return vectorValue(columnFromSequence(o, &t, false));
    }
    if (PySet_Check(o.ptr())) {
        Type t;
        Value v = vectorValue(columnFromSequence(o, &t, true));
        if (t == Type::Any) throw ddb::ConversionError("Cannot create a Set containing only null elements.");
        v.form = Form::Set;
        return v;
    }
    if (PyDict_Check(o.ptr())) {
        if (py::len(o) == 0) throw ddb::ConversionError("Empty Dictionary creation requires a specific type.");
        Type kt, vt;
        Value v;
        v.form = Form::Dictionary;
        v.column = columnFromSequence(o.attr("keys")(), &kt, true);
        v.dictValues = std::make_shared<Column>(columnFromSequence(o.attr("values")(), &vt, true));
        return v;
    }
    throw ddb::ConversionError("Cannot convert " + py::str(py::type::of(o).attr("__name__")).cast<std::string>() +
                               " to a DolphinDB object.");
}

}  // namespace ddbpy
