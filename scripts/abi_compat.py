#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Is the ABI description NEW (scripts/abi.sh's format) compatible with the
# recorded OLD one, for binaries built against OLD?
#
#   abi_compat.py OLD NEW      exit 0 compatible, 1 not (reasons on stderr)
#
# Compatible means: every exported symbol of OLD is still exported with the
# same version node; every struct of OLD is still there with the same size;
# every member of OLD is still there at the same offset with the same type
# and size - except words of a member named reserved*, which may be given
# names: the new members that are not in OLD must lie inside the bytes OLD
# reserved, and the struct's size must not change.  That is the one change
# a "must be zero" reserved word exists for: a binary built against OLD
# passes zeros there, and zero must keep meaning what it meant (the
# library's business, checked by its tests, not here).
import re
import sys

MEMBER = re.compile(r'^\t(?P<decl>\S.*?)\s*/\*\s*(?P<off>\d+)(?::\d+)?\s+(?P<size>\d+)\s*\*/$')
SIZE = re.compile(r'/\* size: (\d+),')


def parse(path):
    syms, structs, cur = set(), {}, None
    section = None
    for line in open(path):
        line = line.rstrip('\n')
        if line.startswith('## '):
            section = line
            continue
        if line.startswith('#'):
            continue
        if section == '## exported symbols':
            if line:
                syms.add(line)
            continue
        m = re.match(r'^(struct|union) (\S+) \{$', line)
        if m:
            cur = structs.setdefault(m.group(2), {'members': [], 'size': None})
            continue
        if cur is None:
            continue
        if line == '};':
            cur = None
            continue
        m = SIZE.search(line)
        if m:
            cur['size'] = int(m.group(1))
            continue
        m = MEMBER.match(line)
        if m:
            decl = ' '.join(m.group('decl').split())
            cur['members'].append((decl, int(m.group('off')), int(m.group('size'))))
    return syms, structs


def is_reserved(decl):
    name = decl.rstrip(';').split()[-1].lstrip('*')
    return name.startswith('reserved')


def main(old_path, new_path):
    old_syms, old_structs = parse(old_path)
    new_syms, new_structs = parse(new_path)
    bad = []
    for s in sorted(old_syms - new_syms):
        bad.append('symbol gone or moved to another node: %s' % s)
    for name, o in sorted(old_structs.items()):
        n = new_structs.get(name)
        if n is None:
            bad.append('struct %s gone' % name)
            continue
        if o['size'] != n['size']:
            bad.append('struct %s: size %s -> %s' % (name, o['size'], n['size']))
            continue
        new_set = set(n['members'])
        reserved = []
        for m in o['members']:
            if is_reserved(m[0]):
                reserved.append((m[1], m[1] + m[2]))
            elif m not in new_set:
                bad.append('struct %s: member changed or gone: %s at %d' %
                           (name, m[0], m[1]))
        old_set = set(o['members'])
        for m in n['members']:
            if m in old_set:
                continue
            lo, hi = m[1], m[1] + m[2]
            if not any(a <= lo and hi <= b for a, b in reserved):
                bad.append('struct %s: new member outside reserved bytes: '
                           '%s at %d' % (name, m[0], m[1]))
    for b in bad:
        print('abi: incompatible: ' + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__':
    if len(sys.argv) != 3:
        print('usage: abi_compat.py OLD NEW', file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
