"""Users, administrators, table privileges and login back-off of the embedded server.

The rules follow the real server (docs: User Access Control, addAccessControl, login):

* Before logging in a session is `guest`: it holds no privilege and cannot be granted one.
* Administrators (the users the server was started with, and users created with isAdmin=true)
  may run the user-management functions, see and manage every session and job, and access
  every table.
* A shared table is open to every session until access control is added to it: by its owner or
  an administrator with `addAccessControl`, or implicitly once an administrator grants, denies
  or revokes a privilege on it. From then on only administrators, its owner and users allowed
  TABLE_READ / TABLE_WRITE on it (or on "*") may read / write it; a deny beats an allow.
* Wrong passwords: the real server (enhancedSecurityVerification=true, 2.00.10.10+) locks a user
  for 10 minutes after 5 wrong passwords within a minute. We back off instead, per user name
  and per client address (`LoginGuard`): after the 5th failure in a row each login is held
  back 0.25 s, doubling with every further failure up to 2 s, then checked as usual; at most
  4 logins wait per user or address, more are refused.

With a data directory, users and privileges are kept in `users.json` there (written atomically);
passwords are stored as salted PBKDF2 hashes, never in clear.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from pathlib import Path
from typing import Dict, Optional

from ..errors import AccessDenied

GUEST = "guest"

# The real privilege type constants (the values the server's TABLE_READ ... evaluate to).
PRIVILEGES = {"TABLE_READ": 0, "TABLE_WRITE": 1, "TABLE_INSERT": 10, "TABLE_UPDATE": 11,
              "TABLE_DELETE": 12}
_NAME_OF = {v: k for k, v in PRIVILEGES.items()}
# What a table operation needs: a write is allowed by TABLE_WRITE or the finer-grained type.
READ, WRITE = "TABLE_READ", "TABLE_WRITE"

USERS_FILE = "users.json"
_PBKDF2_ROUNDS = 20_000




def privilege_name(value) -> str:
    """TABLE_READ etc. from the constant's value (an int) or its name (a string)."""
    if isinstance(value, str) and value in PRIVILEGES:
        return value
    if isinstance(value, int) and value in _NAME_OF:
        return _NAME_OF[value]
    raise ValueError(f"Unsupported access type {value!r}; supported: {', '.join(PRIVILEGES)}")


def _hash(password: str, salt: bytes) -> str:
    return base64.b64encode(hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _PBKDF2_ROUNDS)).decode()


def table_object(name: str) -> str:
    """The object a shared-table privilege names: "t", "t@node" and "node:t" all mean table t."""
    if "@" in name:
        name = name.split("@", 1)[0]
    if ":" in name and not name.startswith("dfs://"):
        name = name.split(":", 1)[1]
    return name


class UserStore:
    def __init__(self, initial: Optional[Dict[str, str]] = None, directory=None):
        self._lock = threading.RLock()
        self._path = Path(directory) / USERS_FILE if directory is not None else None
        self.users: Dict[str, dict] = {}
        self.controlled: Dict[str, str] = {}     # shared table -> owner, once under access control
        self.owners: Dict[str, str] = {}         # shared table -> the user who shared it
        if self._path is not None and self._path.exists():
            self._load()
        for name, password in (initial or {}).items():
            if name not in self.users:
                self._add(name, password, admin=True)
        self._save()

    # -- persistence ---------------------------------------------------------------------------
    def _load(self) -> None:
        doc = json.loads(self._path.read_text())
        self.users = doc.get("users", {})
        self.controlled = doc.get("controlled", {})
        self.owners = doc.get("owners", {})

    def _save(self) -> None:
        if self._path is None:
            return
        tmp = self._path.with_suffix(".json.tmp")
        try:
            with open(tmp, "w") as f:
                json.dump({"users": self.users, "controlled": self.controlled, "owners": self.owners}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise

    def _change(self, mutate) -> None:
        """Applies `mutate()` and persists; a failed write leaves memory as it was."""
        with self._lock:
            before = json.dumps({"users": self.users, "controlled": self.controlled, "owners": self.owners})
            try:
                mutate()
                self._save()
            except BaseException:
                doc = json.loads(before)
                self.users, self.controlled, self.owners = doc["users"], doc["controlled"], doc["owners"]
                raise

    # -- users ---------------------------------------------------------------------------------
    def _add(self, name: str, password: str, admin: bool) -> None:
        salt = os.urandom(16)
        self.users[name] = {"salt": base64.b64encode(salt).decode(), "hash": _hash(password, salt),
                            "admin": admin, "allow": {}, "deny": {}}

    def authenticate(self, name: str, password: str) -> bool:
        with self._lock:
            u = self.users.get(name)
        if u is None:
            return False
        return hmac.compare_digest(u["hash"], _hash(password, base64.b64decode(u["salt"])))

    def is_admin(self, name: str) -> bool:
        with self._lock:
            u = self.users.get(name)
            return bool(u and u["admin"])

    def create(self, name: str, password: str, admin: bool = False) -> None:
        if not name or name == GUEST or not (name[0].isalpha() or name[0] == "_") or \
                not all(c.isalnum() or c == "_" for c in name) or len(name) > 30:
            raise ValueError(f"Invalid user name '{name}'")
        if not 6 <= len(password) <= 20 or any(c.isspace() or ord(c) < 32 for c in password):
            raise ValueError("The password must be 6 to 20 characters without spaces or control characters")
        with self._lock:
            if name in self.users:
                raise ValueError(f"The user name '{name}' already exists")
            self._change(lambda: self._add(name, password, admin))

    def delete(self, name: str) -> None:
        with self._lock:
            if name not in self.users:
                raise ValueError(f"The user '{name}' doesn't exist")
            if name == "admin":
                raise ValueError("The super administrator 'admin' can't be deleted")
            self._change(lambda: self.users.pop(name))

    def names(self, include_admins: bool = False):
        """getUserList: every user except administrators (as the real function)."""
        with self._lock:
            return sorted(n for n, u in self.users.items() if include_admins or not u["admin"])

    # -- privileges ----------------------------------------------------------------------------
    def set_privilege(self, name: str, action: str, privilege: str, objects) -> None:
        """action: grant / deny / revoke. Naming a table puts it under access control."""
        with self._lock:
            if name not in self.users:
                raise ValueError(f"The user '{name}' doesn't exist")
            if name == "admin":
                raise ValueError("The privileges of the super administrator 'admin' can't be changed")
            objs = [table_object(o) for o in objects]

            def mutate():
                u = self.users[name]
                for o in objs:
                    for state in ("allow", "deny"):
                        u[state].setdefault(privilege, [])
                        if o in u[state][privilege]:
                            u[state][privilege].remove(o)
                    if action != "revoke":
                        u["allow" if action == "grant" else "deny"][privilege].append(o)
                    if o != "*":
                        self.controlled.setdefault(o, self.owners.get(o, ""))
            self._change(mutate)

    def add_access_control(self, table: str) -> None:
        with self._lock:
            self._change(lambda: self.controlled.setdefault(table, self.owners.get(table, "")))

    def shared(self, table: str, owner: str) -> None:
        """Records who shared `table`: its owner keeps access once it is under access control."""
        with self._lock:
            if self.owners.get(table) != owner:
                self._change(lambda: self.owners.__setitem__(table, owner))

    def unshared(self, table: str) -> None:
        with self._lock:
            if table in self.owners or table in self.controlled:
                self._change(lambda: (self.owners.pop(table, None), self.controlled.pop(table, None)))

    def owner(self, table: str) -> str:
        with self._lock:
            return self.owners.get(table, "")

    def may(self, user: str, need: str, table: str) -> bool:
        """Whether `user` may read (READ) or write (WRITE) the shared table `table`."""
        with self._lock:
            if table not in self.controlled:
                return True
            if user == GUEST:
                return False
            u = self.users.get(user)
            if u is None:
                return False
            if u["admin"] or self.owners.get(table) == user:
                return True
            wanted = (need,) if need == READ else (WRITE, "TABLE_INSERT", "TABLE_UPDATE", "TABLE_DELETE")
            hit = lambda state: any(o in (table, "*") for p in wanted for o in u[state].get(p, ()))  # noqa: E731
            return not hit("deny") and hit("allow")

    def check(self, user: str, need: str, table: str) -> None:
        if not self.may(user, need, table):
            raise AccessDenied(f"No access to shared table [{table}]")


class LoginGuard:
    """Back-off on wrong passwords, per user name and per client address.

    After `max_failures` consecutive wrong passwords for a key (a user name, or an address;
    failures more than `window` seconds apart start a new run) every further login for that key
    is held back - `first_delay` after the 5th failure, doubling with each further one, at most
    `max_delay` - before its password is looked at; a right password then still gets in and
    ends both runs. While a key is held back, at most `max_waiting` logins wait for it: more are
    refused at once, so parallel connections do not multiply the guesses.

    The real server (enhancedSecurityVerification, 2.00.10.10+) refuses a user for 10 minutes
    after 5 wrong passwords in a minute; anyone who knows the administrator's name can then lock
    it out. Holding back for at most 2 s (below the clients' 3 s handshake timeout) keeps a
    careless client - a pool with a stale password - from locking anyone out, while a guesser
    gets `max_waiting` guesses per `max_delay` instead of thousands per second."""

    def __init__(self, max_failures: int = 5, window: float = 60.0, first_delay: float = 0.25,
                 max_delay: float = 2.0, max_waiting: int = 4):
        self.max_failures = max_failures
        self.window = window
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.max_waiting = max_waiting
        self._lock = threading.Lock()
        self._runs: Dict[str, list] = {}      # key -> [consecutive failures, last failure, held until]
        self._waiting: Dict[str, int] = {}    # key -> logins held back now

    @staticmethod
    def _keys(user: str, address: str):
        return (f"u:{user}", f"a:{address}")

    def delay(self, user: str, address: str) -> float:
        """Seconds a login for `user` from `address` is held back now (0: none)."""
        now = time.monotonic()
        with self._lock:
            return max([self._runs[k][2] - now for k in self._keys(user, address) if k in self._runs] + [0.0])

    def hold(self, user: str, address: str) -> Optional[float]:
        """The seconds to hold this login back (then call release), or None: refuse it, too many
        logins already wait for its user or address."""
        delay = self.delay(user, address)
        if delay <= 0:
            return 0.0
        keys = self._keys(user, address)
        with self._lock:
            if any(self._waiting.get(k, 0) >= self.max_waiting for k in keys):
                return None
            for k in keys:
                self._waiting[k] = self._waiting.get(k, 0) + 1
        return delay

    def release(self, user: str, address: str) -> None:
        with self._lock:
            for k in self._keys(user, address):
                left = self._waiting.get(k, 0) - 1
                if left > 0:
                    self._waiting[k] = left
                else:
                    self._waiting.pop(k, None)

    def failed(self, user: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(user, address):
                run = self._runs.get(key)
                if run is None or now - run[1] > self.window:
                    run = self._runs[key] = [0, now, 0.0]
                run[0] += 1
                run[1] = now
                if run[0] >= self.max_failures:
                    exponent = min(run[0] - self.max_failures, 30)
                    run[2] = now + min(self.first_delay * 2 ** exponent, self.max_delay)
            if len(self._runs) > 100_000:   # a flood of names: forget the runs that ended
                for key in [k for k, r in self._runs.items() if now - r[1] > self.window and r[2] <= now]:
                    del self._runs[key]

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            for key in self._keys(user, address):
                self._runs.pop(key, None)
