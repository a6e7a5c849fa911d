// Cells -> array vectors (OFFICIAL_API.md §4.4, "list / ndarray cells"): a DataFrame object column
// whose cells are lists / tuples / 1-D ndarrays / Series, or any sequence of cells given an array
// type (`__DolphinDB_Type__ = {col: DT_INT_ARRAY}`, `types=`).
#include <algorithm>
#include <string>
#include <vector>

#include "convert/build.h"
#include "convert/upload.h"

namespace ddbpy::up {

namespace {

bool isCell(PyObject* o) {
    if (PyList_Check(o) || PyTuple_Check(o)) return true;
    if (isNdarray(o)) return py::reinterpret_borrow<py::array>(o).ndim() == 1;
    return isPandasObject(o, "Series");
}

std::string arrayTypeName(Type elem) {
    return ddb::typeName(static_cast<uint8_t>(static_cast<uint8_t>(elem) + ddb::kArrayTypeBase));
}

// DolphinDB array vectors hold fixed-width elements only (no STRING[], SYMBOL[], BLOB[], ANY[]).
void checkElementType(Type elem) {
    if (ddb::fixedWidth(elem) <= 0) throw FinalText("Not allowed to create a vector with type " + arrayTypeName(elem));
}

Column assemble(std::shared_ptr<ddb::Buffer> offsets, int64_t rows, Column values) {
    Column c;
    c.rawType = static_cast<uint8_t>(values.rawType + ddb::kArrayTypeBase);
    c.scale = values.scale;
    c.length = rows;
    c.offsets = std::move(offsets);
    c.values = std::make_shared<Column>(std::move(values));
    return c;
}

// Every cell a non-empty 1-D ndarray of one bool / int / float / datetime64 dtype: then the cells
// convert as one typed array (one np.concatenate), not as a Python object per element.
bool sameDtypeArrays(const std::vector<PyObject*>& cells) {
    if (cells.empty()) return false;
    py::object first;
    for (PyObject* cell : cells) {
        if (!isNdarray(cell)) return false;
        auto a = py::reinterpret_borrow<py::array>(cell);
        if (a.ndim() != 1 || a.size() == 0) return false;
        py::dtype dt = a.dtype();
        if (!first) {
            char kind = dt.kind();
            if (kind != 'b' && kind != 'i' && kind != 'f' && kind != 'M') return false;
            first = dt;
            continue;
        }
        int same = PyObject_RichCompareBool(first.ptr(), dt.ptr(), Py_EQ);
        if (same < 0) throw py::error_already_set();
        if (!same) return false;
    }
    return true;
}

Column fromSameDtypeArrays(const std::vector<PyObject*>& cells) {
    auto offsets = ddb::Buffer::allocate((cells.size() + 1) * 8);
    int64_t* off = offsets->as<int64_t>();
    off[0] = 0;
    py::list arrays(cells.size());
    for (size_t i = 0; i < cells.size(); ++i) {
        off[i + 1] = off[i] + static_cast<int64_t>(PyObject_Length(cells[i]));
        arrays[i] = py::reinterpret_borrow<py::object>(cells[i]);
    }
    py::array flat = pyc::numpy().attr("concatenate")(arrays);
    return assemble(std::move(offsets), static_cast<int64_t>(cells.size()), columnFromArray(flat));
}

// The cells' elements in order (an empty cell: one None), their row offsets, and the first row
// that is not a cell.
struct Flat {
    std::vector<PyObject*> items;   // borrowed from the cells or from `keep`
    std::vector<py::object> keep;   // lists made from ndarray / Series cells
    std::shared_ptr<ddb::Buffer> offsets;
    int64_t badRow = -1;
};

Flat flatten(const std::vector<PyObject*>& cells) {
    Flat f;
    f.offsets = ddb::Buffer::allocate((cells.size() + 1) * 8);
    int64_t* off = f.offsets->as<int64_t>();
    off[0] = 0;
    for (size_t i = 0; i < cells.size(); ++i) {
        PyObject* cell = cells[i];
        if (!isCell(cell)) {
            if (f.badRow < 0) f.badRow = static_cast<int64_t>(i);
        } else {
            py::object seq = py::reinterpret_borrow<py::object>(cell);
            if (!PyList_Check(cell) && !PyTuple_Check(cell)) {
                seq = py::list(seq);   // numpy scalars keep their dtype (an int32 cell stays INT)
                f.keep.push_back(seq);
            }
            auto items = itemsOf(seq);
            if (items.empty()) f.items.push_back(Py_None);   // an empty cell uploads as one NULL element
            else f.items.insert(f.items.end(), items.begin(), items.end());
        }
        off[i + 1] = static_cast<int64_t>(f.items.size());
    }
    return f;
}

// Every element of a forced array vector must be one its element type takes (the official rule);
// a DECIMAL array vector names no row.
// A typed ndarray / Series cell is cast as numpy would, as a typed column is (ForcedSource::TypedArray).
// Numbers and decimal text become DECIMALs given a scale, except in object-ndarray cells.
void checkForcedCells(const Flat& f, const std::vector<PyObject*>& cells, Type elem, int scale) {
    const int64_t* off = f.offsets->as<int64_t>();
    auto category = ddb::typeInfo(elem).category;
    bool numeric = category == ddb::TypeCategory::Logical || category == ddb::TypeCategory::Integral ||
        category == ddb::TypeCategory::Floating || category == ddb::TypeCategory::Temporal;
    for (size_t r = 0; r < cells.size(); ++r) {
        const bool ndarray = isNdarray(cells[r]);
        const char kind = ndarray || isPandasObject(cells[r], "Series")
            ? py::handle(cells[r]).attr("dtype").attr("kind").cast<char>()
            : 0;   // not an array cell
        if (numeric && kind != 0 && kind != 'O') continue;
        const bool objectCell = ndarray && kind == 'O';
        for (int64_t i = off[r]; i < off[r + 1]; ++i) {
            PyObject* o = f.items[static_cast<size_t>(i)];
            if (forcedCellAccepted(o, elem, scale >= 0 && !objectCell, true)) continue;
            if (ddb::isDecimal(elem)) throw FinalText("Cannot convert object with ANY type to an ArrayVector.");
            throw BadCell(py::str(cells[r]).cast<std::string>(), static_cast<int64_t>(r), arrayTypeName(elem),
                          Py_TYPE(o)->tp_name);
        }
    }
}

}   // namespace

Column arrayVectorFromCells(const std::vector<PyObject*>& cells, const TypeSpec& forced) {
    int64_t rows = static_cast<int64_t>(cells.size());
    bool isForced = forced.forced();
    Type elem = isForced ? ddb::elementTypeOf(static_cast<uint8_t>(forced.type)) : Type::Void;
    if (isForced) checkElementType(elem);
    if (sameDtypeArrays(cells)) {
        Column c = fromSameDtypeArrays(cells);
        if (!isForced || c.values->type() == elem) return c;
    }
    Flat f = flatten(cells);
    int scale = forced.scale;
    if (!isForced) {
        Scan e = scan(f.items, /*widenDecimals=*/true);
        if (e.any) {
            // A cell of nested sequences or of mixed types has no element type (the official
            // texts); otherwise the cells disagree with each other.
            const int64_t* off = f.offsets->as<int64_t>();
            for (int64_t r = 0; r < rows; ++r) {
                Scan cell = scan(std::vector<PyObject*>(f.items.begin() + off[r], f.items.begin() + off[r + 1]), true);
                if (cell.nested) throw ddb::ConversionError("Not allowed to create a vector with type UNKNOWN[]");
                if (cell.any) throw ddb::ConversionError("Not allowed to create a vector with type ANY[]");
            }
            throw ddb::ConversionError("Cannot create an ArrayVector with mixing incompatible types.");
        }
        elem = e.type == Type::Void ? Type::Double : e.type;   // only NULLs and empty cells: DOUBLE[]
        scale = e.scale;
    } else {
        checkForcedCells(f, cells, elem, scale);
        if (ddb::isDecimal(elem) && scale < 0) {
            scale = 0;
            for (PyObject* o : f.items) scale = std::max(scale, decimalScaleOf(o));
        }
    }
    if (f.badRow >= 0)
        throw BadCell(py::str(cells[f.badRow]).cast<std::string>(), f.badRow,
                      isForced ? arrayTypeName(elem) : ddb::typeName(static_cast<uint8_t>(elem)));
    checkElementType(elem);
    Column values;
    try {
        values = ddb::isDecimal(elem) && !isForced ? decimalColumnWidening(f.items, elem, scale) : columnOf(f.items, elem, scale);
    } catch (const BadCell& e) {   // names an element: name its cell (row) instead
        const int64_t* off = f.offsets->as<int64_t>();
        int64_t row = std::upper_bound(off, off + rows + 1, e.row) - off - 1;
        throw BadCell(py::str(cells[row]).cast<std::string>(), row, arrayTypeName(elem), e.pyType);
    }
    return assemble(std::move(f.offsets), rows, std::move(values));
}

}   // namespace ddbpy::up
