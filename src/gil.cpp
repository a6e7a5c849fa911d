#include "gil.h"

#include <pythread.h>

#include <chrono>
#include <thread>

namespace ddbpy {

bool pythonFinalizing() {
#if PY_VERSION_HEX >= 0x030D0000
    return !Py_IsInitialized() || Py_IsFinalizing();
#else
    return !Py_IsInitialized() || _Py_IsFinalizing();
#endif
}

namespace {
unsigned long mainThread = 0;
}   // namespace

void noteMainThread(unsigned long ident) { mainThread = ident; }

bool onMainThread() { return PyThread_get_thread_ident() == mainThread; }

// The main thread finalizes the interpreter (Py_IsInitialized() is already false while it
// tears the modules down, and destroys our objects): it may always take the GIL.
bool mayTakeGil() { return onMainThread() || !pythonFinalizing(); }

void parkForever() {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(24));
}

namespace {

// The one extra PyGILState reference that keeps this thread's state alive. Dropped when the
// thread ends (its C++ thread_local destructors run after the thread function has returned:
// pools and writers join their threads on shutdown, with the GIL released). Once the
// interpreter is finalizing, taking the GIL would end this thread inside a destructor: the state
// is left to the interpreter, which clears every thread state it still has.
struct KeptThreadState {
    bool kept = false;
    ~KeptThreadState() {
        if (!kept || pythonFinalizing()) return;
        PyGILState_STATE state = PyGILState_Ensure();
        PyGILState_Release(PyGILState_LOCKED);   // the kept reference
        PyGILState_Release(state);   // the last one: clears and deletes the state, releases the GIL
    }
};

thread_local KeptThreadState kept;

}   // namespace

NativeThreadGil::NativeThreadGil() {
    if (!mayTakeGil()) return;
    const bool knownToPython = kept.kept || PyGILState_GetThisThreadState() != nullptr;
    state_ = PyGILState_Ensure();
    held_ = true;
    if (!knownToPython) {
        (void)PyGILState_Ensure();   // held until the thread ends: see KeptThreadState
        kept.kept = true;
    }
}

}   // namespace ddbpy
