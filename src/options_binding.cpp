// dolphindb._core.ConnectOptions / ResilienceOptions / PoolOptions: the core's options structs,
// built from keywords (`PoolOptions(size=4, connect=ConnectOptions(host=...))`) and read back
// as attributes (no repr: they carry a password). Every field comes from the struct's own fields() list (cpp/options.h): nothing
// here names a single option. The few field types Python has no direct form for convert here:
// a Node is a "host:port" string, a TLS context is None or (ca_file, verify).
#include <pybind11/stl.h>

#include <string>
#include <tuple>
#include <type_traits>

#include "cluster/resilient_connection.h"
#include "errors.h"
#include "net/tls.h"
#include "pool/pool.h"

namespace py = pybind11;

namespace pybind11::detail {

template <>
struct type_caster<ddb::Node> {
    PYBIND11_TYPE_CASTER(ddb::Node, const_name("str"));
    bool load(handle src, bool) {
        if (!PyUnicode_Check(src.ptr())) return false;
        try {
            value = ddb::parseNode(src.cast<std::string>());
        } catch (const ddb::Error& e) {
            throw value_error(e.what());
        }
        return true;
    }
    static handle cast(const ddb::Node& node, return_value_policy, handle) { return py::str(node.str()).release(); }
};

// None (plaintext) or (ca_file, verify); ca_file "" means the system's trusted CAs. Loading
// builds the context, so a CA file that cannot be read raises TlsError here.
template <>
struct type_caster<std::shared_ptr<const ddb::TlsContext>> {
    PYBIND11_TYPE_CASTER(std::shared_ptr<const ddb::TlsContext>, const_name("Optional[Tuple[str, bool]]"));
    bool load(handle src, bool) {
        if (src.is_none()) {
            value = nullptr;
            return true;
        }
        if (!py::isinstance<py::tuple>(src)) return false;
        auto [caFile, verify] = src.cast<std::pair<std::string, bool>>();
        value = std::make_shared<const ddb::TlsContext>(ddb::TlsOptions{caFile, verify});
        return true;
    }
    static handle cast(const std::shared_ptr<const ddb::TlsContext>& tls, return_value_policy, handle) {
        if (!tls) return py::none().release();
        return py::make_tuple(tls->options().caFile, tls->options().verify).release();
    }
};

}   // namespace pybind11::detail

namespace ddbpy {

namespace {

// o.<key> = value, for the field of that name; an unknown name or a value of the wrong type
// raises TypeError naming the struct and the field.
template <class Options>
void setField(Options& o, const char* typeName, const std::string& key, py::handle value) {
    bool found = false;
    std::apply(
        [&](auto... f) {
            auto assign = [&](auto field) {
                if (found || key != field.name) return;
                found = true;
                using T = std::remove_cvref_t<decltype(o.*(field.member))>;
                try {
                    o.*(field.member) = value.template cast<T>();
                } catch (const py::cast_error&) {
                    throw py::type_error(std::string(typeName) + "." + key + " cannot be set from a " +
                                         std::string(py::str(py::type::of(value).attr("__name__"))));
                }
            };
            (assign(f), ...);
        },
        Options::fields());
    if (!found) throw py::type_error(std::string(typeName) + "() has no option '" + key + "'");
}

template <class Options>
void bindOptions(py::module_& m, const char* name) {
    py::class_<Options> cls(m, name);
    cls.def(py::init([name](const py::kwargs& kwargs) {
        Options o;
        for (auto item : kwargs) setField(o, name, py::str(item.first), item.second);
        return o;
    }));
    std::apply([&](auto... f) { (cls.def_readwrite(f.name, f.member), ...); }, Options::fields());
}

}   // namespace

void registerOptions(py::module_& m) {
    bindOptions<ddb::ConnectOptions>(m, "ConnectOptions");
    bindOptions<ddb::ResilienceOptions>(m, "ResilienceOptions");
    bindOptions<ddb::PoolOptions>(m, "PoolOptions");
}

}   // namespace ddbpy
