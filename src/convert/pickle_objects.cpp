// PICKLE results as Python objects: replays the tree cpp/protocol/pickle.h decoded without the
// GIL. The calls a stream records (REDUCE, NEWOBJ, BUILD, ...) are made here exactly as CPython's
// Unpickler makes them (Lib/pickle.py), on allowed globals only.
//
// One shortcut: a numpy array pickled with its bytes in the stream (ndarray reconstruction
// followed by a BUILD whose state holds a bytes object) becomes an ndarray over the decoded
// buffer, so large numeric columns are never copied.
#include <pybind11/numpy.h>

#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "convert/payloads.h"
#include "convert/py_common.h"
#include "errors.h"
#include "protocol/value.h"

namespace ddbpy {

namespace {

using ddb::pickle::Kind;
using ddb::pickle::Mutation;
using ddb::pickle::Object;
using ddb::pickle::Ref;

constexpr int kMaxDepth = 1000;

py::object steal(PyObject* p) {
    if (!p) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(p);
}

bool isGlobal(const Ref& o, std::string_view module, std::string_view name) {
    return o->kind == Kind::Global && o->module() == module && o->qualname() == name;
}

class Replayer {
public:
    py::object build(const Ref& o, int depth) {
        if (depth > kMaxDepth)
            throw ddb::ConversionError("The pickled result is nested deeper than " + std::to_string(kMaxDepth) + " levels");
        // Objects referenced once cannot be met again: only shared ones are remembered.
        bool shared = o.use_count() > 1;
        if (shared) {
            auto it = done_.find(o.get());
            if (it != done_.end()) return it->second;
            if (building_.count(o.get()))
                throw ddb::ConversionError("The pickled result refers to an object while that object is being built");
        }
        switch (o->kind) {
            case Kind::None: return py::none();
            case Kind::Bool: return py::bool_(o->boolean);
            case Kind::Int: return remember(o, shared, steal(PyLong_FromLongLong(o->integer)));
            case Kind::BigInt: {
                static auto* fromBytes = new py::object(
                    py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyLong_Type)).attr("from_bytes"));
                py::bytes raw(o->text);
                return remember(o, shared, (*fromBytes)(raw, "little", py::arg("signed") = true));
            }
            case Kind::BigIntText: return remember(o, shared, steal(PyLong_FromString(o->text.c_str(), nullptr, 10)));
            case Kind::Float: return remember(o, shared, steal(PyFloat_FromDouble(o->real)));
            case Kind::Str:
                return remember(
                    o, shared,
                    steal(PyUnicode_DecodeUTF8(o->text.data(), static_cast<Py_ssize_t>(o->text.size()), "surrogatepass")));
            case Kind::Bytes: {
                auto v = o->bytesView();
                return remember(o, shared, steal(PyBytes_FromStringAndSize(v.data(), static_cast<Py_ssize_t>(v.size()))));
            }
            case Kind::Tuple: {
                Guard g(*this, o, shared);
                py::tuple t(o->items.size());
                for (size_t i = 0; i < o->items.size(); ++i)
                    PyTuple_SET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i), build(o->items[i], depth + 1).release().ptr());
                return remember(o, shared, std::move(t));
            }
            case Kind::FrozenSet: {
                Guard g(*this, o, shared);
                py::list items = buildList(o->items, depth);
                return remember(o, shared, steal(PyFrozenSet_New(items.ptr())));
            }
            case Kind::List: {
                if (o->texts) {
                    py::list l(o->texts->size());
                    fillTexts(*o->texts, reinterpret_cast<PyListObject*>(l.ptr())->ob_item);
                    return remember(o, shared, std::move(l));
                }
                py::list l(o->items.size());
                remember(o, shared, l);
                for (size_t i = 0; i < o->items.size(); ++i)
                    PyList_SET_ITEM(l.ptr(), static_cast<Py_ssize_t>(i), build(o->items[i], depth + 1).release().ptr());
                return l;
            }
            case Kind::Dict: {
                py::dict d;
                remember(o, shared, d);
                for (size_t i = 0; i + 1 < o->items.size(); i += 2) {
                    py::object k = build(o->items[i], depth + 1);
                    if (PyDict_SetItem(d.ptr(), k.ptr(), build(o->items[i + 1], depth + 1).ptr()) != 0)
                        throw py::error_already_set();
                }
                return d;
            }
            case Kind::Set: {
                py::set s;
                remember(o, shared, s);
                for (const auto& item : o->items)
                    if (PySet_Add(s.ptr(), build(item, depth + 1).ptr()) != 0) throw py::error_already_set();
                return s;
            }
            case Kind::Global: return remember(o, shared, global(std::string(o->module()), std::string(o->qualname())));
            case Kind::Call:
            case Kind::NewObj:
            case Kind::Instance: {
                py::object obj;
                bool built = false;   // an array shortcut below applied the BUILD itself
                {
                    Guard g(*this, o, shared);
                    if (o->kind == Kind::Call) {
                        obj = bytesArray(*o, depth);
                        if (!obj) obj = objectArray(*o, depth);
                        built = static_cast<bool>(obj);
                    }
                    if (!built)
                        obj = o->kind == Kind::Call   ? call(*o, depth)
                            : o->kind == Kind::NewObj ? newObj(*o, depth)
                                                      : instance(*o, depth);
                }
                remember(o, shared, obj);
                if (!built)
                    for (const auto& m : o->mutations) mutate(obj, m, depth);
                return obj;
            }
        }
        throw ddb::ConversionError("The pickled result holds an unknown object");
    }

private:
    // Marks an object as under construction while its parts are built (a reference back to it
    // from its own arguments cannot be satisfied).
    struct Guard {
        Guard(Replayer& r, const Ref& o, bool shared) : r_(r), o_(shared ? o.get() : nullptr) {
            if (o_) r_.building_.insert(o_);
        }
        ~Guard() {
            if (o_) r_.building_.erase(o_);
        }
        Replayer& r_;
        const Object* o_;
    };

    py::object remember(const Ref& o, bool shared, py::object value) {
        if (shared) done_[o.get()] = value;
        return value;
    }

    py::list buildList(const std::vector<Ref>& items, int depth) {
        py::list l(items.size());
        for (size_t i = 0; i < items.size(); ++i)
            PyList_SET_ITEM(l.ptr(), static_cast<Py_ssize_t>(i), build(items[i], depth + 1).release().ptr());
        return l;
    }

    py::tuple argsTuple(const Ref& args, int depth) {
        py::object t = build(args, depth + 1);
        if (!PyTuple_Check(t.ptr())) throw ddb::ConversionError("The pickled result calls a function without an argument tuple");
        return py::reinterpret_borrow<py::tuple>(t);
    }

    py::object global(const std::string& module, const std::string& name) {
        if (!ddb::pickle::isAllowedGlobal(module, name))
            throw ddb::ConversionError("The pickled result uses " + module + "." + name +
                                       ", which is not one of the classes and functions a result may use");
        std::string key = module + "\t" + name;
        auto it = globals_.find(key);
        if (it != globals_.end()) return it->second;
        py::object obj = py::module_::import(module.c_str());
        size_t start = 0;
        for (;;) {
            size_t dot = name.find('.', start);
            obj = obj.attr(py::str(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start)));
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
        globals_.emplace(std::move(key), obj);
        return obj;
    }

    py::object call(const Object& o, int depth) {
        py::object callable = build(o.items[0], depth + 1);
        const bool noCopyNeeded = copyFree(o);
        if (noCopyNeeded &&
            (isGlobal(o.items[0], "pandas", "DataFrame") || isGlobal(o.items[0], "pandas.core.frame", "DataFrame")))
            return frame(*o.items[1]->items[0], depth);
        py::tuple args = argsTuple(o.items[1], depth);
        return steal(PyObject_Call(callable.ptr(), args.ptr(), noCopyNeeded ? noCopy().ptr() : nullptr));
    }

    // DataFrame({name: column, ...}) of fresh columns. A text column written as an object
    // array of one packed string run goes to pandas the way the DDB path sends text: as the
    // array pandas itself would make of those strs (pandas 3: Arrow-backed `str` over the
    // run's bytes), without making a str per cell.
    py::object frame(const Object& data, int depth) {
        py::tuple names(data.items.size() / 2);
        std::vector<py::object> columns(data.items.size() / 2);
        for (size_t i = 0; i + 1 < data.items.size(); i += 2) {
            names[i / 2] = build(data.items[i], depth + 2);
            py::object value = packedTextColumn(data.items[i + 1], depth + 2);
            columns[i / 2] = value ? value : build(data.items[i + 1], depth + 2);
        }
        return dataFrameOf(names, columns);
    }

    py::object packedTextColumn(const Ref& r, int depth) {
        if (r->kind != Kind::Call) return {};
        const Object* state = reconstructState(*r);
        if (!state) return {};
        const Ref& shape = state->items[1];
        const Ref& list = state->items[4];
        if (list->kind != Kind::List || !list->texts || !list->mutations.empty() || list.use_count() != 1 ||
            shape->kind != Kind::Tuple || shape->items.size() != 1 || shape->items[0]->kind != Kind::Int ||
            static_cast<size_t>(shape->items[0]->integer) != list->texts->size())
            return {};
        py::object dt = build(state->items[2], depth + 1);
        if (!py::isinstance<py::dtype>(dt) || py::reinterpret_borrow<py::dtype>(dt).kind() != 'O') return {};
        return pandasTextArray(columnOf(*list->texts));
    }

    // A packed run as a text Column: STRING offsets + bytes, or SYMBOL indices over a base.
    static ddb::Column columnOf(const ddb::pickle::TextRun& run) {
        auto text = [](const ddb::pickle::TextRun& r) {
            ddb::Column c;
            c.rawType = static_cast<uint8_t>(ddb::Type::String);
            c.length = static_cast<int64_t>(r.strings());
            c.offsets = ddb::Buffer::allocate(static_cast<size_t>(c.length + 1) * sizeof(int64_t));
            int64_t* o = c.offsets->as<int64_t>();
            o[0] = 0;
            std::memcpy(o + 1, r.ends.data(), r.ends.size() * sizeof(int64_t));
            c.data = ddb::Buffer::allocate(r.bytes.size());
            std::memcpy(c.data->data(), r.bytes.data(), r.bytes.size());
            return c;
        };
        if (!run.symbols) return text(run);
        ddb::Column c;
        c.rawType = static_cast<uint8_t>(ddb::Type::Symbol);
        c.length = static_cast<int64_t>(run.indices.size());
        c.symbols = std::make_shared<ddb::SymbolBase>();
        c.symbols->strings = text(run);
        c.data = ddb::Buffer::allocate(run.indices.size() * sizeof(int32_t));
        std::memcpy(c.data->data(), run.indices.data(), run.indices.size() * sizeof(int32_t));
        return c;
    }

    // pandas 3 copies the arrays given to Series(...) and DataFrame({...}). When the stream
    // passes them fresh objects nothing else refers to (a frame's columns, as servers write
    // them), the copy cannot be observed, so it is skipped: the same frame, without copying
    // every column (and incrementing a reference per cell of object columns) once or twice.
    static bool copyFree(const Object& o) {
        const Object& args = *o.items[1];
        if (args.items.empty() || o.mutations.size() != 0) return false;
        auto fresh = [](const Ref& r) { return r.use_count() == 1 && (r->kind == Kind::Call || r->kind == Kind::NewObj); };
        if (isGlobal(o.items[0], "pandas", "Series") || isGlobal(o.items[0], "pandas.core.series", "Series"))
            return args.items.size() <= 3 && fresh(args.items[0]);
        if (isGlobal(o.items[0], "pandas", "DataFrame") || isGlobal(o.items[0], "pandas.core.frame", "DataFrame")) {
            const Ref& data = args.items[0];
            if (args.items.size() != 1 || data.use_count() != 1 || data->kind != Kind::Dict || data->items.empty()) return false;
            for (size_t i = 1; i < data->items.size(); i += 2)
                if (!fresh(data->items[i])) return false;
            return true;
        }
        return false;
    }
    static py::dict& noCopy() {
        static auto* kwargs = new py::dict(py::arg("copy") = false);
        return *kwargs;
    }

    // _reconstruct(ndarray, (0,), b'b') + BUILD((version, (n,), dtype('O'), is_fortran, [items]))
    // -> the object array filled from the items directly, instead of building a list that
    // ndarray.__setstate__ then copies. A string met more than once (a SYMBOL section's entry)
    // becomes one str shared by its cells, as the unpickler's memo would make it.
    py::object objectArray(const Object& o, int depth) {
        const Object* state = reconstructState(o);
        if (!state) return {};
        const Ref& shapeNode = state->items[1];
        const Ref& dtypeNode = state->items[2];
        const Ref& list = state->items[4];
        if (list->kind != Kind::List || shapeNode->kind != Kind::Tuple || shapeNode->items.size() != 1 ||
            shapeNode->items[0]->kind != Kind::Int ||
            static_cast<size_t>(shapeNode->items[0]->integer) != (list->texts ? list->texts->size() : list->items.size()) ||
            !list->mutations.empty() || list.use_count() != 1)
            return {};
        py::object dt = build(dtypeNode, depth + 1);
        if (!py::isinstance<py::dtype>(dt) || py::reinterpret_borrow<py::dtype>(dt).kind() != 'O') return {};
        const size_t n = list->texts ? list->texts->size() : list->items.size();
        py::array out(py::reinterpret_borrow<py::dtype>(dt), std::vector<ssize_t>{static_cast<ssize_t>(n)});
        PyObject** slots = static_cast<PyObject**>(out.mutable_data());
        if (list->texts) {
            for (size_t i = 0; i < n; ++i) Py_CLEAR(slots[i]);
            fillTexts(*list->texts, slots);
            return out;
        }
        // Shared items, by address: a direct-mapped cache in front of the replay's memo.
        constexpr size_t kCache = 4096;
        std::vector<std::pair<const Object*, PyObject*>> cache(kCache, {nullptr, nullptr});
        for (size_t i = 0; i < n; ++i) {
            const Ref& item = list->items[i];
            PyObject* value;
            if (item->kind == Kind::Str && item.use_count() == 1) {
                value = PyUnicode_DecodeUTF8(item->text.data(), static_cast<Py_ssize_t>(item->text.size()), "surrogatepass");
                if (!value) throw py::error_already_set();
            } else if (item.use_count() == 1) {
                value = build(item, depth + 2).release().ptr();
            } else {
                auto& slot = cache[(reinterpret_cast<uintptr_t>(item.get()) >> 4) % kCache];
                if (slot.first != item.get()) slot = {item.get(), build(item, depth + 2).ptr()};   // the memo keeps it alive
                value = slot.second;
                Py_INCREF(value);
            }
            PyObject* old = slots[i];
            slots[i] = value;
            Py_XDECREF(old);
        }
        return out;
    }

    static bool ascii(std::string_view s) {
        size_t i = 0;
        uint64_t any = 0;
        for (; i + 8 <= s.size(); i += 8) {
            uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            any |= w;
        }
        for (; i < s.size(); ++i) any |= static_cast<uint8_t>(s[i]);
        return !(any & 0x8080808080808080ULL);
    }

    // The strs of a packed run into empty slots (new references): a SYMBOL section's entries
    // one str each, shared by their cells, as the unpickler's stack would share them.
    static void fillTexts(const ddb::pickle::TextRun& run, PyObject** slots) {
        auto decode = [](std::string_view s) {
            PyObject* o;
            if (ascii(s)) {   // the common case: no decoding, one copy into the new str
                o = PyUnicode_New(static_cast<Py_ssize_t>(s.size()), 127);
                if (o) std::memcpy(PyUnicode_1BYTE_DATA(o), s.data(), s.size());
            } else {
                o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogatepass");
            }
            if (!o) throw py::error_already_set();
            return o;
        };
        const size_t n = run.size();
        if (!run.symbols) {
            for (size_t i = 0; i < n; ++i) slots[i] = decode(run.at(i));
            return;
        }
        std::vector<py::object> table(run.strings());
        for (size_t k = 0; k < table.size(); ++k) table[k] = py::reinterpret_steal<py::object>(decode(run.string(k)));
        for (size_t i = 0; i < n; ++i) {
            PyObject* o = table[run.indices[i]].ptr();
            Py_INCREF(o);
            slots[i] = o;
        }
    }

    // The BUILD state of `_reconstruct(numpy.ndarray, (0,), b'b')` followed by one BUILD of a
    // 5-tuple (version, shape, dtype, is_fortran, data), or nullptr.
    static const Object* reconstructState(const Object& o) {
        if (!(isGlobal(o.items[0], "numpy._core.multiarray", "_reconstruct") ||
              isGlobal(o.items[0], "numpy.core.multiarray", "_reconstruct")))
            return nullptr;
        const Object& args = *o.items[1];
        if (args.items.size() != 3 || !isGlobal(args.items[0], "numpy", "ndarray") || o.mutations.size() != 1 ||
            o.mutations[0].kind != Mutation::Kind::Build)
            return nullptr;
        const Object& state = *o.mutations[0].args[0];
        if (state.kind != Kind::Tuple || state.items.size() != 5) return nullptr;
        const Ref& fortran = state.items[3];
        if (fortran->kind != Kind::Bool && fortran->kind != Kind::Int) return nullptr;
        return &state;
    }

    // cls.__new__(cls, *args[, **kwargs])
    py::object newObj(const Object& o, int depth) {
        py::object cls = build(o.items[0], depth + 1);
        py::tuple args = argsTuple(o.items[1], depth);
        py::list all;
        all.append(cls);
        for (auto a : args) all.append(a);
        py::object kwargs = o.items.size() > 2 ? build(o.items[2], depth + 1) : py::object(py::dict());
        return steal(PyObject_Call(cls.attr("__new__").ptr(), py::tuple(all).ptr(), kwargs.ptr()));
    }

    // INST / OBJ, as Unpickler._instantiate.
    py::object instance(const Object& o, int depth) {
        py::object cls = build(o.items[0], depth + 1);
        py::tuple args = argsTuple(o.items[1], depth);
        if (args.size() || !PyType_Check(cls.ptr()) || py::hasattr(cls, "__getinitargs__"))
            return steal(PyObject_Call(cls.ptr(), args.ptr(), nullptr));
        return cls.attr("__new__")(cls);
    }

    void mutate(py::object& obj, const Mutation& m, int depth) {
        switch (m.kind) {
            case Mutation::Kind::Build: return buildState(obj, build(m.args[0], depth + 1));
            case Mutation::Kind::Append:
                if (PyList_Check(obj.ptr())) {
                    if (PyList_Append(obj.ptr(), build(m.args[0], depth + 1).ptr()) != 0) throw py::error_already_set();
                } else {
                    obj.attr("append")(build(m.args[0], depth + 1));
                }
                return;
            case Mutation::Kind::Extend: {
                py::list items = buildList(m.args, depth);
                if (py::hasattr(obj, "extend")) {
                    obj.attr("extend")(items);
                } else {
                    py::object append = obj.attr("append");
                    for (auto item : items) append(item);
                }
                return;
            }
            case Mutation::Kind::SetItems:
                for (size_t i = 0; i + 1 < m.args.size(); i += 2) {
                    py::object k = build(m.args[i], depth + 1);
                    if (PyObject_SetItem(obj.ptr(), k.ptr(), build(m.args[i + 1], depth + 1).ptr()) != 0)
                        throw py::error_already_set();
                }
                return;
            case Mutation::Kind::AddItems: {
                py::list items = buildList(m.args, depth);
                if (PySet_Check(obj.ptr())) {
                    for (auto item : items)
                        if (PySet_Add(obj.ptr(), item.ptr()) != 0) throw py::error_already_set();
                } else {
                    py::object add = obj.attr("add");
                    for (auto item : items) add(item);
                }
                return;
            }
        }
    }

    // BUILD, as Unpickler.load_build.
    static void buildState(py::object& inst, py::object state) {
        if (py::hasattr(inst, "__setstate__")) {
            inst.attr("__setstate__")(state);
            return;
        }
        py::object slotstate = py::none();
        if (PyTuple_Check(state.ptr()) && PyTuple_GET_SIZE(state.ptr()) == 2) {
            py::tuple t = py::reinterpret_borrow<py::tuple>(state);
            state = t[0];
            slotstate = t[1];
        }
        if (PyObject_IsTrue(state.ptr()) == 1) {
            py::object instDict = inst.attr("__dict__");
            for (auto item : state.attr("items")()) {
                py::tuple kv = py::reinterpret_borrow<py::tuple>(item);
                py::object k = kv[0];
                if (PyUnicode_CheckExact(k.ptr())) {
                    PyObject* interned = k.release().ptr();
                    PyUnicode_InternInPlace(&interned);
                    k = py::reinterpret_steal<py::object>(interned);
                }
                instDict[k] = kv[1];
            }
        }
        if (!slotstate.is_none() && PyObject_IsTrue(slotstate.ptr()) == 1)
            for (auto item : slotstate.attr("items")()) {
                py::tuple kv = py::reinterpret_borrow<py::tuple>(item);
                py::setattr(inst, kv[0], kv[1]);
            }
    }

    // numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b') + BUILD((version, shape,
    // dtype, is_fortran, <bytes>)) for a dtype without objects -> an ndarray over the bytes'
    // buffer. Anything else (object arrays, subclasses, odd states) takes the general path,
    // where numpy validates it. Returns a null object when the shortcut does not apply.
    py::object bytesArray(const Object& o, int depth) {
        if (!(isGlobal(o.items[0], "numpy._core.multiarray", "_reconstruct") ||
              isGlobal(o.items[0], "numpy.core.multiarray", "_reconstruct")))
            return {};
        const Object& args = *o.items[1];
        if (args.items.size() != 3 || !isGlobal(args.items[0], "numpy", "ndarray") || o.mutations.size() != 1 ||
            o.mutations[0].kind != Mutation::Kind::Build)
            return {};
        const Object& state = *o.mutations[0].args[0];
        if (state.kind != Kind::Tuple || state.items.size() != 5) return {};
        const Ref& shapeNode = state.items[1];
        const Ref& fortran = state.items[3];
        const Ref& data = state.items[4];
        if (shapeNode->kind != Kind::Tuple || data->kind != Kind::Bytes || !data->bytes ||
            (fortran->kind != Kind::Bool && fortran->kind != Kind::Int))
            return {};
        std::vector<ssize_t> shape;
        for (const auto& d : shapeNode->items) {
            if (d->kind != Kind::Int || d->integer < 0) return {};
            shape.push_back(static_cast<ssize_t>(d->integer));
        }
        py::object dt = build(state.items[2], depth + 1);
        if (!py::isinstance<py::dtype>(dt)) return {};
        py::dtype dtype = py::reinterpret_borrow<py::dtype>(dt);
        if (dtype.attr("hasobject").cast<bool>()) return {};
        const ssize_t item = dtype.itemsize();
        unsigned __int128 total = static_cast<unsigned __int128>(item);
        for (ssize_t d : shape) total *= static_cast<unsigned __int128>(d);
        if (total != data->bytes->size()) return {};
        bool isFortran = fortran->kind == Kind::Bool ? fortran->boolean : fortran->integer != 0;
        std::vector<ssize_t> strides(shape.size());
        ssize_t stride = item;
        if (isFortran) {
            for (size_t i = 0; i < shape.size(); ++i) {
                strides[i] = stride;
                stride *= std::max<ssize_t>(shape[i], 1);
            }
        } else {
            for (size_t i = shape.size(); i-- > 0;) {
                strides[i] = stride;
                stride *= std::max<ssize_t>(shape[i], 1);
            }
        }
        auto* keep = new std::shared_ptr<ddb::Buffer>(data->bytes);
        py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<ddb::Buffer>*>(p); });
        return py::array(dtype, shape, strides, (*keep)->data(), owner);
    }

    std::unordered_map<const Object*, py::object> done_;
    std::unordered_set<const Object*> building_;
    std::unordered_map<std::string, py::object> globals_;
};

}   // namespace

py::object pickledObject(const ddb::pickle::Tree& tree, ddb::Form form) {
    py::object result;
    try {
        Replayer r;
        result = r.build(tree.root, 0);
    } catch (py::error_already_set& e) {
        if (!e.matches(PyExc_Exception)) throw;   // KeyboardInterrupt, SystemExit: the caller's
        throw ddb::ConversionError("Cannot rebuild the PICKLE result: " + describe(e));
    }
    // The official client transposes an object-dtype matrix (DolphinDBImp.cpp, runPy).
    if (form == ddb::Form::Matrix && PyList_Check(result.ptr()) && PyList_GET_SIZE(result.ptr()) > 0) {
        py::object first = py::reinterpret_borrow<py::object>(PyList_GET_ITEM(result.ptr(), 0));
        if (py::isinstance<py::array>(first) && py::reinterpret_borrow<py::array>(first).dtype().kind() == 'O')
            PyList_SetItem(result.ptr(), 0, first.attr("transpose")().release().ptr());
    }
    return result;
}

}   // namespace ddbpy
