// decimal.Decimal (and int / float / str / bytes given for a DECIMAL type) -> DolphinDB
// DECIMAL32/64/128 raw values. Decimals and ints by exact integer arithmetic on their digits: no
// float, and no dependence on the decimal module's context precision (28 digits by default, fewer
// than DECIMAL128's 38). Text and floats by the core's rules (protocol/decimal.h).
#include <cstring>

#include "convert/build.h"
#include "convert/upload.h"
#include "protocol/decimal.h"

namespace ddbpy::up {

namespace {

using U128 = unsigned __int128;

// The largest magnitude each type stores; -(max + 1) is the type's NULL sentinel.
U128 maxMagnitude(Type t) { return ddb::decimalMaxMagnitude(t); }

int maxScale(Type t) { return ddb::typeInfo(t).maxScale; }

// sign, digits and exponent of a finite Decimal (as Decimal.as_tuple() gives them).
struct Parts {
    bool finite = true;
    bool negative = false;
    std::vector<uint8_t> digits;
    int exponent = 0;
};

// Any other number (int, numpy integer ...) as a decimal.Decimal.
py::object asDecimal(PyObject* o) {
    // numpy signed integers as the int they are.
    if (numpyKind(o) == 'i') {
        py::object whole = py::reinterpret_steal<py::object>(PyNumber_Index(o));
        if (!whole) throw py::error_already_set();
        return pyc::decimalType()(whole);
    }
    return pyc::decimalType()(py::reinterpret_borrow<py::object>(o));
}

Parts partsOf(const py::object& d) {
    Parts p;
    py::tuple tup = d.attr("as_tuple")();
    PyObject* exponent = PyTuple_GET_ITEM(tup.ptr(), 2);
    if (!PyLong_Check(exponent)) {   // 'n' / 'N' / 'F': NaN, sNaN, Infinity
        p.finite = false;
        return p;
    }
    p.negative = PyLong_AsLong(PyTuple_GET_ITEM(tup.ptr(), 0)) != 0;
    p.exponent = static_cast<int>(PyLong_AsLong(exponent));
    PyObject* digits = PyTuple_GET_ITEM(tup.ptr(), 1);
    Py_ssize_t n = PyTuple_GET_SIZE(digits);
    p.digits.resize(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) p.digits[i] = static_cast<uint8_t>(PyLong_AsLong(PyTuple_GET_ITEM(digits, i)));
    if (PyErr_Occurred()) throw py::error_already_set();
    return p;
}

// |value| * 10^scale rounded half-even; false when it exceeds `limit`.
bool scaledMagnitude(const Parts& p, int scale, U128 limit, U128* out) {
    long shift = static_cast<long>(p.exponent) + scale;   // digits * 10^shift
    long n = static_cast<long>(p.digits.size());
    long keep = shift >= 0 ? n : n + shift;   // digits left of the rounding point
    U128 mag = 0;
    for (long i = 0; i < keep; ++i) {
        if (mag > (limit - p.digits[i]) / 10) return false;
        mag = mag * 10 + p.digits[i];
    }
    for (long i = 0; i < shift && mag != 0; ++i) {   // zero stays zero whatever its exponent
        if (mag > limit / 10) return false;
        mag *= 10;
    }
    if (keep < n) {
        long first = keep < 0 ? -1 : keep;   // the digit just right of the rounding point (none: 0)
        int next = first >= 0 ? p.digits[first] : 0;
        bool sticky = false;
        for (long i = first + 1; i < n; ++i) sticky |= p.digits[i] != 0;
        if (next > 5 || (next == 5 && (sticky || (mag & 1)))) {
            if (mag == limit) return false;
            ++mag;
        }
    }
    *out = mag;
    return true;
}

std::string typeWithScale(Type t, int scale) {
    return ddb::typeName(static_cast<uint8_t>(t)) + "(" + std::to_string(scale) + ")";
}

}   // namespace

bool isDecimalObject(PyObject* o) {
    int r = PyObject_IsInstance(o, pyc::decimalType().ptr());
    if (r < 0) throw py::error_already_set();
    return r == 1;
}

// NaN, sNaN and +-Infinity upload as NULL, as the official client does (and as float NaN/inf do).
bool decimalIsNull(PyObject* o) { return !py::handle(o).attr("is_finite")().cast<bool>(); }

void checkDecimalScale(Type t, int scale) {
    int limit = maxScale(t);
    if (scale < 0 || scale > limit)
        throw ddb::ConversionError("Scale out of bound (valid range: [0, " + std::to_string(limit) +
                                   "], but get: " + std::to_string(scale) + ")");
}

DecimalChoice decimalChoice(PyObject* o) {
    Parts p = partsOf(py::reinterpret_borrow<py::object>(o));
    if (!p.finite) return {Type::Decimal64, 0};
    int scale = -p.exponent;
    int at = std::max(scale, 0);   // a positive exponent (1E+3) is measured as the integer it is
    // More than 17 decimal places, or a value DECIMAL64 cannot hold at its own scale: DECIMAL128.
    U128 mag;
    Type t = scale > 17 || !scaledMagnitude(p, at, maxMagnitude(Type::Decimal64), &mag) ? Type::Decimal128 : Type::Decimal64;
    // The official order: a value too large for its type is an overflow (even at a scale out of
    // the type's range, e.g. 60 decimal places), then the scale is checked.
    if (!scaledMagnitude(p, at, maxMagnitude(t), &mag))
        throw DecimalOverflow("parse `" + py::str(o).cast<std::string>() + "` to " + typeWithScale(t, at) +
                              " failed: decimal overflow");
    checkDecimalScale(t, scale);
    return {t, scale};
}

namespace {

[[noreturn]] void overflow(const std::string& text, Type t, int scale, const char* why = "decimal overflow") {
    throw DecimalOverflow("parse `" + text + "` to " + typeWithScale(t, scale) + " failed: " + why);
}

// A Decimal's raw value at `scale`; false when it is NaN or +-Infinity (NULL).
bool scaledRaw(const py::object& d, Type t, int scale, __int128* raw) {
    Parts p = partsOf(d);
    U128 mag = 0;
    if (!p.finite) return false;
    if (!scaledMagnitude(p, scale, maxMagnitude(t), &mag)) overflow(py::str(d).cast<std::string>(), t, scale);
    *raw = p.negative ? -static_cast<__int128>(mag) : static_cast<__int128>(mag);
    return true;
}

// The raw value of one non-None cell (`row` < 0: a scalar); false when it is NULL (NaN, +-inf,
// NULL text).
bool decimalRaw(PyObject* o, Type t, int scale, int64_t row, __int128* raw) {
    // decimal.Decimal first: the common cell of a DECIMAL column pays for no other check.
    if (isDecimalObject(o)) return scaledRaw(py::reinterpret_borrow<py::object>(o), t, scale, raw);
    if (PyUnicode_Check(o) || PyBytes_Check(o)) {
        std::string text = utf8(o);
        switch (ddb::decimalFromText(text, t, scale, raw)) {
            case ddb::DecimalResult::Value: return true;
            case ddb::DecimalResult::Null: return false;
            case ddb::DecimalResult::Overflow: overflow(text, t, scale);
            case ddb::DecimalResult::Invalid:
                throw FinalText("The text '" + text + "'" + (row >= 0 ? " (row " + std::to_string(row) + ")" : "") +
                                " is not a decimal number: cannot convert it to " + typeWithScale(t, scale) + ".");
        }
    }
    if (PyFloat_Check(o) || numpyKind(o) == 'f') {
        double x = PyFloat_AsDouble(o);
        if (PyErr_Occurred()) throw py::error_already_set();
        switch (ddb::decimalFromDouble(x, t, scale, raw)) {
            case ddb::DecimalResult::Value: return true;
            case ddb::DecimalResult::Null: return false;
            default: overflow(py::str(o).cast<std::string>(), t, scale);
        }
    }
    return scaledRaw(asDecimal(o), t, scale, raw);
}

}   // namespace

int decimalScaleOf(PyObject* o) {
    if (!isDecimalObject(o) || decimalIsNull(o)) return 0;
    return -partsOf(py::reinterpret_borrow<py::object>(o)).exponent;
}

Column decimalColumn(const std::vector<PyObject*>& items, Type t, int scale) {
    checkDecimalScale(t, scale);
    int64_t n = static_cast<int64_t>(items.size());
    Column c = build::fixed(t, n, scale);
    uint8_t* base = c.data->data();
    int w = ddb::fixedWidth(t);
    for (int64_t i = 0; i < n; ++i) {
        PyObject* o = items[i];
        __int128 raw;
        if (isNull(o) || !decimalRaw(o, t, scale, n > 1 ? i : -1, &raw)) raw = -static_cast<__int128>(maxMagnitude(t)) - 1;
        if (t == Type::Decimal32) {
            int32_t v = static_cast<int32_t>(raw);
            std::memcpy(base + i * w, &v, 4);
        } else if (t == Type::Decimal64) {
            int64_t v = static_cast<int64_t>(raw);
            std::memcpy(base + i * w, &v, 8);
        } else std::memcpy(base + i * w, &raw, 16);
    }
    return c;
}

Column decimalColumnWidening(const std::vector<PyObject*>& items, Type t, int scale) {
    if (t != Type::Decimal64) return decimalColumn(items, t, scale);
    try {
        return decimalColumn(items, t, scale);
    } catch (const DecimalOverflow&) {
        // Some value needs more than DECIMAL64's 18 digits at the column's scale.
        return decimalColumn(items, Type::Decimal128, scale);
    }
}

}   // namespace ddbpy::up
