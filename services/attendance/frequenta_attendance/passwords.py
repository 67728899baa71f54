"""Password hashing with argon2id (argon2-cffi's PasswordHasher and its recommended parameters).

Hashing and verifying cost tens of milliseconds of CPU on purpose: they run in a worker thread so
the event loop keeps serving other calls meanwhile.
"""

import asyncio
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass
class Passwords:
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    # Verified against when the login is unknown, so that an unknown login costs what a wrong
    # password does (no timing difference tells which logins exist). Made once, at start-up.
    _decoy: str = field(init=False)

    def __post_init__(self) -> None:
        self._decoy = self.hasher.hash("decoy password of no user")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, stored_hash, password)

    async def verify_nothing(self, password: str) -> None:
        """Spends one verification, for a login that does not exist."""
        await self.verify(self._decoy, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        return self.hasher.check_needs_rehash(stored_hash)

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
