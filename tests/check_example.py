"""docs/libkeyfold.md shows exactly docs/examples/keyfold_example.c and
exactly what it prints: the program between the example markers must be the
file, and running the built program must print the text between the output
markers (JAX's and Flax's values).

Usage: check_example.py EXAMPLE_EXECUTABLE DOC EXAMPLE_SOURCE
"""
import re
import subprocess
import sys


def block(doc, name):
    m = re.search(r'<!-- %s:begin -->\n```\w*\n(.*?)```\n<!-- %s:end -->' % (name, name), doc, re.S)
    if not m:
        raise SystemExit(f'no {name} block in the document')
    return m.group(1)


def main():
    exe, doc_path, src_path = sys.argv[1:4]
    doc = open(doc_path, encoding='utf-8').read()
    ok = True
    if block(doc, 'example') != open(src_path, encoding='utf-8').read():
        print('FAIL: the program in the document differs from', src_path)
        ok = False
    run = subprocess.run([exe], capture_output=True, text=True, check=False)
    if run.returncode != 0:
        print(f'FAIL: the example exited with {run.returncode}:\n{run.stderr}')
        ok = False
    want = block(doc, 'output')
    if run.stdout != want:
        print('FAIL: the example printed\n' + run.stdout + 'instead of\n' + want)
        ok = False
    if ok:
        print(run.stdout, end='')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
