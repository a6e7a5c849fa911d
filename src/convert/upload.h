// Internals shared by the upload files (from_python.cpp, from_numpy.cpp, from_pandas.cpp).
// GIL held everywhere.
#pragma once

#include <string>
#include <vector>

#include "convert/convert.h"
#include "convert/py_common.h"
#include "errors.h"

namespace ddbpy::up {

using ddb::Column;
using ddb::Type;
using ddb::Value;

// What one Python object contributes to the type of a scanned sequence.
struct Elem {
    enum Cls : uint8_t { Null, Typed, Nested, Unknown } cls = Null;
    Type type = Type::Void;   // Typed, or the weak type of a typed null (NaN -> DOUBLE, NaT -> NANOTIMESTAMP)
    int scale = 0;   // DECIMAL
};
Elem classify(PyObject* o);
bool isNull(PyObject* o);
std::string utf8(PyObject* o);   // a str as UTF-8, bytes as they are, anything else by str()
char numpyKind(PyObject* o);   // a numpy scalar's dtype kind ('i', 'u', 'f', 'b' ...); 0 for anything else

// The type chosen for a scanned sequence: the first non-null type widened over the others
// (ints < FLOAT < DOUBLE, DECIMAL scale = max); `any` when types mix or an element is nested.
// `widenDecimals`: DECIMAL64 and DECIMAL128 elements make DECIMAL128 (table columns and array
// vectors, as the official client's columns do) instead of `any` (lists stay ANY, as there).
struct Scan {
    Type type = Type::Void;
    int scale = 0;
    bool any = false;
    bool nested = false;   // some element is a list/tuple/ndarray/dict/set
    bool allNull = true;   // no typed element (weak nulls do not count)
};
Scan scan(const std::vector<PyObject*>& items, bool widenDecimals = false);

// Elements (Python objects) converted to a column of type t (nulls -> sentinels).
// Float +-inf: NULL in lists, scalars and typed arrays, but kept in the cells of object arrays,
// Series and DataFrame columns (each cell its own Python float), as the official client does both.
enum class Infinities { Null, Kept };
Column columnOf(const std::vector<PyObject*>& items, Type t, int scale, Infinities infinities = Infinities::Null);
// An ANY column (each element converted by fromPython).
Column anyColumn(const std::vector<PyObject*>& items);
// A list/tuple/object-array's elements as a vector column: scanned, ANY when mixed.
// `emptyType`: the type of an empty sequence (DOUBLE).
Column sequenceColumn(const std::vector<PyObject*>& items, Infinities infinities = Infinities::Null);

std::vector<PyObject*> itemsOf(py::handle seq);   // borrowed references; `seq` must outlive them

// numpy
bool isNdarray(py::handle o);
Column columnFromArray(py::array arr);   // 1-D, by dtype
Column columnFromArrayForced(py::array arr, const TypeSpec& spec);   // 1-D: a vector's or a column's
// A 1-D ndarray given as a whole (a vector or a matrix's elements, not a table column): integers
// forced to a temporal type are counts of its unit, as the official client takes them there
// (it refuses them in DataFrame columns).
Column columnFromNdarrayForced(py::array arr, const TypeSpec& spec);
Value matrixFromArray(py::array arr, const TypeSpec& spec = {});   // 2-D; a forced type converts its elements
Value scalarFromNumpy(py::handle o);   // np.generic
// pandas
bool isPandasObject(py::handle o, const char* cls);
Column columnFromSeries(py::handle series, const TypeSpec& spec, bool tableColumn);
Value tableFromFrame(py::handle df, const FromPythonOptions& options);
// pyarrow (from_arrow.cpp): a pyarrow.Table as a DolphinDB table
bool isArrowTable(py::handle o);
Value tableFromArrow(py::handle table);
// A pyarrow Array / ChunkedArray (anything with __arrow_c_stream__) as one column, read from its
// buffers (the Arrow type decides the DolphinDB type, as for tables).
Column columnFromArrow(py::handle data, const std::string& name);

// An integer given for temporal type t: a count of t's unit (MONTH: months since year 0), as the
// official client takes it. The LONG NULL is NULL at every width; a count a 4-byte type cannot
// hold is a ConversionError naming it and its row (the official client wraps it around).
int64_t temporalCount(Type t, __int128 count, int64_t row);
// Temporal helpers: an np.datetime64 / datetime / date / time / pd.Timestamp as a value of t.
bool temporalValue(PyObject* o, Type t, int64_t* out);
// Array of datetime64 int64 counts in `unit` (numpy unit string) converted to t.
void convertTemporal(const int64_t* src, int64_t n, const std::string& unit, Type t, Column& out);
std::string datetimeUnit(const py::dtype& dt);   // "ns", "D" ... of a datetime64 dtype
Type typeOfDatetimeUnit(const std::string& unit);   // D->DATE ... throws for unsupported units

// decimal.Decimal (decimals.cpp). NaN / sNaN / +-Infinity are NULL, as in the official client.
// A value that does not fit its type is a DecimalOverflow (a ConversionError with the official text).
// An error whose text is already the official one for the whole upload: the column and table
// wrappers pass it on unchanged instead of naming the column's dtype.
struct FinalText : ddb::ConversionError {
    using ddb::ConversionError::ConversionError;
};
struct DecimalOverflow : FinalText {
    using FinalText::FinalText;
};
struct DecimalChoice {
    Type type;
    int scale;
};
bool isDecimalObject(PyObject* o);
bool decimalIsNull(PyObject* o);
// The official choice for one Decimal: DECIMAL64(places), DECIMAL128 beyond 17 places or when the
// digits do not fit DECIMAL64; throws for a negative scale, more than 38 places or > 38 digits.
DecimalChoice decimalChoice(PyObject* o);
int decimalScaleOf(PyObject* o);   // places of a finite Decimal, else 0
void checkDecimalScale(Type t, int scale);
// Decimal / int values times 10^scale rounded half-even; str / bytes parsed as decimal text and
// floats truncated as the server's decimal32(x, s) does (ddb::decimalFromText / decimalFromDouble).
// DecimalOverflow beyond t's range; text that is not a number is a ConversionError naming it.
Column decimalColumn(const std::vector<PyObject*>& items, Type t, int scale);
// As decimalColumn, but a DECIMAL64 column whose values need more digits becomes DECIMAL128
// (uploads that choose the type themselves; a forced type never widens).
Column decimalColumnWidening(const std::vector<PyObject*>& items, Type t, int scale);

// Values given a type (`__DolphinDB_Type__`, `types=`). Each value must be one the official client
// takes for that type (forcedCellAccepted), else a BadCell: a float is not silently truncated into
// INT, nor a bool spelled into BLOB. Where the values come from changes what is taken:
enum class ForcedSource {
    Cells,   // an object column / object ndarray: each value by its kind
    TypedArray,   // a typed numpy array: numeric and temporal types cast it, as numpy would
    Values,   // a list, tuple or scalar: by kind, but numbers become a DECIMAL given its scale
};
Column forcedColumn(const std::vector<PyObject*>& items, const TypeSpec& spec, ForcedSource source = ForcedSource::Values);
// The official client's rule: None / NaN / NaT always; BOOL and the integers take integers (and,
// outside array vectors, bools and Decimals); FLOAT/DOUBLE also floats; temporal types take
// integers (the type's raw count since 1970), datetimes, dates and datetime64; STRING/SYMBOL take
// anything, BLOB only str/bytes, DECIMAL only Decimal (also numbers and decimal text when
// `numbersAsDecimal`, in array vectors too),
// UUID/IPADDR/INT128 only str.
bool forcedCellAccepted(PyObject* o, Type t, bool numbersAsDecimal, bool arrayElement);

// Array vectors from cells (array_vectors.cpp): each cell a list / tuple / 1-D ndarray / Series
// becomes one row; an empty cell one NULL element. `forced`: an array type (scale < 0: the
// cells' largest), or unforced: the cells' common element type as the official client chooses it.
Column arrayVectorFromCells(const std::vector<PyObject*>& cells, const TypeSpec& forced);

// A cell that cannot become a row of its column (None, a scalar among list cells); the message
// names the row, and tableFromFrame adds the column: `The value None (column "a", row 1) must be
// of LONG type.` (the official text).
struct BadCell : ddb::ConversionError {
    BadCell(const std::string& cellText, int64_t cellRow, const std::string& typeText, std::string valueType = {})
        : ddb::ConversionError("The value " + cellText + " (row " + std::to_string(cellRow) + ") must be of " + typeText +
                               " type."),
          value(cellText),
          row(cellRow),
          type(typeText),
          pyType(std::move(valueType)) {}
    // Outside a table (a forced list or scalar) the official text names the Python type instead.
    std::string outsideTable() const { return "Cannot convert " + pyType + " to " + type + "."; }
    std::string inColumn(const std::string& column) const {
        return "The value " + value + " (column \"" + column + "\", row " + std::to_string(row) + ") must be of " + type +
            " type.";
    }
    std::string value;
    int64_t row;
    std::string type;
    std::string pyType;   // "float", "str" ...
};
std::string typeNameOf(py::handle o);   // "<class 'X'>"

}   // namespace ddbpy::up
