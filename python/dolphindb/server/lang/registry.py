"""The registry of built-in functions, shared by the evaluator, the library and the server.

A built-in receives the calling session context and already-evaluated argument Values::

    @builtin("size", 1)
    def size(ctx, x): ...

    @builtin("sleep", 1, system=True)      # system functions may touch the server state
    def sleep(ctx, ms): ...

`ctx` is the session context (see ``context.py``): variables, the server, print output,
cancellation checks. Errors are raised as ``ScriptError`` with the real server's text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional

from ..errors import ScriptError




@dataclass
class Builtin:
    name: str
    fn: Callable
    min_args: int
    max_args: Optional[int]      # None = variadic
    aggregate: bool = False      # an aggregate for SQL group by / context by
    system: bool = False

    def check_arity(self, n: int) -> None:
        if n < self.min_args or (self.max_args is not None and n > self.max_args):
            if self.max_args == self.min_args:
                expected = str(self.min_args)
            elif self.max_args is None:
                expected = f"at least {self.min_args}"
            else:
                expected = f"{self.min_args} to {self.max_args}"
            raise ScriptError(f"The function [{self.name}] expects {expected} argument(s), "
                              f"but the actual number of arguments is: {n}")


BUILTINS: Dict[str, Builtin] = {}


def builtin(name: str, min_args: int, max_args: Optional[int] = -1, *, aggregate: bool = False,
            system: bool = False, aliases=()):
    """Registers a built-in; ``max_args=-1`` (default) means exactly ``min_args``."""
    def register(fn):
        b = Builtin(name, fn, min_args, min_args if max_args == -1 else max_args, aggregate, system)
        for n in (name, *aliases):
            BUILTINS[n] = b
        return fn
    return register


def constant(value) -> Callable:
    """A built-in of no arguments returning `value` (type names, VAR / SHARED, partition kinds);
    the interpreter reads a bare name of one as its value."""
    def fn(ctx):
        return value
    fn.is_constant = True
    return fn


def lookup(name: str) -> Builtin:
    b = BUILTINS.get(name)
    if b is None:
        raise ScriptError(f"Can't recognize function name {name}")
    return b
