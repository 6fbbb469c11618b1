"""
cycles.py -- which object files call into each other, from nm.

    python3 cycles.py BUILD_DIR [GROUP...]

For each group (lib, and each tools/NAME), reads every BUILD_DIR/GROUP/*.o
with nm: the global symbols it defines and those it leaves undefined.  An
object that uses a symbol another object of the same group defines depends
on it.  Prints each cycle of that graph (a strongly connected component of
more than one object) as "GROUP: a.o b.o ...", and exits 1 when there is
any.  Calls through function pointers do not show in a link map, and are
not dependencies: the caller does not know the callee.
"""
import os
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", "-P", obj], check=True, capture_output=True,
                         text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            undefined.add(name)
        elif kind.isupper() and kind not in "N":
            defined.add(name)
    return defined, undefined


def graph(folder):
    objs = sorted(f for f in os.listdir(folder) if f.endswith(".o"))
    syms = {o: symbols(os.path.join(folder, o)) for o in objs}
    owner = {}
    for o, (defined, _) in syms.items():
        for s in defined:
            owner[s] = o
    return {o: sorted({owner[s] for s in undef if s in owner} - {o})
            for o, (_, undef) in syms.items()}


def components(edges):
    """Tarjan's strongly connected components."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def main():
    build, groups = sys.argv[1], sys.argv[2:]
    found = False
    for group in groups:
        edges = graph(os.path.join(build, group))
        for comp in components(edges):
            found = True
            calls = ", ".join(f"{a}->{b}" for a in comp for b in edges[a]
                              if b in comp)
            print(f"{group}: {' '.join(comp)} ({calls})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.setrecursionlimit(10000)
    sys.exit(main())
