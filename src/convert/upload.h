// Internals shared by the upload files (from_python.cpp, from_numpy.cpp, from_pandas.cpp).
// GIL held everywhere.
#pragma once

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
    int scale = 0;            // DECIMAL
};
Elem classify(PyObject* o);
bool isNull(PyObject* o);

// The type chosen for a scanned sequence: the first non-null type widened over the others
// (ints < FLOAT < DOUBLE, DECIMAL scale = max); `any` when types mix or an element is nested.
struct Scan {
    Type type = Type::Void;
    int scale = 0;
    bool any = false;
    bool nested = false;    // some element is a list/tuple/ndarray/dict/set
    bool allNull = true;    // no typed element (weak nulls do not count)
};
Scan scan(const std::vector<PyObject*>& items);

// Elements (Python objects) converted to a column of type t (nulls -> sentinels).
Column columnOf(const std::vector<PyObject*>& items, Type t, int scale);
// An ANY column (each element converted by fromPython).
Column anyColumn(const std::vector<PyObject*>& items);
// A list/tuple/object-array's elements as a vector column: scanned, ANY when mixed.
// `emptyType`: the type of an empty sequence (DOUBLE).
Column sequenceColumn(const std::vector<PyObject*>& items);

std::vector<PyObject*> itemsOf(py::handle seq);   // borrowed references; `seq` must outlive them

// numpy
bool isNdarray(py::handle o);
Column columnFromArray(py::array arr);                         // 1-D, by dtype
Column columnFromArrayForced(py::array arr, const TypeSpec& spec);
Value matrixFromArray(py::array arr);
Value scalarFromNumpy(py::handle o);                           // np.generic
// pandas
bool isPandasObject(py::handle o, const char* cls);
Column columnFromSeries(py::handle series, const TypeSpec& spec, bool tableColumn);
Value tableFromFrame(py::handle df, const FromPythonOptions& options);
// pyarrow (from_arrow.cpp): a pyarrow.Table as a DolphinDB table
bool isArrowTable(py::handle o);
Value tableFromArrow(py::handle table);

// Temporal helpers: an np.datetime64 / datetime / date / time / pd.Timestamp as a value of t.
bool temporalValue(PyObject* o, Type t, int64_t* out);
// Array of datetime64 int64 counts in `unit` (numpy unit string) converted to t.
void convertTemporal(const int64_t* src, int64_t n, const std::string& unit, Type t, Column& out);
Type typeOfDatetimeUnit(const std::string& unit);   // D->DATE ... throws for unsupported units

Column forcedColumn(const std::vector<PyObject*>& items, const TypeSpec& spec);
std::string typeNameOf(py::handle o);   // "<class 'X'>"

}  // namespace ddbpy::up
