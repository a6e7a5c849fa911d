"""The `Table` query builder of the official client (`s.table(...)`, `s.loadTable(...)`).

Builder methods (`select`, `where`, `sort`, `top`, `groupby`, ...) return modified copies and
send nothing; executing calls (`toDF`, `rows`, `execute`, `update(...).execute()`, ...) send the
same script text as the official client 3.0.6.1. Where that client's text is unsafe we differ
only for the unsafe inputs: names that are not identifiers are quoted and escaped, clauses are
joined with single spaces (the official client collapses runs of spaces inside string literals
too), and `ols` does not assign a session variable `z`.

A Table reading a temporary server variable (a `TMP_TBL_` name: an upload, a loadTable handle,
a loadText result) shares one `_Handle` with all its copies; when the last of them is collected,
the name is queued on the session and freed with others in one `undef` request before a later
request of the session (a batch of 32 names, or after a second; see `_script.Temporaries`). No
finalizer ever sends anything.
"""
from __future__ import annotations

import copy
import re
import weakref
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._script import column_name, column_ref, is_temporary, partition_token, string_literal, symbols, temp_table_name

Names = Union[str, Tuple[str, ...], List[str]]


def _as_list(value) -> list:
    if isinstance(value, (list, tuple)):
        return [str(x) for x in value]
    return [str(value)]


def _row_count(value) -> str:
    """A top/limit number as SQL text: an int, or a str holding one."""
    text = str(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, str)) or not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"top and limit take integers, not {value!r}")
    return text


def _func_name(f) -> str:
    return f if isinstance(f, str) else f.__name__


def _join_clauses(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _where_clause(conds: Sequence[str]) -> str:
    if not conds:
        return ""
    if len(conds) == 1:
        return "where " + conds[0]
    return "where " + " and ".join("(" + c + ")" for c in conds)


def _ordering(bys: Names, ascending) -> List[str]:
    keys = _as_list(bys)
    if isinstance(ascending, bool):
        return keys if ascending else [k + " desc" for k in keys]
    if len(ascending) != len(keys):
        raise ValueError(f"Length of ascending ({len(ascending)}) != length of by ({len(keys)})")
    return [k if asc else k + " desc" for k, asc in zip(keys, ascending)]


class _Handle:
    """The server variable behind a Table and its copies. A temporary one is queued for `undef`
    when the last Table holding it is collected."""

    __slots__ = ("name", "__weakref__")

    def __init__(self, session, name: str, owned: bool):
        self.name = name
        if owned and is_temporary(name):
            weakref.finalize(self, session._temporaries.discard, name)


class Table:
    """A DolphinDB table seen through SQL: a server variable, or a query over one."""

    def __init__(self, dbPath: str = None, data=None, tableAliasName: str = None,
                 partitions: Optional[list] = None, inMem: bool = False, schemaInited: bool = False,
                 s=None, needGC: bool = True, isMaterialized: bool = False):
        if s is None:
            raise RuntimeError("Session must be provided")
        if partitions is None:
            partitions = []
        if not isinstance(partitions, list):
            raise RuntimeError("Column names must be passed in as a list")
        self._session = s
        self.isMaterialized = isMaterialized or tableAliasName is not None
        self._select: Optional[List[str]] = None
        self._where: Tuple[str, ...] = ()
        self._groupby: Optional[List[str]] = None
        self._contextby: Optional[List[str]] = None
        self._having: Optional[str] = None
        self._sort: Optional[List[str]] = None
        self._csort: Optional[List[str]] = None
        self._top: Optional[str] = None
        self._limit: Optional[List[str]] = None
        self._exec = False
        self._left: Optional[str] = None
        self._right: Optional[str] = None
        self._merge_for_update = False
        self._columns: Optional[List[str]] = None
        self._operands: Tuple[_Handle, ...] = ()
        if isinstance(data, str):
            name = data
            if dbPath:
                name = _variable(tableAliasName) if tableAliasName else temp_table_name(data)
                if partitions and not isinstance(partitions[0], str):
                    parts = "[" + ",".join(partition_token(x) for x in partitions) + "]"
                else:
                    parts = ("[" + ",".join(string_literal(p) for p in partitions) + "]") if partitions else ""
                s.run(f"{name} = loadTable({string_literal(dbPath)}, {string_literal(data)}, {parts}, "
                      f"{str(bool(inMem)).lower()})")
            self._handle = _Handle(s, name, needGC)
            if not schemaInited:
                self._init_columns()
                self._select = list(self._columns)
        elif data is not None and (isinstance(data, dict) or _is_frame_like(data)):
            name = tableAliasName or temp_table_name()
            if isinstance(data, dict):
                import pandas as pd
                data = pd.DataFrame(data)
            s.upload({name: data})
            self._handle = _Handle(s, name, needGC)
            # The column list is the frame's; `cols`/`colNames` still ask the server (as the official client).
            self._select = [column_ref(str(c)) for c in _frame_columns(data)]
        else:
            raise RuntimeError("data must be a remote dolphindb table name or dict or DataFrame")

    # -- identity -----------------------------------------------------------------------------
    @property
    def _name(self) -> str:
        return self._source if "_source" in self.__dict__ else self._handle.name

    def tableName(self) -> str:
        return self._name

    _getTableName = tableName

    def session(self):
        return self._session

    def __getitem__(self, cols: Names) -> "Table":
        return self.select(cols)

    def getLeftTable(self):
        return self._left

    def getRightTable(self):
        return self._right

    @property
    def isExec(self) -> bool:
        return self._exec

    @property
    def isMergeForUpdate(self) -> bool:
        return self._merge_for_update

    def setMergeForUpdate(self, toUpdate: bool) -> None:
        self._merge_for_update = toUpdate

    def _replace(self, **fields) -> "Table":
        clone = copy.copy(self)
        for key, value in fields.items():
            setattr(clone, key, value)
        return clone

    def _nested(self) -> Optional[str]:
        """The `from` source of a query built on this one: itself when it is a plain table,
        else its SQL in parentheses."""
        return None if self.isMaterialized else f"({self.showSQL()})"

    def _with_source(self, source: Optional[str], **fields) -> "Table":
        if source is not None:
            fields["_source"] = source
        return self._replace(**fields)

    # -- schema -------------------------------------------------------------------------------
    def _init_columns(self) -> None:
        if self._columns is None:
            schema = self._session.run(f"schema({self._name})")
            self._columns = [column_ref(n) for n in schema["colDefs"]["name"].tolist()]

    @property
    def cols(self) -> int:
        self._init_columns()
        return len(self._columns)

    @property
    def colNames(self) -> List[str]:
        self._init_columns()
        return [column_name(c) for c in self._columns]

    @property
    def schema(self):
        return self._session.run(f"schema({self._name})").get("colDefs")

    # -- builder ------------------------------------------------------------------------------
    def select(self, cols: Names) -> "Table":
        return self._with_source(self._nested(), _select=_as_list(cols), isMaterialized=False)

    def exec(self, cols: Names) -> "Table":
        return self._with_source(self._nested(), _select=_as_list(cols), _exec=True, isMaterialized=False)

    def where(self, conds) -> "Table":
        return self._replace(_where=self._where + tuple(_as_list(conds)))

    def sort(self, bys: Names, ascending=True) -> "Table":
        return self._replace(_sort=_ordering(bys, ascending))

    def csort(self, bys: Names, ascending=True) -> "Table":
        return self._replace(_csort=_ordering(bys, ascending))

    def top(self, num: int) -> "Table":
        return self._replace(_top=_row_count(num))

    def limit(self, num) -> "Table":
        """`limit n`, or `limit start,count` from a pair; negative counts work with contextby."""
        return self._replace(_limit=[_row_count(n) for n in (num if isinstance(num, (list, tuple)) else [num])])

    def groupby(self, cols: Names) -> "TableGroupby":
        if self._contextby is not None:
            raise RuntimeError("multiple context/group-by are not allowed ")
        keys = list(cols) if isinstance(cols, list) else [cols]
        return TableGroupby(self._replace(_groupby=keys), keys)

    def contextby(self, cols: Names) -> "TableContextby":
        if self._groupby is not None:
            raise RuntimeError("multiple context/group-by are not allowed ")
        keys = list(cols) if isinstance(cols, list) else [cols]
        return TableContextby(self._replace(_contextby=keys), keys)

    def pivotby(self, index: str, column: str, value=None, aggFunc=None) -> "TablePivotBy":
        return TablePivotBy(self, index, column, value, aggFunc)

    def _having_copy(self, expr: str) -> "Table":
        return self._replace(_having=expr)

    # -- joins --------------------------------------------------------------------------------
    def _join_operand(self, side: str) -> str:
        if self.isMaterialized:
            return self._name
        return f"({self.showSQL()}) as {temp_table_name(side)}"

    def _join(self, right: "Table", expression: str, merge_for_update: bool = False) -> "Table":
        # The join reads both operands: it keeps the right one's temporary variable alive too.
        return self._replace(_source=expression, _left=self._name, _right=right.tableName(), _select=["*"],
                             _merge_for_update=merge_for_update, isMaterialized=False,
                             _operands=self._operands + (right._handle,) + right._operands)

    @staticmethod
    def _join_keys(on, left_on, right_on) -> Tuple[str, str]:
        def listed(v):
            return None if v is None else (list(v) if isinstance(v, (list, tuple)) else [v])
        on, left_on, right_on = listed(on), listed(left_on), listed(right_on)
        if on is not None:
            left_on = right_on = on
        elif left_on is None and right_on is None:
            raise ValueError("at least one of {'on', 'left_on', 'right_on'} must be present")
        elif left_on is not None and right_on is not None and len(left_on) != len(right_on):
            raise ValueError("'left_on' must have the same length as 'right_on'")
        left_on = left_on if left_on is not None else right_on
        right_on = right_on if right_on is not None else left_on
        return symbols(left_on), symbols(right_on)

    def merge(self, right: "Table", how: str = "inner", on=None, left_on=None, right_on=None,
              sort: bool = False, merge_for_update: bool = False) -> "Table":
        functions = {"inner": "ej", "left": "lj", "right": "lj", "outer": "fj", "left semi": "lsj"}
        if how not in functions:
            raise ValueError(f"how must be one of {sorted(functions)}, not {how!r}")
        function = functions[how]
        if sort and function != "fj":
            function = "s" + function
        left = self._name if (self.isMaterialized or merge_for_update) else self._join_operand("TMP_L")
        right_side = right._join_operand("TMP_R")
        if how == "right":
            left, right_side = right_side, left
            left_on, right_on = right_on, left_on
        lkeys, rkeys = self._join_keys(on, left_on, right_on)
        return self._join(right, f"{function}({left},{right_side},{lkeys},{rkeys})", merge_for_update)

    def merge_asof(self, right: "Table", on=None, left_on=None, right_on=None) -> "Table":
        lkeys, rkeys = self._join_keys(on, left_on, right_on)
        return self._join(right, f"aj({self._join_operand('TMP_L')},{right._join_operand('TMP_R')},{lkeys},{rkeys})")

    def merge_window(self, right: "Table", leftBound: int, rightBound: int, aggFunctions, on=None,
                     left_on=None, right_on=None, prevailing: bool = False) -> "Table":
        lkeys, rkeys = self._join_keys(on, left_on, right_on)
        if isinstance(aggFunctions, list):
            aggFunctions = "[" + ",".join(aggFunctions) + "]"
        function = "pwj" if prevailing else "wj"
        expression = (f"{function}({self._join_operand('TMP_L')},{right._join_operand('TMP_R')},"
                      f"{int(leftBound)}:{int(rightBound)},<{aggFunctions}>,{lkeys},{rkeys})")
        return self._join(right, expression)

    def merge_cross(self, right: "Table") -> "Table":
        return self._join(right, f"cj({self._join_operand('TMP_L')},{right._join_operand('TMP_R')})")

    # -- SQL text -----------------------------------------------------------------------------
    def _select_list(self) -> str:
        return ",".join(self._select) if self._select else "*"

    def _grouping(self) -> str:
        if self._groupby is not None:
            return "group by " + ",".join(self._groupby)
        if self._contextby is not None:
            return "context by " + ",".join(self._contextby)
        return ""

    def _tail(self) -> str:
        """Everything from `from` on."""
        return _join_clauses(
            "from " + self._name, _where_clause(self._where), self._grouping(),
            "csort " + ",".join(self._csort) if self._csort else "",
            "having " + self._having if self._having else "",
            "order by " + ",".join(self._sort) if self._sort else "",
            "limit " + ",".join(self._limit) if self._limit else "")

    def _sql(self, verb: str) -> str:
        return _join_clauses(verb, "top " + self._top if self._top else "", self._select_list(), self._tail())

    def showSQL(self) -> str:
        return self._sql("exec" if self._exec else "select")

    def __str__(self) -> str:
        return self.showSQL()

    # -- executing ----------------------------------------------------------------------------
    def toDF(self):
        return self._session.run(self.showSQL())

    toDataFrame = toDF

    def toList(self) -> list:
        return self._session.run(self.showSQL(), pickleTableToList=True)

    @property
    def rows(self) -> int:
        df = self._session.run("select count(*) as ct " + self._tail())
        if df.shape[0] > 1:
            return df.shape[0]
        return df["ct"].iloc[0]

    def execute(self, expr: Names = None) -> Any:
        query = self if not expr else self._replace(_select=_as_list(expr))
        return self._session.run(query._sql("exec"))

    def selectAsVector(self, colName: Names):
        return self.execute(colName)

    def executeAs(self, newTableName: str) -> "Table":
        self._session.run(f"{_variable(newTableName)}=({self.showSQL()})")
        return Table(data=newTableName, s=self._session)

    def append(self, table: "Table") -> "Table":
        if not isinstance(table, Table):
            raise RuntimeError("Only DolphinDB Table object is accepted")
        self._session.run(f"tableInsert({self._name}, {table.tableName()})")
        return self

    def update(self, cols: List[str], vals: List[str]) -> "TableUpdate":
        """`update <t> set ...`: grouping and having of this Table are not carried over (as in the
        official client); use `contextby(...).update(...)` for a grouped update."""
        return TableUpdate(self, cols, vals)

    def delete(self) -> "TableDelete":
        return TableDelete(self)

    def drop(self, cols: Union[str, List[str]]) -> "Table":
        """Drops columns on the server now, and from this Table's select list."""
        if isinstance(cols, str):
            cols = [cols]
        if not isinstance(cols, list):
            raise TypeError("cols must be a str or a list of str.")
        if not cols:
            return self
        cols = [column_name(c) for c in cols]
        target = string_literal(cols[0]) if len(cols) == 1 else "[" + ",".join(string_literal(c) for c in cols) + "]"
        self._session.run(f"{self._name}.drop!({target})")
        dropped = {c.lower() for c in cols}
        if self._select is not None:
            self._select = [c for c in self._select if column_name(c).lower() not in dropped]
        if self._columns is not None:
            self._columns = [c for c in self._columns if column_name(c).lower() not in dropped]
        return self

    def rename(self, newName: str) -> None:
        """Assigns the table to a session variable `newName`; this Table then reads from it."""
        self._session.run(_variable(newName) + "=" + self._name)
        self.__dict__.pop("_source", None)
        self._handle = _Handle(self._session, newName, owned=False)

    def ols(self, Y: str, X: Union[str, List[str]], INTERCEPT: bool = True):
        if not isinstance(Y, str):
            raise ValueError("Y must be a column name")
        if isinstance(X, str):
            X = [X]
        elif not isinstance(X, list):
            raise ValueError("X must be a column name or a list of column names")
        if not Y or not X:
            raise ValueError("Invalid Input data")
        names = "[" + ", ".join(string_literal(x, "'") for x in X) + "]"
        intercept = str(bool(INTERCEPT)).lower()
        schema = self._session.run(f"schema({self._name})")
        if schema.get("partitionColumnName"):
            return self._session.run(f"olsEx(sqlDS(<{self.showSQL()}>),{string_literal(Y)},{names},{intercept},2)")
        return self._session.run(f"exec ols({Y},{names},{intercept},2) from {self._name}")


def _variable(name: str) -> str:
    from ._script import identifier
    return identifier(name, "table")


def _is_frame_like(data) -> bool:
    kind = type(data)
    return (kind.__name__ == "DataFrame" and kind.__module__.startswith("pandas")) or \
        (kind.__name__ == "Table" and kind.__module__.startswith("pyarrow"))


def _frame_columns(data) -> List[str]:
    return list(data.column_names) if hasattr(data, "column_names") else list(data.columns)


class _Grouped:
    """What TableGroupby and TableContextby share: a Table with its grouping, and aggregates."""

    def __init__(self, t: Table, keys: List[str]):
        self._t = t
        self._keys = keys

    def __iter__(self):
        return iter(self._keys)

    def __getitem__(self, item):
        return type(self)(self._t.select(item), self._keys)

    def showSQL(self) -> str:
        return self._t.showSQL()

    def toDF(self):
        return self._t.toDF()

    toDataFrame = toDF

    def selectAsVector(self, colName):
        return self._t.execute(colName)

    def sort(self, bys: Names, ascending=True):
        return type(self)(self._t.sort(bys, ascending), self._keys)

    def csort(self, bys: Names, ascending=True):
        return type(self)(self._t.csort(bys, ascending), self._keys)

    def having(self, expr: str) -> Table:
        return self._t._having_copy(expr)

    def executeAs(self, newTableName: str) -> Table:
        self._t.session().run(f"{_variable(newTableName)}={self.showSQL()}")
        return Table(data=newTableName, s=self._t.session())

    def ols(self, Y: str, X: List[str], INTERCEPT: bool = True):
        return self._t.ols(Y=Y, X=X, INTERCEPT=INTERCEPT)

    def _aggregated(self, items: List[str]) -> Table:
        return self._t._replace(_select=items, isMaterialized=False)

    def _calls(self, func) -> List[str]:
        cols = self._t._select or []
        if isinstance(func, list):
            return [_func_name(f) + "(" + x + ")" for x in cols for f in func if self._keeps(x)]
        if isinstance(func, dict):
            return [_func_name(f) + "(" + x + ")" for x, fs in func.items()
                    for f in (fs if isinstance(fs, list) else [fs]) if self._keeps(x)]
        if isinstance(func, str) or callable(func):
            return [_func_name(func) + "(" + x + ")" for x in cols if self._keeps(x)]
        raise RuntimeError("invalid func format, func: aggregate function name or a list of aggregate function "
                           "names or a dict of column label/expression->func")

    def _keeps(self, column: str) -> bool:
        return True

    @staticmethod
    def _pair_calls(func, cols) -> List[str]:
        cols = cols if isinstance(cols, list) else [cols]
        funcs = func if isinstance(func, list) else [func]
        if any(not isinstance(c, tuple) or len(c) != 2 for c in cols):
            raise RuntimeError("agg2 only accepts (x,y) pair or a list of (x,y) pair as cols")
        return [_func_name(f) + "(" + x + "," + y + ")" for f in funcs for x, y in cols]

    def sum(self): return self.agg("sum")
    def avg(self): return self.agg("avg")
    def count(self): return self.agg("count")
    def max(self): return self.agg("max")
    def min(self): return self.agg("min")
    def first(self): return self.agg("first")
    def last(self): return self.agg("last")
    def size(self): return self.agg("size")
    def sum2(self): return self.agg("sum2")
    def std(self): return self.agg("std")
    def var(self): return self.agg("var")
    def prod(self): return self.agg("prod")
    def wavg(self, cols): return self.agg2("wavg", cols)
    def wsum(self, cols): return self.agg2("wsum", cols)
    def covar(self, cols): return self.agg2("covar", cols)
    def corr(self, cols): return self.agg2("corr", cols)


class TableGroupby(_Grouped):
    """`t.groupby(cols)`: aggregates give `select f(x),... from t group by cols`."""

    def agg(self, func) -> Table:
        return self._aggregated(self._calls(func))

    def agg2(self, func, cols) -> Table:
        return self._aggregated(self._pair_calls(func, cols) or list(self._t._select or []))


class TableContextby(_Grouped):
    """`t.contextby(cols)`: aggregates keep the grouping columns in front."""

    def _keeps(self, column: str) -> bool:
        return column not in self._keys

    def agg(self, func) -> Table:
        return self._aggregated(list(self._keys) + self._calls(func))

    def agg2(self, func, cols) -> Table:
        return self._aggregated(list(self._t._select or []) + self._pair_calls(func, cols))

    def top(self, num: int) -> Table:
        return self._t.top(num)

    def limit(self, num) -> Table:
        return self._t.limit(num)

    def update(self, cols: List[str], vals: List[str]) -> "TableUpdate":
        return TableUpdate(self._t, cols, vals, self._keys, self._t._having)

    def cumsum(self): return self.agg("cumsum")
    def cummax(self): return self.agg("cummax")
    def cumprod(self): return self.agg("cumprod")
    def cummin(self): return self.agg("cummin")
    def eachPre(self, args): return self.agg2("eachPre", args)


class TablePivotBy:
    """`t.pivotby(index, column, value, aggFunc)`: `select agg(value) from t pivot by index,column`."""

    def __init__(self, t: Table, index: str, column: str, value=None, agg=None):
        self._t, self._index, self._column, self._value, self._agg = t, index, column, value, agg

    def showSQL(self) -> str:
        if self._value is not None:
            items = self._value if self._agg is None else _func_name(self._agg) + "(" + self._value + ")"
        else:
            items = self._t._select_list()
        return _join_clauses("exec" if self._t.isExec else "select", items, "from " + self._t.tableName(),
                             _where_clause(self._t._where), f"pivot by {self._index},{self._column}")

    def toDF(self):
        return self._t.session().run(self.showSQL())

    toDataFrame = toDF

    def executeAs(self, newTableName: str) -> Table:
        self._t.session().run(f"{_variable(newTableName)}={self.showSQL()}")
        return Table(data=newTableName, s=self._t.session())


class _Modification:
    """update/delete statements: `where` conditions added in place, `execute()` runs them."""

    def __init__(self, t: Table):
        self._t = t
        self._where: List[str] = []

    def where(self, conds):
        self._where.extend(_as_list(conds))
        return self

    def toDF(self):
        return self._t.session().run(self.showSQL())

    def __str__(self) -> str:
        return self.showSQL()


class TableUpdate(_Modification):
    def __init__(self, t: Table, cols: List[str], vals: List[str], contextby=None, having: str = None):
        super().__init__(t)
        self._cols, self._vals, self._contextby, self._having = list(cols), list(vals), contextby, having

    def showSQL(self) -> str:
        sets = ",".join(c + "=" + v for c, v in zip(self._cols, self._vals))
        grouping = "context by " + ",".join(self._contextby) if self._contextby else ""
        having = "having " + self._having if self._having else ""
        if self._t.isMergeForUpdate:
            if self._t.getLeftTable() is None:
                raise RuntimeError("Join for update missing left table!")
            return _join_clauses("update", self._t.getLeftTable(), "set", sets, "from " + self._t.tableName(),
                                 _where_clause(list(self._t._where) + self._where), grouping, having)
        return _join_clauses("update", self._t.tableName(), "set", sets, _where_clause(self._where), grouping, having)

    def execute(self) -> Table:
        self._t.session().run(self.showSQL())
        target = self._t.getLeftTable() if self._t.isMergeForUpdate else self._t.tableName()
        fresh = Table(data=target, s=self._t.session(), needGC=False)
        if target == self._t._handle.name:
            fresh._handle = self._t._handle
        return fresh


class TableDelete(_Modification):
    def showSQL(self) -> str:
        return _join_clauses("delete from " + self._t.tableName(), _where_clause(self._where))

    def execute(self) -> Table:
        self._t.session().run(self.showSQL())
        return self._t


AGGREGATES = {name: getattr(TableContextby, name) for name in
              ("wavg", "wsum", "covar", "corr", "count", "max", "min", "sum", "sum2", "size", "avg", "std",
               "prod", "var", "first", "last", "eachPre", "cumsum", "cumprod", "cummax", "cummin")}
