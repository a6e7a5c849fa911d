// Python object -> ddb::Value (OFFICIAL_API.md §4.4): scalars, lists/tuples, sets, dicts, and
// the dispatch to the numpy (from_numpy.cpp) and pandas (from_pandas.cpp) paths.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "convert/build.h"
#include "protocol/temporal.h"
#include "writers_binding.h"
#include "convert/text.h"
#include "convert/upload.h"

#include <datetime.h>   // after Python.h (via pybind11)

namespace ddbpy {
namespace up {

namespace {

const char* kIntCastError =
    "Unable to cast Python instance of type <class 'int'> to C++ type '?' (#define "
    "PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for details)";

struct Cached {
    py::object pdNA, pdNaT, Timestamp, Decimal, ndarray, generic;
};
Cached& cached() {
    static Cached* c = [] {
        if (!PyDateTimeAPI) PyDateTime_IMPORT;
        auto* k = new Cached;
        k->pdNA = pyc::pandas().attr("NA");
        k->pdNaT = pyc::pandas().attr("NaT");
        k->Timestamp = pyc::pandas().attr("Timestamp");
        k->Decimal = pyc::decimalType();
        k->ndarray = pyc::numpy().attr("ndarray");
        k->generic = pyc::numpy().attr("generic");
        return k;
    }();
    return *c;
}

bool isInstance(PyObject* o, const py::object& cls) {
    int r = PyObject_IsInstance(o, cls.ptr());
    if (r < 0) throw py::error_already_set();
    return r == 1;
}

bool isDecimal(PyObject* o) { return isInstance(o, cached().Decimal); }
bool isNumpyScalar(PyObject* o) { return isInstance(o, cached().generic); }
bool isTimeOfDay(Type t) { return t == Type::Time || t == Type::Minute || t == Type::Second || t == Type::Nanotime; }
// A Python int (not a bool) or a numpy integer scalar.
bool isInteger(PyObject* o) {
    if (PyLong_Check(o)) return !PyBool_Check(o);
    char kind = numpyKind(o);
    return kind == 'i' || kind == 'u';
}

int64_t asInt64(PyObject* o) {
    if (PyFloat_Check(o)) return static_cast<int64_t>(PyFloat_AsDouble(o));
    if (numpyKind(o) == 'b') return PyObject_IsTrue(o);   // numpy bools have no __index__
    if (isDecimal(o)) {   // truncated toward zero, as the official client does
        py::object whole = py::reinterpret_steal<py::object>(PyNumber_Long(o));
        if (!whole) throw py::error_already_set();
        return asInt64(whole.ptr());
    }
    py::object idx = py::reinterpret_steal<py::object>(PyNumber_Index(o));
    if (!idx) {
        PyErr_Clear();
        throw ddb::ConversionError("Cannot convert " + typeNameOf(o) + " to an integer.");
    }
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
    if (overflow) throw ddb::ConversionError(kIntCastError);
    return v;
}

Value voidScalar() {
    Column c;
    c.rawType = static_cast<uint8_t>(Type::Void);
    c.length = 1;
    return build::scalar(std::move(c));
}

template <class T>
Value fixedScalar(Type t, T v, int scale = 0) {
    Column c = build::fixed(t, 1, scale);
    std::memcpy(c.data->data(), &v, sizeof v);
    return build::scalar(std::move(c));
}

Value textScalar(Type t, std::string_view s) {
    build::Text b(t, 1);
    b.add(s);
    return build::scalar(b.take());
}

// "str", "int" ...: the type name the official messages use.
std::string typeNameShort(PyObject* o) { return Py_TYPE(o)->tp_name; }

[[noreturn]] void unsupported(PyObject* o) {
    throw ddb::ConversionError("Cannot convert " + typeNameOf(o) + " to Scalar as it is an unsupported python type.");
}

}   // namespace

char numpyKind(PyObject* o) { return isNumpyScalar(o) ? py::handle(o).attr("dtype").attr("kind").cast<char>() : 0; }

std::string utf8(PyObject* o) {
    if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char* s = PyUnicode_AsUTF8AndSize(o, &n);
        if (!s) throw py::error_already_set();
        return std::string(s, static_cast<size_t>(n));
    }
    if (PyBytes_Check(o)) return std::string(PyBytes_AS_STRING(o), static_cast<size_t>(PyBytes_GET_SIZE(o)));
    return py::str(o).cast<std::string>();
}

// A Python or numpy float that is +-inf.
bool isInfinity(PyObject* o) {
    if (!PyFloat_Check(o) && numpyKind(o) != 'f') return false;
    double d = PyFloat_AsDouble(o);
    if (PyErr_Occurred()) throw py::error_already_set();
    return std::isinf(d);
}

std::string typeNameOf(py::handle o) { return py::repr(py::type::handle_of(o)).cast<std::string>(); }

bool isNull(PyObject* o) {
    if (o == Py_None) return true;
    if (PyFloat_Check(o)) return !std::isfinite(PyFloat_AS_DOUBLE(o));   // the official: NaN and +-inf are NULL
    if (PyLong_Check(o) || PyUnicode_Check(o) || PyBytes_Check(o)) return false;
    auto& k = cached();
    if (o == k.pdNA.ptr() || o == k.pdNaT.ptr()) return true;
    if (isNumpyScalar(o)) {
        char kind = py::handle(o).attr("dtype").attr("kind").cast<char>();
        if (kind == 'f') return !std::isfinite(PyFloat_AsDouble(o));
        if (kind == 'M') return pyc::numpy().attr("isnat")(py::handle(o)).cast<bool>();
        return false;
    }
    if (isDecimal(o)) return decimalIsNull(o);
    return false;
}

Elem classify(PyObject* o) {
    Elem e;
    if (o == Py_None) return e;
    if (PyBool_Check(o)) return {Elem::Typed, Type::Bool, 0};
    if (PyLong_Check(o)) return {Elem::Typed, Type::Long, 0};
    if (PyFloat_Check(o)) {
        if (!std::isfinite(PyFloat_AS_DOUBLE(o))) return {Elem::Null, Type::Double, 0};
        return {Elem::Typed, Type::Double, 0};
    }
    if (PyUnicode_Check(o)) return {Elem::Typed, Type::String, 0};
    if (PyBytes_Check(o)) return {Elem::Typed, Type::Blob, 0};
    auto& k = cached();
    if (o == k.pdNA.ptr()) return e;
    if (o == k.pdNaT.ptr()) return {Elem::Null, Type::Nanotimestamp, 0};
    if (isNumpyScalar(o)) {
        py::dtype dt = py::handle(o).attr("dtype");
        char kind = dt.kind();
        int size = static_cast<int>(dt.itemsize());
        if (kind == 'b') return {Elem::Typed, Type::Bool, 0};
        if (kind == 'i') {
            Type t = size == 1 ? Type::Char : size == 2 ? Type::Short : size == 4 ? Type::Int : Type::Long;
            return {Elem::Typed, t, 0};
        }
        if (kind == 'f' && (size == 4 || size == 8)) {
            Type t = size == 4 ? Type::Float : Type::Double;
            return {std::isfinite(PyFloat_AsDouble(o)) ? Elem::Typed : Elem::Null, t, 0};
        }
        if (kind == 'M') {
            if (pyc::numpy().attr("isnat")(py::handle(o)).cast<bool>()) return {Elem::Null, Type::Nanotimestamp, 0};
            std::string unit = datetimeUnit(dt);
            return {Elem::Typed, typeOfDatetimeUnit(unit), 0};
        }
        return {Elem::Unknown, Type::Any, 0};
    }
    if (isDecimal(o)) {
        if (decimalIsNull(o)) return {Elem::Null, Type::Decimal64, 0};
        DecimalChoice d = decimalChoice(o);
        return {Elem::Typed, d.type, d.scale};
    }
    if (PyDateTime_Check(o)) return {Elem::Typed, Type::Timestamp, 0};
    if (PyDate_Check(o)) return {Elem::Typed, Type::Date, 0};
    if (PyTime_Check(o)) return {Elem::Typed, Type::Nanotime, 0};
    if (PyList_Check(o) || PyTuple_Check(o) || PyDict_Check(o) || PyAnySet_Check(o) || isNdarray(o) ||
        isPandasObject(o, "Series"))
        return {Elem::Nested, Type::Any, 0};
    return {Elem::Unknown, Type::Any, 0};
}

namespace {
int numericRank(Type t) {
    switch (t) {
        case Type::Char: return 1;
        case Type::Short: return 2;
        case Type::Int: return 3;
        case Type::Long: return 4;
        case Type::Float: return 5;
        case Type::Double: return 6;
        default: return 0;
    }
}
}   // namespace

Scan scan(const std::vector<PyObject*>& items, bool widenDecimals) {
    Scan s;
    Type weak = Type::Void;
    int weakScale = 0;
    for (PyObject* o : items) {
        Elem e = classify(o);
        switch (e.cls) {
            case Elem::Null:
                if (weak == Type::Void) weak = e.type, weakScale = e.scale;
                continue;
            case Elem::Nested:
                s.nested = true;
                s.any = true;
                continue;
            case Elem::Unknown: s.any = true; continue;
            case Elem::Typed: break;
        }
        s.allNull = false;
        if (s.type == Type::Void) {
            s.type = e.type;
            s.scale = e.scale;
            continue;
        }
        if (s.type == e.type) {
            s.scale = std::max(s.scale, e.scale);
            continue;
        }
        int a = numericRank(s.type), b = numericRank(e.type);
        if (a && b) {
            s.type = a >= b ? s.type : e.type;
        } else if (widenDecimals && ddb::isDecimal(s.type) && ddb::isDecimal(e.type)) {
            s.type = Type::Decimal128;
            s.scale = std::max(s.scale, e.scale);
        } else {
            s.any = true;
        }
    }
    if (s.type == Type::Void && !s.any) s.type = weak, s.scale = weakScale;
    return s;
}

std::vector<PyObject*> itemsOf(py::handle seq) {
    std::vector<PyObject*> out;
    if (PyList_Check(seq.ptr()) || PyTuple_Check(seq.ptr())) {
        PyObject* fast = seq.ptr();
        Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
        PyObject** p = PySequence_Fast_ITEMS(fast);
        out.assign(p, p + n);
        return out;
    }
    throw ddb::ConversionError("internal: itemsOf needs a list or tuple");
}

Column anyColumn(const std::vector<PyObject*>& items) {
    Column c;
    c.rawType = static_cast<uint8_t>(Type::Any);
    c.length = static_cast<int64_t>(items.size());
    c.items.reserve(items.size());
    for (PyObject* o : items) c.items.push_back(fromPython(o));
    return c;
}

// Python datetime objects -> the int value of temporal type t.
namespace {
using ddb::civilFromDays;
using ddb::daysFromCivil;
using ddb::floorDiv;
using ddb::kNsPerDay;
int64_t fromNanos(__int128 ns, Type t) { return ddb::temporalFromNanos(ns, t); }

__int128 unitNanos(const std::string& unit, int64_t count, bool* ok) {
    *ok = true;
    if (unit == "ns") return count;
    if (unit == "us") return static_cast<__int128>(count) * 1000;
    if (unit == "ms") return static_cast<__int128>(count) * 1000000;
    if (unit == "s") return static_cast<__int128>(count) * 1000000000LL;
    if (unit == "m") return static_cast<__int128>(count) * 60000000000LL;
    if (unit == "h") return static_cast<__int128>(count) * 3600000000000LL;
    if (unit == "D") return static_cast<__int128>(count) * kNsPerDay;
    if (unit == "W") return static_cast<__int128>(count) * 7 * kNsPerDay;
    if (unit == "M") {
        int64_t y = 1970 + (count >= 0 ? count / 12 : (count - 11) / 12);
        int64_t m = count - (y - 1970) * 12 + 1;
        return static_cast<__int128>(daysFromCivil(y, m, 1)) * kNsPerDay;
    }
    if (unit == "Y") return static_cast<__int128>(daysFromCivil(1970 + count, 1, 1)) * kNsPerDay;
    *ok = false;
    return 0;
}
}   // namespace

Type typeOfDatetimeUnit(const std::string& unit) {
    if (unit == "D") return Type::Date;
    if (unit == "M") return Type::Month;
    if (unit == "h") return Type::Datehour;
    if (unit == "m" || unit == "s") return Type::Datetime;
    if (unit == "ms") return Type::Timestamp;
    if (unit == "us" || unit == "ns") return Type::Nanotimestamp;
    throw ddb::ConversionError("Cannot convert from numpy dtype datetime64[" + unit + "].");
}

void convertTemporal(const int64_t* src, int64_t n, const std::string& unit, Type t, Column& out) {
    const ddb::TypeInfo& info = ddb::typeInfo(t);
    int w = info.width;
    // Counts of t's own unit since the epoch are t's values already.
    bool same = info.temporal == ddb::TemporalKind::Dated && info.numpyUnit == unit;
    for (int64_t i = 0; i < n; ++i) {
        int64_t v = src[i];
        int64_t r;
        if (v == INT64_MIN) {
            r = w == 8 ? ddb::kNullLong : ddb::kNullInt;
        } else if (same) {
            r = v;
        } else if (unit == "M" && t == Type::Month) {
            r = v + 1970 * 12;
        } else {
            bool ok;
            __int128 ns = unitNanos(unit, v, &ok);
            if (!ok) throw ddb::ConversionError("Cannot convert from numpy dtype datetime64[" + unit + "].");
            r = fromNanos(ns, t);
        }
        if (w == 8) out.data->as<int64_t>()[i] = r;
        else out.data->as<int32_t>()[i] = static_cast<int32_t>(r);
    }
}

bool temporalValue(PyObject* o, Type t, int64_t* out) {
    __int128 ns;
    if (isNumpyScalar(o)) {
        py::handle h(o);
        py::dtype dt = h.attr("dtype");
        if (dt.kind() != 'M') return false;
        std::string unit = datetimeUnit(dt);
        int64_t count = h.attr("astype")("int64").cast<int64_t>();
        if (unit == "M" && t == Type::Month) {
            *out = count + 1970 * 12;
            return true;
        }
        bool ok;
        ns = unitNanos(unit, count, &ok);
        if (!ok)
            throw ddb::ConversionError("Cannot convert datetime64[" + unit + "] to Scalar as it is an unsupported numpy dtype.");
    } else if (PyDateTime_Check(o)) {
        if (isInstance(o, cached().Timestamp)) {
            ns = py::handle(o).attr("value").cast<int64_t>();
        } else {
            int64_t days = daysFromCivil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o));
            int64_t secs =
                PyDateTime_DATE_GET_HOUR(o) * 3600 + PyDateTime_DATE_GET_MINUTE(o) * 60 + PyDateTime_DATE_GET_SECOND(o);
            ns = static_cast<__int128>(days) * kNsPerDay + static_cast<__int128>(secs) * 1000000000LL +
                PyDateTime_DATE_GET_MICROSECOND(o) * 1000LL;
        }
    } else if (PyDate_Check(o)) {
        ns = static_cast<__int128>(daysFromCivil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o))) *
            kNsPerDay;
    } else if (PyTime_Check(o)) {
        int64_t secs = PyDateTime_TIME_GET_HOUR(o) * 3600 + PyDateTime_TIME_GET_MINUTE(o) * 60 + PyDateTime_TIME_GET_SECOND(o);
        ns = static_cast<__int128>(secs) * 1000000000LL + PyDateTime_TIME_GET_MICROSECOND(o) * 1000LL;
    } else {
        return false;
    }
    *out = fromNanos(ns, t);
    return true;
}

Column columnOf(const std::vector<PyObject*>& items, Type t, int scale, Infinities infinities) {
    int64_t n = static_cast<int64_t>(items.size());
    if (t == Type::String || t == Type::Symbol || t == Type::Blob) {
        build::Text b(t, n);
        for (PyObject* o : items) {
            if (isNull(o)) b.add({});
            else b.add(utf8(o));
        }
        return b.take();
    }
    if (t == Type::Any) return anyColumn(items);
    if (ddb::isDecimal(t)) return decimalColumn(items, t, scale);
    if (t == Type::Void) {
        Column c;
        c.rawType = static_cast<uint8_t>(Type::Void);
        c.length = n;
        return c;
    }
    int w = ddb::fixedWidth(t);
    if (w == 0) throw ddb::ConversionError("Cannot create a vector of type " + ddb::typeName(static_cast<uint8_t>(t)) + ".");
    Column c = build::fixed(t, n, ddb::isDecimal(t) ? scale : 0);
    uint8_t* base = c.data->data();
    for (int64_t i = 0; i < n; ++i) {
        PyObject* o = items[i];
        bool null = isNull(o);
        if (null && infinities == Infinities::Kept && (t == Type::Float || t == Type::Double)) null = !isInfinity(o);
        uint8_t* p = base + i * w;
        switch (t) {
            case Type::Bool:
            case Type::Char: {
                if (t == Type::Bool && !null && isInteger(o)) null = asInt64(o) == ddb::kNullChar;
                int8_t v = null       ? ddb::kNullChar
                    : t == Type::Bool ? static_cast<int8_t>(PyObject_IsTrue(o) == 1)
                                      : static_cast<int8_t>(asInt64(o));
                std::memcpy(p, &v, 1);
                break;
            }
            case Type::Short: {
                int16_t v = null ? ddb::kNullShort : static_cast<int16_t>(asInt64(o));
                std::memcpy(p, &v, 2);
                break;
            }
            case Type::Int: {
                int32_t v = null ? ddb::kNullInt : static_cast<int32_t>(asInt64(o));
                std::memcpy(p, &v, 4);
                break;
            }
            case Type::Long: {
                int64_t v = null ? ddb::kNullLong : asInt64(o);
                std::memcpy(p, &v, 8);
                break;
            }
            case Type::Float: {
                float v = null ? ddb::kNullFloat : static_cast<float>(PyFloat_AsDouble(o));
                if (PyErr_Occurred()) throw py::error_already_set();
                std::memcpy(p, &v, 4);
                break;
            }
            case Type::Double: {
                double v = null ? ddb::kNullDouble : PyFloat_AsDouble(o);
                if (PyErr_Occurred()) throw py::error_already_set();
                std::memcpy(p, &v, 8);
                break;
            }
            case Type::Uuid:
            case Type::IpAddr:
            case Type::Int128: {
                std::string s = null ? std::string() : utf8(o);
                if (!text::parseWide(t, s, p))
                    throw BadCell(py::str(o).cast<std::string>(), i, ddb::typeName(static_cast<uint8_t>(t)), typeNameShort(o));
                break;
            }
            default: {
                int64_t v;
                if (null) v = w == 8 ? ddb::kNullLong : ddb::kNullInt;
                else if (temporalValue(o, t, &v)) {
                } else if (isInteger(o)) {
                    v = temporalCount(t, asInt64(o), i);
                } else {
                    throw ddb::ConversionError("Cannot convert " + typeNameOf(o) + " to " +
                                               ddb::typeName(static_cast<uint8_t>(t)) + ".");
                }
                if (w == 8) std::memcpy(p, &v, 8);
                else {
                    int32_t x = static_cast<int32_t>(v);
                    std::memcpy(p, &x, 4);
                }
                break;
            }
        }
    }
    return c;
}

int64_t temporalCount(Type t, __int128 count, int64_t row) {
    bool fits = ddb::fixedWidth(t) == 8 ? count == static_cast<int64_t>(count) : count == static_cast<int32_t>(count);
    if (fits) return static_cast<int64_t>(count);
    if (count == ddb::kNullLong) return ddb::kNullInt;
    throw ddb::ConversionError("The value " + text::decimal(count, 0) + " (row " + std::to_string(row) +
                               ") is out of the range of " + ddb::typeName(static_cast<uint8_t>(t)) + ".");
}

Column sequenceColumn(const std::vector<PyObject*>& items, Infinities infinities) {
    if (items.empty()) return build::fixed(Type::Double, 0);
    Scan s = scan(items);
    if (s.any || s.type == Type::Void) return anyColumn(items);
    if (ddb::isDecimal(s.type)) return decimalColumnWidening(items, s.type, s.scale);
    return columnOf(items, s.type, s.scale, infinities);
}

bool forcedCellAccepted(PyObject* o, Type t, bool numbersAsDecimal, bool arrayElement) {
    if (t == Type::String || t == Type::Symbol || t == Type::Any || isNull(o)) return true;
    if (t == Type::Blob) return PyUnicode_Check(o) || PyBytes_Check(o);
    if (t == Type::Uuid || t == Type::IpAddr || t == Type::Int128) return PyUnicode_Check(o);
    bool decimal = isDecimal(o);
    char kind = numpyKind(o);
    bool integer = isInteger(o);
    if (ddb::isDecimal(t)) {
        // Numbers and decimal text (str / bytes, numpy's too), as the official client takes them.
        bool numberOrText = integer || PyFloat_Check(o) || kind == 'f' || PyUnicode_Check(o) || PyBytes_Check(o);
        return decimal || (numbersAsDecimal && numberOrText);
    }
    bool boolean = PyBool_Check(o) || kind == 'b';
    switch (t) {
        case Type::Bool:
            // An integer becomes a BOOL through CHAR, as in the official client: it must fit
            // one (and CHAR's NULL, -128, is a NULL BOOL).
            if (integer && !arrayElement) {
                int overflow = 0;
                py::object idx = py::reinterpret_steal<py::object>(PyNumber_Index(o));
                if (!idx) throw py::error_already_set();
                long long v = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
                return overflow == 0 && v >= std::numeric_limits<int8_t>::min() && v <= std::numeric_limits<int8_t>::max();
            }
            return integer || boolean || (decimal && !arrayElement);
        case Type::Char:
        case Type::Short:
        case Type::Int:
        case Type::Long: return integer || (!arrayElement && (boolean || decimal));
        case Type::Float:
        case Type::Double: return integer || decimal || PyFloat_Check(o) || kind == 'f' || (!arrayElement && boolean);
        default:   // the temporal types; a time of day is not taken from a datetime64 of whole days
            if (kind == 'M' && isTimeOfDay(t))
                return datetimeUnit(py::handle(o).attr("dtype")).find_first_of("YMWD") == std::string::npos;
            return integer || kind == 'M' || PyDateTime_Check(o) || PyDate_Check(o) || PyTime_Check(o);
    }
}

Column forcedColumn(const std::vector<PyObject*>& items, const TypeSpec& spec, ForcedSource source) {
    uint8_t raw = static_cast<uint8_t>(spec.type);
    if (ddb::isArrayType(raw)) return arrayVectorFromCells(items, spec);
    Type t = static_cast<Type>(raw);
    bool numericTarget =
        ddb::fixedWidth(t) > 0 && !ddb::isDecimal(t) && t != Type::Uuid && t != Type::IpAddr && t != Type::Int128;
    // Numbers become a DECIMAL given its scale, except from the cells of an object column.
    bool numbersAsDecimal = spec.scale >= 0 && source != ForcedSource::Cells;
    if (!(source == ForcedSource::TypedArray && numericTarget)) {
        for (size_t i = 0; i < items.size(); ++i)
            if (!forcedCellAccepted(items[i], t, numbersAsDecimal, false))
                throw BadCell(py::str(items[i]).cast<std::string>(), static_cast<int64_t>(i), ddb::typeName(raw),
                              typeNameShort(items[i]));
    }
    int scale = spec.scale;
    if (ddb::isDecimal(t) && scale < 0) {
        scale = 0;
        for (PyObject* o : items) scale = std::max(scale, decimalScaleOf(o));
    }
    return columnOf(items, t, scale, source == ForcedSource::Cells ? Infinities::Kept : Infinities::Null);
}

Column tableObjectColumn(const std::vector<PyObject*>& items) {
    if (items.empty()) return build::fixed(Type::Double, 0);
    Scan s = scan(items, /*widenDecimals=*/true);
    if (s.nested) return arrayVectorFromCells(items, TypeSpec{});   // list / ndarray cells
    if (s.any) throw ddb::ConversionError("Cannot create an ArrayVector with mixing incompatible types.");
    Type t = s.type == Type::Void ? Type::String : s.type;   // an all-None column is STRING
    if (ddb::isDecimal(t)) return decimalColumnWidening(items, t, s.scale);
    return columnOf(items, t, s.scale, Infinities::Kept);
}

}   // namespace up

using namespace up;

namespace {

Value setValue(py::handle obj, const TypeSpec& spec) {
    std::vector<PyObject*> items;
    for (auto x : obj) items.push_back(x.ptr());
    std::reverse(items.begin(), items.end());   // the official element order
    Scan s = scan(items);
    Type t = spec.forced() ? static_cast<Type>(spec.type) : s.type;
    if (!spec.forced()) {
        if (s.allNull) throw ddb::ConversionError("Cannot create a Set containing only null elements.");
        if (s.any) throw ddb::ConversionError("Cannot create a Set with mixing incompatible types.");
        if (ddb::isDecimal(t))
            throw ddb::ConversionError("Cannot create a Set with data type " + ddb::typeName(static_cast<uint8_t>(t)) + ".");
    }
    // Nulls collapse into one (None, NaN, '' ...), the first in that order.
    std::vector<PyObject*> kept;
    bool sawNull = false;
    bool text = t == Type::String || t == Type::Symbol || t == Type::Blob;
    for (PyObject* o : items) {
        bool null = isNull(o) || (text && (PyUnicode_Check(o) || PyBytes_Check(o)) && PyObject_Length(o) == 0);
        if (null) {
            if (sawNull) continue;
            sawNull = true;
        }
        kept.push_back(o);
    }
    return build::vector(columnOf(kept, t, spec.forced() ? spec.scale : s.scale), ddb::Form::Set);
}

// The rows of a fixed-width column as an ANY column of scalars.
Column scalarsOf(const Column& typed) {
    const int width = ddb::fixedWidth(typed.type());
    Column any;
    any.rawType = static_cast<uint8_t>(Type::Any);
    any.length = typed.length;
    for (int64_t i = 0; i < typed.length; ++i) {
        Column one = build::fixed(typed.type(), 1, typed.scale);
        std::memcpy(one.data->data(), typed.data->data() + i * width, static_cast<size_t>(width));
        any.items.push_back(build::scalar(std::move(one)));
    }
    return any;
}

Value dictValue(py::handle obj, const TypeSpec& keyType, const TypeSpec& valueType) {
    if (py::len(obj) == 0) throw ddb::ConversionError("Empty Dictionary creation requires a specific type.");
    std::vector<PyObject*> keys, values;
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(obj.ptr(), &pos, &k, &v)) {
        keys.push_back(k);
        values.push_back(v);
    }
    std::reverse(keys.begin(), keys.end());
    std::reverse(values.begin(), values.end());
    Value out;
    out.form = ddb::Form::Dictionary;
    // Decimal values are scalars of an ANY dictionary (unforced, each keeps its own scale), as the
    // official client sends them.
    Column dictValues;
    if (valueType.forced()) {
        dictValues = forcedColumn(values, valueType);
        if (ddb::isDecimal(dictValues.type())) dictValues = scalarsOf(dictValues);
    } else if (Scan vs = scan(values); ddb::isDecimal(vs.type) && !vs.any) dictValues = anyColumn(values);
    else dictValues = sequenceColumn(values);
    out.dictValues = std::make_shared<Column>(std::move(dictValues));
    if (keyType.forced()) {
        out.column = forcedColumn(keys, keyType);
        if (out.column.type() == Type::Bool) throw ddb::ConversionError("Not allowed to create Dictionary for the key type BOOL");
        return out;
    }
    Scan ks = scan(keys);
    if (ks.nested) throw ddb::ConversionError("Vector creation requires a specific type.");
    if (ks.any) throw ddb::ConversionError("Cannot create a Dictionary key with mixing incompatible types.");
    if (ks.allNull) throw ddb::ConversionError("Cannot create a Dictionary key containing only null elements.");
    if (ks.type == Type::Bool) throw ddb::ConversionError("Not allowed to create Dictionary for the key type BOOL");
    out.column = columnOf(keys, ks.type, ks.scale);
    return out;
}

// A scalar-like object with a forced type.
Value forcedScalar(py::handle obj, const TypeSpec& spec) {
    if (ddb::isArrayType(static_cast<uint8_t>(spec.type)))
        throw ddb::ConversionError("Cannot convert " + typeNameOf(obj) + " to " + ddb::typeName(static_cast<uint8_t>(spec.type)) +
                                   ".");
    std::vector<PyObject*> one{obj.ptr()};
    Column c = forcedColumn(one, spec);
    if (c.type() == Type::Void) {
        Column v;
        v.rawType = static_cast<uint8_t>(Type::Void);
        v.length = 1;
        return build::scalar(std::move(v));
    }
    return build::scalar(std::move(c));
}

}   // namespace

Value fromPython(py::handle obj, const FromPythonOptions& options) {
    if (const Value* prepared = preparedValueOf(obj)) return *prepared;
    PyObject* o = obj.ptr();
    const TypeSpec& spec = options.type;
    auto& k = cached();
    if (spec.forced()) try {
            if (PyList_Check(o) || PyTuple_Check(o)) return build::vector(forcedColumn(itemsOf(obj), spec));
            if (isNdarray(o) && py::reinterpret_borrow<py::array>(obj).ndim() == 1)
                return build::vector(columnFromNdarrayForced(py::reinterpret_borrow<py::array>(obj), spec));
            if (isNdarray(o) && py::reinterpret_borrow<py::array>(obj).ndim() == 2)
                return matrixFromArray(py::reinterpret_borrow<py::array>(obj), spec);
            if (isPandasObject(o, "Series") || isPandasObject(o, "Index"))
                return build::vector(columnFromSeries(obj, spec, false));
            if (PyAnySet_CheckExact(o)) return setValue(obj, spec);
            if (!PyDict_Check(o) && !isPandasObject(o, "DataFrame") && !isNdarray(o)) return forcedScalar(obj, spec);
        } catch (const BadCell& e) {
            if (ddb::isArrayType(static_cast<uint8_t>(spec.type))) throw;   // names the row of the list
            throw ddb::ConversionError(e.outsideTable());
        }
    if (o == Py_None || o == k.pdNA.ptr()) return voidScalar();
    if (o == k.pdNaT.ptr()) return fixedScalar<int64_t>(Type::Nanotimestamp, ddb::kNullLong);
    if (PyBool_Check(o)) return fixedScalar<int8_t>(Type::Bool, o == Py_True ? 1 : 0);
    if (PyFloat_Check(o) && !isNumpyScalar(o)) {
        double d = PyFloat_AS_DOUBLE(o);
        return fixedScalar<double>(Type::Double, std::isfinite(d) ? d : ddb::kNullDouble);
    }
    if (PyLong_Check(o) && !isNumpyScalar(o)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) throw ddb::ConversionError(kIntCastError);
        return fixedScalar<int64_t>(Type::Long, v);
    }
    if (PyUnicode_Check(o)) return textScalar(Type::String, utf8(o));
    if (PyBytes_Check(o)) return textScalar(Type::Blob, utf8(o));
    if (isNumpyScalar(o)) return scalarFromNumpy(obj);
    if (isDecimal(o)) {
        DecimalChoice d = decimalChoice(o);
        std::vector<PyObject*> one{o};
        return build::scalar(decimalColumn(one, d.type, d.scale));
    }
    if (PyDateTime_Check(o) || PyDate_Check(o) || PyTime_Check(o)) {
        Type t = PyDateTime_Check(o) ? Type::Timestamp : PyDate_Check(o) ? Type::Date : Type::Nanotime;
        std::vector<PyObject*> one{o};
        return build::scalar(columnOf(one, t, 0));
    }
    if (isNdarray(o)) {
        py::array arr = py::reinterpret_borrow<py::array>(obj);
        if (arr.ndim() == 1) return build::vector(columnFromArray(arr));
        if (arr.ndim() == 2) return matrixFromArray(arr);
        if (arr.ndim() == 0) return fromPython(arr.attr("__getitem__")(py::tuple()), options);
        throw ddb::ConversionError("Cannot create a Matrix from the given numpy.ndarray with dimension greater than 2.");
    }
    if (isPandasObject(o, "DataFrame")) return tableFromFrame(obj, options);
    if (isPandasObject(o, "Series") || isPandasObject(o, "Index")) return build::vector(columnFromSeries(obj, TypeSpec{}, false));
    if (PyList_Check(o) || PyTuple_Check(o)) return build::vector(sequenceColumn(itemsOf(obj)));
    if (PyAnySet_CheckExact(o) && PySet_Check(o)) return setValue(obj, TypeSpec{});
    if (PyDict_Check(o)) return dictValue(obj, options.keyType, options.valueType);
    if (isArrowTable(obj)) return tableFromArrow(obj);
    unsupported(o);
}

}   // namespace ddbpy
