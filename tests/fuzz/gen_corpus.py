#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_tree: valid content trees
(libs/libui/include/ui/wire.h) using every node kind, flag and field, so
the fuzzer starts from trees the decoder accepts and mutates from there.

usage: gen_corpus.py OUTPUT_DIR
"""
import os
import struct
import sys

MAGIC, VERSION = 0x52544955, 1
HEADER = struct.Struct('<IHHIIIIII')                      # 32 bytes
NODE = struct.Struct('<IHHIIiiiiIIBBBBHHiiiIIIII')        # 80 bytes
assert HEADER.size == 32 and NODE.size == 80
NO_PARENT = 0xffffffff

(WINDOW, COLUMN, ROW, CANVAS, TEXT, BUTTON, TEXT_INPUT, CHECKBOX, SLIDER, IMAGE, LIST,
 SPACER) = range(1, 13)
LINE, RECT, ARC, PATH = range(16, 20)
EXPAND, DISABLED, HAS_COLOR, HAS_BACKGROUND, FOCUS, STICK_END, CLOSED, WRAP = (1 << i for i in range(8))


class Tree:
    def __init__(self, w=0, h=0, title='seed', **kw):
        self.nodes = []
        self.data = bytearray()
        self.root = self.add(NO_PARENT, WINDOW, w=w, h=h, text=title, **kw)

    def add(self, parent, kind, text=b'', data=b'', **f):
        if isinstance(text, str):
            text = text.encode()
        node = dict(id=len(self.nodes) + 1, kind=kind, flags=0, parent=parent, handlers=0, x=0, y=0, w=0,
                    h=0, color=0, background=0, text_size=0, font=0, align=0, stroke=0, padding=0, spacing=0,
                    value=0, min=0, max=0, radius=0)
        node.update(f)
        node['text'] = (len(self.data), len(text))
        self.data += text
        node['blob'] = (len(self.data), len(data))
        self.data += data
        self.nodes.append(node)
        return len(self.nodes) - 1

    def encode(self, generation=1):
        out = bytearray()
        total = HEADER.size + NODE.size * len(self.nodes) + len(self.data)
        out += HEADER.pack(MAGIC, VERSION, HEADER.size, total, len(self.nodes), NODE.size, len(self.data),
                           generation, 0)
        for n in self.nodes:
            out += NODE.pack(n['id'], n['kind'], n['flags'], n['parent'], n['handlers'], n['x'], n['y'], n['w'],
                             n['h'], n['color'], n['background'], n['text_size'], n['font'], n['align'],
                             n['stroke'], n['padding'], n['spacing'], n['value'], n['min'], n['max'],
                             n['radius'], n['text'][0], n['text'][1], n['blob'][0], n['blob'][1])
        return bytes(out + self.data)


def png(w, h):
    return (b'\x89PNG\r\n\x1a\n' + struct.pack('>I', 13) + b'IHDR' + struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)
            + b'\0\0\0\0')


def points(*xy):
    return struct.pack('<%di' % len(xy), *xy)


def hello():
    """The seed's example: a window's canvas with a text and a button."""
    t = Tree(200, 300, 'My first application')
    cv = t.add(t.root, CANVAS, flags=EXPAND)
    t.add(cv, TEXT, 'Hello World', x=10, y=10, text_size=1, flags=HAS_COLOR, color=0xff0000ff)
    b = t.add(cv, BUTTON, x=10, y=60, handlers=1)
    t.add(b, TEXT, 'Click here')
    return t


def widgets():
    t = Tree(320, 0, 'Widgets', padding=8, spacing=4)
    col = t.add(t.root, COLUMN, padding=6, spacing=3, align=3, flags=HAS_BACKGROUND, background=0xeeeeeeff)
    row = t.add(col, ROW, spacing=8, align=1)
    t.add(row, BUTTON, 'OK', handlers=1, flags=FOCUS)
    t.add(row, SPACER, flags=EXPAND, w=4)
    t.add(row, BUTTON, 'Cancel', handlers=1, flags=DISABLED)
    t.add(col, TEXT_INPUT, 'caf\xe9 au lait', data='Type here'.encode(), value=5, min=3, handlers=8 | 2)
    t.add(col, CHECKBOX, 'Check me', value=1, handlers=2)
    t.add(col, SLIDER, min=-50, max=50, value=10, handlers=2, w=120)
    t.add(col, IMAGE, data=png(48, 32), w=96)
    t.add(col, TEXT, 'A long line that wraps inside the column, twice or more. ' * 3, flags=WRAP, align=1)
    t.add(col, TEXT, 'mono', font=2, text_size=4)
    return t


def lists():
    t = Tree(240, 200, 'Lists')
    t.add(t.root, TEXT, 'Log', text_size=2, font=1)
    lst = t.add(t.root, LIST, flags=STICK_END, value=3, handlers=4)
    for i in range(40):
        t.add(lst, TEXT, 'line %d \u2603' % i)
    small = t.add(t.root, LIST, h=60, value=-1)
    for i in range(3):
        r = t.add(small, ROW, spacing=4)
        t.add(r, CHECKBOX, 'item %d' % i, value=i & 1)
        t.add(r, BUTTON, 'x')
    return t


def drawing():
    t = Tree(0, 0, 'Drawing')
    cv = t.add(t.root, CANVAS, w=300, h=200, handlers=1 | 16, flags=HAS_BACKGROUND, background=0xffffffff)
    t.add(cv, LINE, x=10, y=10, w=-5, h=40, stroke=3, flags=HAS_COLOR, color=0x000000ff)
    t.add(cv, RECT, x=20, y=20, w=60, h=30, radius=6, stroke=2, flags=HAS_COLOR | HAS_BACKGROUND,
          color=0x0000ffff, background=0x00ff0080)
    t.add(cv, ARC, x=150, y=100, radius=40, min=-90, max=180, flags=HAS_BACKGROUND, background=0xff000080)
    t.add(cv, PATH, data=points(0, 0, 30, -20, 60, 0, 30, 20), x=200, y=150, flags=CLOSED | HAS_COLOR,
          color=0x123456ff, stroke=1)
    t.add(cv, TEXT, 'label', x=250, y=5)
    t.add(cv, IMAGE, data=png(16, 16), x=-8, y=190)
    inner = t.add(cv, COLUMN, x=100, y=150, padding=2)
    t.add(inner, BUTTON, 'in canvas')
    return t


def nested():
    t = Tree(0, 0, 'Nested')
    parent = t.root
    for depth in range(30):
        parent = t.add(parent, ROW if depth % 2 else COLUMN, padding=1, spacing=1, align=depth % 4,
                       flags=EXPAND if depth % 3 == 0 else 0)
        t.add(parent, TEXT, str(depth))
    return t


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = {'hello': hello(), 'widgets': widgets(), 'lists': lists(), 'drawing': drawing(),
             'nested': nested(), 'empty': Tree()}
    for name, tree in seeds.items():
        with open(os.path.join(out, 'seed-' + name), 'wb') as f:
            f.write(tree.encode())


if __name__ == '__main__':
    main()
