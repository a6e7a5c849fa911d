// The one way the bindings wait for the server: with the GIL released, answering Ctrl-C and a
// deadline meanwhile (like DuckDB and polars, the main thread takes the GIL for a moment every
// 100 ms to run PyErr_CheckSignals). Every socket read and wait of the work consults the
// WaitScope installed here (cpp/net/wait_scope.h).
//
// A Ctrl-C (a signal whose handler raises) or the deadline does not cut the connection at once:
// `stop` starts asking the server to end the job (it must not block), and the reply, normally an
// error by then, is still read to its end within a grace period, so the session stays in step
// with the server and keeps its variables. A second Ctrl-C, or a grace period that runs out,
// ends the wait at once (the work's connection is closed then). Either way the call raises what
// stopped it: the KeyboardInterrupt (or whatever the signal handler raised), or DDBTimeoutError.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <string>

namespace py = pybind11;

namespace ddbpy {

struct WaitOptions {
    int deadlineMs = -1;   // < 0: none
    // Called on the waiting thread; returns false (or is empty) when there is nothing to stop
    // yet: the interruption then ends the wait at once.
    std::function<bool()> stop;
    int graceMs = 2000;
};

// Runs `work`, which must not touch Python, with the GIL released (held on entry and exit).
// Raises what stopped the work (see above), else what the work threw.
void waitWithoutGil(const WaitOptions& options, const std::function<void()>& work);

// Called once at import (GIL held): notes which thread is Python's main thread, the only one
// signal handlers run on.
void registerBlocking(py::module_& m);

}   // namespace ddbpy
