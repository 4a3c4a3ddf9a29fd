"""The loops of Sources/latent-bench/main.swift in Python, for bench/language.sh.

Each loop runs at module level like the face-language script, where variables are globals,
and again inside a function, where CPython keeps them in faster local slots. The face loop
uses a small Face class that stores PCA coordinates in sigma units and drops the latent
vector on an edit, as the interpreter does, so both sides do the same work per iteration.
Prints one line per loop and variant: the name, the iterations and the best time of 5 runs,
in seconds of process CPU time as latent-bench measures it.
"""
import time

REPEATS = 5


class Face:
    """A face as PCA coordinates in sigma units, with the latent vector rebuilt on demand."""

    __slots__ = ("coordinates", "latent")

    def __init__(self, coordinates):
        self.coordinates = list(coordinates)
        self.latent = None

    def set_pc(self, index, sigmas):
        self.coordinates[index - 1] = sigmas
        self.latent = None

    def pc(self, index):
        return self.coordinates[index - 1]


NUMERIC_MODULE = """
s = 0
i = 0
while i < 1000000:
    s = s + i * 2
    i = i + 1
"""

FACE_MODULE = """
f = Face([0.5] * 80)
total = 0
i = 0
while i < 100000:
    f.set_pc(1, (i % 7) * 0.5)
    total = total + f.pc(1) / 1.0
    i = i + 1
"""


def numeric_function():
    s = 0
    i = 0
    while i < 1000000:
        s = s + i * 2
        i = i + 1
    return s


def face_function():
    f = Face([0.5] * 80)
    total = 0
    i = 0
    while i < 100000:
        f.set_pc(1, (i % 7) * 0.5)
        total = total + f.pc(1) / 1.0
        i = i + 1
    return total


def best_time(run):
    best = float("inf")
    for _ in range(REPEATS):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def main():
    numeric_code = compile(NUMERIC_MODULE, "numeric", "exec")
    face_code = compile(FACE_MODULE, "face", "exec")
    rows = [
        ("numeric-module", 1000000, lambda: exec(numeric_code, {})),
        ("numeric-function", 1000000, numeric_function),
        ("face-edit-module", 100000, lambda: exec(face_code, {"Face": Face})),
        ("face-edit-function", 100000, face_function),
    ]
    for name, iterations, run in rows:
        print(f"{name} {iterations} {best_time(run):.4f}")


if __name__ == "__main__":
    main()
