// The GIL from native code, safely at any point of the interpreter's life.
//
// NativeThreadGil takes it on a native thread (a pool worker or executor, a writer thread)
// without paying for a Python thread state each time. py::gil_scoped_acquire on a thread that
// has none creates one and deletes it again on release (an mmap + munmap of its frame stack per
// completion, measured at an eighth of a pool fan-out's CPU). NativeThreadGil creates it on the
// thread's first use and keeps it until the thread ends; a thread Python already knows (the main
// thread, a threading.Thread) just takes the GIL with its own state.
//
// ReleasedGil lets it go for a wait and takes it back at the end.
//
// Once the interpreter is finalizing, only the finalizing thread may run Python: CPython 3.11
// ends any other thread that asks for the GIL with pthread_exit, whose unwinding through C++
// frames (a noexcept destructor, a catch (...)) aborts the process ("terminate called without an
// active exception", "FATAL: exception not rethrown"). So a native thread that finds the
// interpreter finalizing does not take the GIL (held() is false: the caller skips its Python
// work), and a Python thread (a daemon thread whose wait outlived the interpreter) parks for
// good instead of coming back, as CPython 3.14 itself does. Native threads normally end before
// that: pools, writers and sessions stop them at exit (the `atexit` hooks of the package).
#pragma once

#include <Python.h>

namespace ddbpy {

// The interpreter is going away (or gone).
bool pythonFinalizing();
// Whether this thread may take the GIL now: the interpreter is running, or this is its main
// thread (the one that finalizes it).
bool mayTakeGil();
// Python's main thread (the only one signal handlers run on), noted once at import.
void noteMainThread(unsigned long ident);
bool onMainThread();

// Never returns: the thread sleeps until the process ends.
[[noreturn]] void parkForever();

class NativeThreadGil {
public:
    NativeThreadGil();
    ~NativeThreadGil() {
        if (held_) PyGILState_Release(state_);
    }
    NativeThreadGil(const NativeThreadGil&) = delete;
    NativeThreadGil& operator=(const NativeThreadGil&) = delete;

    bool held() const { return held_; }

private:
    PyGILState_STATE state_{};
    bool held_ = false;
};

class ReleasedGil {
public:
    ReleasedGil() : state_(PyEval_SaveThread()) {}
    // noexcept(false): if finalization begins between the check and the wait for the GIL,
    // CPython's pthread_exit unwinds through here, and must be let through.
    ~ReleasedGil() noexcept(false) {
        if (!mayTakeGil()) parkForever();
        PyEval_RestoreThread(state_);
    }
    ReleasedGil(const ReleasedGil&) = delete;
    ReleasedGil& operator=(const ReleasedGil&) = delete;

private:
    PyThreadState* state_;
};

}   // namespace ddbpy
