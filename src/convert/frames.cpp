// DataFrames of downloaded columns. `pandas.DataFrame({name: column, ...}, copy=False)` spends
// most of a small result's conversion inferring what it is given: the column labels' dtype
// (pandas 3 checks every label for a str column index), each array's kind, one block per
// column. A result's columns are arrays whose frame dtype is already final (numpy numeric and
// datetime64 arrays pandas keeps as they are, extension arrays), so where pandas offers
// `pandas.api.internals.create_dataframe_from_blocks` (pandas >= 3) the frame is made from one
// block per column, exactly the blocks the dict constructor would make, with the column index
// pandas made for the same labels the first time they were seen. Anything else (other dtypes,
// non-str or repeated labels, older pandas) goes through the dict constructor.
#include <string>
#include <vector>

#include <pybind11/gil_safe_call_once.h>

#include "convert/payloads.h"
#include "convert/py_common.h"

namespace ddbpy {

namespace {

class FrameFromBlocks {
public:
    // nullptr when pandas has no create_dataframe_from_blocks.
    static const FrameFromBlocks* get() {
        PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<const FrameFromBlocks*> storage;
        return storage.call_once_and_store_result([] { return probe(); }).get_stored();
    }

    // The frame, or a null object when a label or a column needs the dict constructor.
    py::object make(const py::tuple& names, const std::vector<py::object>& columns) const {
        ssize_t rows = -1;
        py::list blocks(columns.size());
        for (size_t k = 0; k < columns.size(); ++k) {
            py::object block = blockOf(columns[k], rows);
            if (!block) return {};
            py::array_t<ssize_t> placement(1);
            placement.mutable_at(0) = static_cast<ssize_t>(k);
            blocks[k] = py::make_tuple(std::move(block), std::move(placement));
        }
        py::object labels = columnIndex(names);
        if (!labels) return {};
        return fromBlocks_(blocks, rowIndex(rows < 0 ? 0 : rows), labels);
    }

private:
    static const FrameFromBlocks* probe() {
        try {
            py::module_ internals = py::module_::import("pandas.api.internals");
            if (!py::hasattr(internals, "create_dataframe_from_blocks")) return nullptr;
            auto* f = new FrameFromBlocks();
            f->fromBlocks_ = internals.attr("create_dataframe_from_blocks");
            f->dataFrame_ = pyc::pandas().attr("DataFrame");
            f->rangeIndex_ = pyc::pandas().attr("RangeIndex");
            f->extensionArray_ = py::module_::import("pandas.api.extensions").attr("ExtensionArray");
            py::module_ arrays = py::module_::import("pandas.arrays");
            f->datetimeArray_ = arrays.attr("DatetimeArray").attr("_simple_new");
            f->timedeltaArray_ = arrays.attr("TimedeltaArray").attr("_simple_new");
            for (const char* kind : {"datetime64", "timedelta64"})
                for (const char* unit : {"s", "ms", "us", "ns"})
                    f->temporal_.push_back(pyc::dtype((std::string(kind) + "[" + unit + "]").c_str()));
            return f;
        } catch (py::error_already_set& e) {
            if (!e.matches(PyExc_Exception)) throw;   // Ctrl-C during the import: not "unsupported"
            return nullptr;
        }
    }

    // A numpy array becomes its 2-D (1, rows) block view, a datetime64/timedelta64 one the
    // DatetimeArray/TimedeltaArray pandas keeps such a column in (made with _simple_new: the
    // public constructors re-check every value, a third of a small frame's cost); an extension
    // array is its own block.
    py::object blockOf(const py::object& column, ssize_t& rows) const {
        ssize_t length;
        py::object block;
        if (py::isinstance<py::array>(column)) {
            auto a = py::reinterpret_borrow<py::array>(column);
            if (a.ndim() != 1 || !keptAsIs(a.dtype())) return {};
            length = a.shape(0);
            char kind = a.dtype().kind();
            if (kind == 'M' || kind == 'm')   // the array pandas would wrap it in, without re-validating it
                block = (kind == 'M' ? datetimeArray_ : timedeltaArray_)(a, py::arg("dtype") = a.dtype());
            else block = a.reshape({ssize_t{1}, length});
        } else if (PyObject_IsInstance(column.ptr(), extensionArray_.ptr()) == 1) {
            length = static_cast<ssize_t>(py::len(column));
            block = column;
        } else {
            return {};
        }
        if (rows >= 0 && length != rows) return {};   // the dict constructor's error, as before
        rows = length;
        return block;
    }

    // numpy dtypes the dict constructor keeps unchanged: bool, integers, float32/64 in native
    // order, datetime64/timedelta64 in units pandas supports.
    bool keptAsIs(const py::dtype& dt) const {
        char order = dt.byteorder();
        if (order != '=' && order != '|') return false;
        switch (dt.kind()) {
            case 'b':
            case 'i':
            case 'u': return true;
            case 'f': return dt.itemsize() == 4 || dt.itemsize() == 8;
            case 'M':
            case 'm':
                for (const py::dtype& t : temporal_)
                    if (dt.is(t) || dt.equal(t)) return true;
                return false;
            default: return false;
        }
    }

    // pandas' own column index for these labels, made once per distinct label tuple by the dict
    // constructor; each frame gets a view of it (its own object, so renaming one frame's
    // columns never reaches another's). None is cached for labels the blocks cannot take.
    py::object columnIndex(const py::tuple& names) const {
        PyObject* hit = PyDict_GetItemWithError(columnIndexes_.ptr(), names.ptr());
        if (!hit && PyErr_Occurred()) throw py::error_already_set();
        py::object index;
        if (hit) {
            index = py::reinterpret_borrow<py::object>(hit);
        } else {
            index = py::none();
            py::dict sample;
            bool allStr = true;
            for (py::handle name : names) {
                allStr = allStr && PyUnicode_CheckExact(name.ptr());
                sample[name] = py::array(pyc::dtype("float64"), std::vector<ssize_t>{0});
            }
            if (allStr && py::len(sample) == py::len(names)) index = dataFrame_(sample, py::arg("copy") = false).attr("columns");
            if (PyDict_Size(columnIndexes_.ptr()) >= kCachedIndexes) PyDict_Clear(columnIndexes_.ptr());
            columnIndexes_[names] = index;
        }
        if (index.is_none()) return {};
        return index.attr("_view")();
    }

    // A view of the RangeIndex made once per row count: RangeIndex(rows) validates its
    // arguments in Python, a twentieth of a small frame's cost.
    py::object rowIndex(ssize_t rows) const {
        py::int_ key(rows);
        PyObject* hit = PyDict_GetItemWithError(rowIndexes_.ptr(), key.ptr());
        if (!hit && PyErr_Occurred()) throw py::error_already_set();
        py::object index;
        if (hit) {
            index = py::reinterpret_borrow<py::object>(hit);
        } else {
            index = rangeIndex_(rows);
            if (PyDict_Size(rowIndexes_.ptr()) >= kCachedIndexes) PyDict_Clear(rowIndexes_.ptr());
            rowIndexes_[key] = index;
        }
        return index.attr("_view")();
    }

    static constexpr ssize_t kCachedIndexes = 256;
    py::object fromBlocks_, dataFrame_, rangeIndex_, extensionArray_, datetimeArray_, timedeltaArray_;
    std::vector<py::dtype> temporal_;
    mutable py::dict columnIndexes_, rowIndexes_;
};

}   // namespace

py::object dataFrameOf(const py::tuple& names, const std::vector<py::object>& columns) {
    if (const FrameFromBlocks* blocks = FrameFromBlocks::get())
        if (py::object frame = blocks->make(names, columns)) return frame;
    py::dict data;
    for (size_t k = 0; k < columns.size(); ++k) data[names[k]] = columns[k];
    static auto* DataFrame = new py::object(pyc::pandas().attr("DataFrame"));
    return (*DataFrame)(data, py::arg("copy") = false);
}

}   // namespace ddbpy
