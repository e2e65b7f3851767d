"""How passwords are hashed: Argon2id at the cost OWASP's Password Storage Cheat Sheet recommends
(19 MiB of memory, 2 passes, 1 lane).

Django's own Argon2 settings (100 MiB, 2 passes, 8 lanes) cost about seven times the CPU on a
2-core node (267 against 37 ms a hash, bench/RESULTS.md): a burst of 200 sign-ups queued for most
of a minute and timed out at the gateway. A hash made at the older cost still verifies (Argon2
writes its parameters into each hash) and is replaced at the next successful sign-in
(accounts/services.py).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
