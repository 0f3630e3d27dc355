"""The modules of lib/src depend on each other without a cycle.

A module is x.c with its header x.h (a file x_kernels.c belongs to x). Two
graphs are checked, because each alone can miss an edge:
  - the linker's: which module's object defines each global symbol another
    module's object uses (nm on the static library), public calls included;
  - the preprocessor's: which module's header each file of lib/src includes.
A header that belongs to no .c (internal.h) must declare no function, and
testing.h, the tests' door into the internals, must not be included by the
library itself.

Usage: check_lib_deps.py LIBKEYFOLD.a LIB_SRC_DIR
"""
import os
import re
import subprocess
import sys


def module_of(stem, modules):
    if stem in modules:
        return stem
    base = stem.rsplit('_', 1)[0]
    return base if base in modules else None


def find_cycle(graph):
    """Returns one cycle as a list of modules, or None."""
    state = {}
    stack = []

    def visit(m):
        state[m] = 'open'
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 'open':
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 'done'
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def link_graph(archive, modules):
    out = subprocess.run(['nm', '-A', '-g', archive], check=True, capture_output=True,
                         text=True).stdout
    defined, used = {}, []
    for line in out.splitlines():
        m = re.match(r'^[^:]+:(?:src_)?([A-Za-z0-9_]+)\.c\.o:\s*(?:[0-9a-f]+)?\s+([A-Za-z])\s+(\S+)$',
                     line)
        if not m:
            continue
        mod = module_of(m.group(1), modules)
        if mod is None:
            raise SystemExit(f'object of no module: {line}')
        if m.group(2) == 'U':
            used.append((mod, m.group(3)))
        else:
            defined[m.group(3)] = mod
    graph = {m: set() for m in modules}
    for mod, sym in used:
        owner = defined.get(sym)
        if owner and owner != mod:
            graph[mod].add(owner)
    return graph


def include_graph(src, modules, problems):
    graph = {m: set() for m in modules}
    for name in sorted(os.listdir(src)):
        stem, ext = os.path.splitext(name)
        if ext not in ('.c', '.h'):
            continue
        text = open(os.path.join(src, name), encoding='utf-8').read()
        owner = module_of(stem, modules)
        if ext == '.h' and owner is None and stem != 'testing':
            code = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
            if re.search(r'\b\w+\s*\([^)]*\)\s*;', code):
                problems.append(f'{name} belongs to no module but declares a function')
        for inc in re.findall(r'^#include "([^"]+)\.h"', text, flags=re.M):
            if inc == 'testing' and ext == '.c':
                problems.append(f'{name} includes testing.h')
            target = module_of(inc, modules)
            if owner and target and target != owner:
                graph[owner].add(target)
    return graph


def main():
    archive, src = sys.argv[1], sys.argv[2]
    stems = {os.path.splitext(n)[0] for n in os.listdir(src) if n.endswith('.c')}
    modules = {s for s in stems if s.rsplit('_', 1)[0] == s or s.rsplit('_', 1)[0] not in stems}
    problems = []
    for what, graph in (('link', link_graph(archive, modules)),
                        ('include', include_graph(src, modules, problems))):
        edges = sum(len(v) for v in graph.values())
        cycle = find_cycle(graph)
        if cycle:
            problems.append(f'{what} graph has a cycle: ' + ' -> '.join(cycle))
        print(f'{what} graph: {len(graph)} modules, {edges} edges, '
              f'{"cycle" if cycle else "acyclic"}')
    for p in problems:
        print('FAIL:', p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
