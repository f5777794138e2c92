#!/usr/bin/env python3
"""idlgen: generates the C stubs of Tessera IPC interfaces from an .idl file.

    python3 tools/idlgen.py IN.idl -o OUT.h

The language, the wire format and the generated API are described in
libs/tessera/idl/README.md. Errors are reported as `file:line: error: ...`
with exit status 1; the output file is then left untouched.
"""

import argparse
import os
import re
import sys
import tempfile

# From kernel/abi/tessera/abi.h. The generated header re-checks the sizes
# that depend on these with _Static_assert, so drift is caught at compile time.
IPC_DATA_MAX = 208
IPC_HANDLES_MAX = 4
IPC_LABEL_NOTIFY = 0x7FFFFFFF

# Labels are (id << 8) | k in an int32_t, and negative labels mean errors, so
# interface ids stop at 0x7fffff.
MAX_INTERFACE_ID = 0x7FFFFF
MAX_MESSAGES = 255

# Fixed-size types: C type, bytes on the wire (little-endian).
FIXED_TYPES = {
    "i32": ("int32_t", 4),
    "u32": ("uint32_t", 4),
    "i64": ("int64_t", 8),
    "u64": ("uint64_t", 8),
    "size": ("size_t", 8),
    "bool": ("bool", 1),
}
ALL_TYPES = list(FIXED_TYPES) + ["handle", "str", "bytes"]

NAME_RE = re.compile(r"[a-z](?:_?[a-z0-9])*\Z")  # no "__", no trailing "_"

# Names that C or tessera headers reserve.
RESERVED_INTERFACES = {"idl", "ipc", "sys"}  # idl_*, ipc_*, sys_* are taken
C_KEYWORDS = set("""
    alignas alignof asm auto bool break case char const constexpr continue
    default do double else enum extern false float for goto if inline int long
    nullptr register restrict return short signed sizeof static static_assert
    struct switch thread_local true typedef typeof typeof_unqual union unsigned
    void volatile while
""".split())


class IdlError(Exception):
    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


# ---------------------------------------------------------------- lexer ----

TOKEN_RE = re.compile(r"""
      (?P<space>[ \t\r\f\v]+)
    | (?P<newline>\n)
    | (?P<comment>\#[^\n]*)
    | (?P<arrow>->)
    | (?P<number>[0-9][A-Za-z0-9_]*)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[{}()=:;,])
""", re.VERBOSE)


class Token:
    def __init__(self, kind, text, line):
        self.kind = kind   # "name", "number", "punct" (arrow too), "eof"
        self.text = text
        self.line = line

    def describe(self):
        return "end of file" if self.kind == "eof" else "'%s'" % self.text


def tokenize(text):
    tokens = []
    line = 1
    pos = 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise IdlError(line, "unexpected character %r" % text[pos])
        kind = m.lastgroup
        if kind == "newline":
            line += 1
        elif kind in ("name", "number"):
            tokens.append(Token(kind, m.group(), line))
        elif kind in ("arrow", "punct"):
            tokens.append(Token("punct", m.group(), line))
        pos = m.end()
    tokens.append(Token("eof", "", line))
    return tokens


# --------------------------------------------------------------- parser ----

class Param:
    def __init__(self, name, type, line):
        self.name = name
        self.type = type
        self.line = line


class Message:
    def __init__(self, name, oneway, line):
        self.name = name
        self.oneway = oneway
        self.line = line
        self.ins = []
        self.outs = []
        self.index = 0       # 1-based position in the interface
        self.label = 0


class Interface:
    def __init__(self, name, id, line):
        self.name = name
        self.id = id
        self.line = line
        self.messages = []


class Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos]

    def next(self):
        tok = self.tokens[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def expect(self, text, where):
        tok = self.next()
        if tok.kind != "punct" or tok.text != text:
            raise IdlError(tok.line, "expected '%s' %s, found %s" % (text, where, tok.describe()))
        return tok

    def accept(self, text):
        tok = self.peek()
        if tok.kind == "punct" and tok.text == text:
            return self.next()
        return None

    def name(self, what):
        tok = self.next()
        if tok.kind != "name":
            raise IdlError(tok.line, "expected %s, found %s" % (what, tok.describe()))
        check_name(tok.text, tok.line, what)
        return tok

    def parse_file(self):
        interfaces = []
        while self.peek().kind != "eof":
            tok = self.next()
            if tok.kind != "name" or tok.text != "interface":
                raise IdlError(tok.line, "expected 'interface', found %s" % tok.describe())
            interfaces.append(self.parse_interface(tok.line))
        return interfaces

    def parse_interface(self, line):
        name = self.name("an interface name")
        self.expect("=", "and an id after the interface name")
        tok = self.next()
        if tok.kind != "number":
            raise IdlError(tok.line, "expected an interface id (a number), found %s" % tok.describe())
        try:
            id = int(tok.text, 0)
        except ValueError:
            raise IdlError(tok.line, "bad number '%s' (use decimal or 0x hex)" % tok.text) from None
        if not 1 <= id <= MAX_INTERFACE_ID:
            raise IdlError(tok.line, "interface id %s is out of range 1..0x%x" % (tok.text, MAX_INTERFACE_ID))
        iface = Interface(name.text, id, line)
        self.expect("{", "to open the interface")
        while not self.accept("}"):
            tok = self.next()
            if tok.kind == "name" and tok.text in ("rpc", "oneway"):
                iface.messages.append(self.parse_message(tok))
            else:
                raise IdlError(tok.line, "expected 'rpc', 'oneway' or '}', found %s" % tok.describe())
        self.accept(";")  # a C habit; harmless
        return iface

    def parse_message(self, kw):
        name = self.name("a message name")
        msg = Message(name.text, kw.text == "oneway", name.line)
        msg.ins = self.parse_params()
        if not msg.oneway:
            self.expect("->", "and the reply's parameters (an rpc needs '-> (...)')")
            msg.outs = self.parse_params()
        self.expect(";", "after the message")
        return msg

    def parse_params(self):
        self.expect("(", "to open the parameter list")
        params = []
        if self.accept(")"):
            return params
        while True:
            name = self.name("a parameter name")
            self.expect(":", "and a type after the parameter name")
            tok = self.next()
            if tok.kind != "name" or tok.text not in ALL_TYPES:
                raise IdlError(tok.line, "unknown type %s (types: %s)" % (tok.describe(), " ".join(ALL_TYPES)))
            params.append(Param(name.text, tok.text, name.line))
            if self.accept(")"):
                return params
            self.expect(",", "or ')' after a parameter")


def check_name(name, line, what):
    if not NAME_RE.match(name):
        raise IdlError(line, "bad name '%s' for %s: use lowercase letters, digits and single "
                             "underscores, starting with a letter" % (name, what))
    if name in C_KEYWORDS or name.endswith("_t"):
        raise IdlError(line, "name '%s' is reserved in C" % name)


# --------------------------------------------------------------- checks ----

def check(interfaces):
    ids = {}
    names = {}
    for iface in interfaces:
        if iface.name in RESERVED_INTERFACES:
            raise IdlError(iface.line, "interface name '%s' is reserved (its prefix '%s_' is "
                                       "used by tessera headers)" % (iface.name, iface.name))
        if iface.name in names:
            raise IdlError(iface.line, "duplicate interface name '%s' (first at line %d)"
                           % (iface.name, names[iface.name].line))
        if iface.id in ids:
            raise IdlError(iface.line, "duplicate interface id 0x%x (also used by '%s' at line %d)"
                           % (iface.id, ids[iface.id].name, ids[iface.id].line))
        names[iface.name] = iface
        ids[iface.id] = iface
        if not iface.messages:
            raise IdlError(iface.line, "interface '%s' has no messages" % iface.name)
        if len(iface.messages) > MAX_MESSAGES:
            raise IdlError(iface.messages[MAX_MESSAGES].line,
                           "interface '%s' has more than %d messages" % (iface.name, MAX_MESSAGES))
        seen = {}
        for k, msg in enumerate(iface.messages, 1):
            if msg.name in seen:
                raise IdlError(msg.line, "duplicate message name '%s' (first at line %d)"
                               % (msg.name, seen[msg.name].line))
            seen[msg.name] = msg
            msg.index = k
            msg.label = (iface.id << 8) | k
            if msg.label == IPC_LABEL_NOTIFY:
                raise IdlError(msg.line, "label 0x%x of '%s' is IPC_LABEL_NOTIFY; use another "
                                         "interface id" % (msg.label, msg.name))
            check_params(msg)
    check_generated_names(interfaces)


def check_params(msg):
    # Every parameter, and the _len/_cap parameters generated from some,
    # become C names in the same function, so all must differ.
    taken = {}   # C name -> description

    def take(name, line, what):
        if name in taken:
            if what == taken[name]:
                raise IdlError(line, "duplicate parameter name '%s' in '%s' (requests and "
                                     "replies share the names)" % (name, msg.name))
            raise IdlError(line, "%s clashes with %s" % (what, taken[name]))
        taken[name] = what

    for p in msg.ins + msg.outs:
        if p.name.startswith("idl_"):
            raise IdlError(p.line, "parameter names starting with 'idl_' are reserved")
        take(p.name, p.line, "parameter '%s'" % p.name)
    for out, params in ((False, msg.ins), (True, msg.outs)):
        for p in params:
            if p.type == "bytes":
                take(p.name + "_len", p.line, "the length parameter '%s_len' of '%s'" % (p.name, p.name))
            if out and p.type in ("str", "bytes"):
                take(p.name + "_cap", p.line, "the size parameter '%s_cap' of '%s'" % (p.name, p.name))
    for params, what in ((msg.ins, "request"), (msg.outs, "reply")):
        lay = Layout(params)
        if len(lay.handles) > IPC_HANDLES_MAX:
            raise IdlError(lay.handles[IPC_HANDLES_MAX].line,
                           "the %s of '%s' has more than %d handles" % (what, msg.name, IPC_HANDLES_MAX))
        if lay.min_size > IPC_DATA_MAX:
            raise IdlError(msg.line, "the fixed part of the %s of '%s' needs %d bytes, more than "
                                     "IPC_DATA_MAX (%d)" % (what, msg.name, lay.min_size, IPC_DATA_MAX))


def check_generated_names(interfaces):
    """Different IDL names can still generate the same C name (a_b.c and
    a.b_c both give a_b_c); catch that here rather than in the C compiler."""
    seen = {}

    def add(cname, line, what):
        if cname in seen:
            raise IdlError(line, "generated name '%s' (%s) clashes with the one from %s"
                           % (cname, what, seen[cname]))
        seen[cname] = "%s, line %d" % (what, line)

    for iface in interfaces:
        up = iface.name.upper()
        add(up + "_INTERFACE_ID", iface.line, "interface '%s'" % iface.name)
        add(iface.name + "_dispatch", iface.line, "interface '%s'" % iface.name)
        for msg in iface.messages:
            what = "message '%s.%s'" % (iface.name, msg.name)
            base = "%s_%s" % (iface.name, msg.name)
            add(base, msg.line, what)
            add(base.upper() + "_LABEL", msg.line, what)
            if not msg.oneway:
                add(base + "_reply", msg.line, what)
            for p in msg.ins + msg.outs:
                if p.type in ("str", "bytes"):
                    add(("%s_%s_MAX" % (base, p.name)).upper(), p.line, what)


# --------------------------------------------------------------- layout ----

class Layout:
    """Where one direction's parameters go in struct ipc_msg.

    data[] = [handle mask: u8, if any handles] [fixed fields, declaration
    order, packed] [u16 length of each bytes field] then the variable part:
    each str with its NUL and each bytes' contents, in declaration order.
    Handles that are not HANDLE_NONE are packed into handles[] in order; bit i
    of the mask says whether handle parameter i was sent.
    """

    def __init__(self, params):
        self.params = params
        self.handles = [p for p in params if p.type == "handle"]
        off = 1 if self.handles else 0
        self.offset = {}
        for p in params:
            if p.type in FIXED_TYPES:
                self.offset[p.name] = off
                off += FIXED_TYPES[p.type][1]
        for p in params:
            if p.type == "bytes":
                self.offset[p.name] = off   # of its u16 length
                off += 2
        self.fixed_size = off
        self.var = [p for p in params if p.type in ("str", "bytes")]
        # The smallest message: every str empty (just its NUL), bytes empty.
        self.min_size = off + sum(1 for p in self.var if p.type == "str")

    def max_expr(self, p):
        """Largest size of p alone (str: with its NUL) when all other variable
        fields are as small as possible."""
        spare = self.min_size - (1 if p.type == "str" else 0)
        return "(IPC_DATA_MAX - %d)" % spare if spare else "IPC_DATA_MAX"


# ---------------------------------------------------------- C emission ----

RUNTIME = r"""
#ifndef TESSERA_IDL_RUNTIME
#define TESSERA_IDL_RUNTIME
/* Shared by all generated headers; guarded so several can be included. */

#define IDL_FN static inline __attribute__((unused))

/* A handler's return value meaning "I will reply later": it saves
 * req->reply_token and calls <interface>_<message>_reply() itself. */
#define IPC_DEFER 1

IDL_FN void idl_put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
IDL_FN void idl_put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
IDL_FN void idl_put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
IDL_FN uint16_t idl_get16(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}
IDL_FN uint32_t idl_get32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
IDL_FN uint64_t idl_get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Own helpers, so the stubs need no libc (and accept NULL with n == 0). */
IDL_FN size_t idl_strnlen(const char *s, size_t max) {
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}
IDL_FN void idl_copy(void *dst, const void *src, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}
IDL_FN unsigned idl_bits(unsigned mask) {
    unsigned n = 0;
    for (; mask; mask >>= 1)
        n += mask & 1u;
    return n;
}

IDL_FN void idl_close(handle_t h) {
    if (h != HANDLE_NONE)
        sys_handle_close(h);
}
/* Closes every handle that arrived in m (so a rejected message leaks none). */
IDL_FN void idl_close_all(struct ipc_msg *m) {
    for (unsigned i = 0; i < m->nhandles && i < IPC_HANDLES_MAX; i++)
        sys_handle_close(m->handles[i]);
    m->nhandles = 0;
}
/* Makes m the error reply `status` (m->reply_token is kept). */
IDL_FN void idl_error(struct ipc_msg *m, int status) {
    m->label = status;
    m->len = 0;
    m->nhandles = 0;
    m->flags = 0;
}
/* Refuses a received message: closes its handles and, if the sender waits
 * for a reply, makes m the error reply and returns 1; else returns 0. A
 * server loop uses it for labels no dispatch function knows. */
IDL_FN int idl_reject(struct ipc_msg *m, int status) {
    int call = (m->flags & IPC_MSG_CALL) != 0;
    idl_close_all(m);
    idl_error(m, status);
    return call;
}
/* Decoding of the variable part: *off advances past the field; -1 when it
 * does not fit in m->len (the caller checked *off <= m->len). */
IDL_FN int idl_take_str(const struct ipc_msg *m, size_t *off, const char **s) {
    size_t room = m->len - *off;
    size_t n = idl_strnlen((const char *)m->data + *off, room);
    if (n == room)
        return -1;   /* no NUL inside the message */
    *s = (const char *)m->data + *off;
    *off += n + 1;
    return 0;
}
IDL_FN int idl_take_bytes(const struct ipc_msg *m, size_t *off, size_t n, const void **p) {
    if (n > m->len - *off)
        return -1;
    *p = m->data + *off;
    *off += n;
    return 0;
}
#endif /* TESSERA_IDL_RUNTIME */
"""

HEADER_COMMENT = """\
/*
 * Generated by tools/idlgen.py from {src}. Do not edit.
 *
 * Conventions (details in libs/tessera/idl/README.md):
 * - Client stub: int <if>_<msg>(handle_t ep, ins..., outs...) returns 0, or a
 *   negative E_* code: the kernel's, the server's, -E_INVAL when the request
 *   does not fit in one message (nothing sent) or the reply is malformed, and
 *   -E_RANGE when a reply str/bytes is larger than the caller's buffer.
 *   In:  T x | handle_t h | const char *s | const void *b, size_t b_len
 *   Out: T *x | handle_t *h | char *s, size_t s_cap | void *b, size_t b_cap,
 *        size_t *b_len. Any out pointer may be NULL (an unwanted handle is
 *        closed). Out handles are HANDLE_NONE unless the call returns 0.
 *   In handles are always given up: moved to the server, or closed on error.
 * - Server: fill a struct <if>_server with handlers; NULL ones reply -E_NOSYS.
 *   A handler gets (ctx, req, ins..., outs...), with in str/bytes pointing
 *   into req (valid during the call only) and owning the in handles. Outs:
 *   T *x (preset 0) | handle_t *h (preset HANDLE_NONE) | char *s, a buffer of
 *   <IF>_<MSG>_<S>_MAX bytes (preset "") | void *b, size_t *b_len, a buffer
 *   of <IF>_<MSG>_<B>_MAX bytes (*b_len preset 0). It returns 0, a negative
 *   E_* (outs are then dropped, out handles closed), or IPC_DEFER.
 * - <if>_dispatch(srv, ctx, m) returns -E_NOSYS (m untouched) for another
 *   interface's label, 1 when m holds the reply to send (ipc_reply or
 *   ipc_reply_recv), 0 when there is nothing to send. Malformed requests are
 *   answered -E_INVAL and their handles closed.
 * - <if>_<msg>_reply(reply_token, status, outs...) sends a deferred reply.
 */
"""


def gname(msg, name):
    """The name of a parameter the generator adds (ep, ctx, req, status,
    reply_token): idl_-prefixed if the message has a parameter of that name."""
    users = {p.name for p in msg.ins + msg.outs}
    return "idl_" + name if name in users else name


def c_ident_upper(*parts):
    return "_".join(parts).upper()


class Emitter:
    def __init__(self):
        self.lines = []

    def __call__(self, text=""):
        self.lines.extend(text.split("\n") if text else [""])

    def text(self):
        return "\n".join(self.lines) + "\n"


def in_params(p):
    """C parameters for a value going in (client args, reply outputs)."""
    if p.type in FIXED_TYPES:
        return ["%s %s" % (FIXED_TYPES[p.type][0], p.name)]
    if p.type == "handle":
        return ["handle_t %s" % p.name]
    if p.type == "str":
        return ["const char *%s" % p.name]
    return ["const void *%s" % p.name, "size_t %s_len" % p.name]


def in_args(p):
    return [p.name, p.name + "_len"] if p.type == "bytes" else [p.name]


def client_out_params(p):
    if p.type in FIXED_TYPES:
        return ["%s *%s" % (FIXED_TYPES[p.type][0], p.name)]
    if p.type == "handle":
        return ["handle_t *%s" % p.name]
    if p.type == "str":
        return ["char *%s" % p.name, "size_t %s_cap" % p.name]
    return ["void *%s" % p.name, "size_t %s_cap" % p.name, "size_t *%s_len" % p.name]


def handler_out_params(p):
    if p.type in FIXED_TYPES:
        return ["%s *%s" % (FIXED_TYPES[p.type][0], p.name)]
    if p.type == "handle":
        return ["handle_t *%s" % p.name]
    if p.type == "str":
        return ["char *%s" % p.name]
    return ["void *%s" % p.name, "size_t *%s_len" % p.name]


def decoded_params(p):
    """Pointer parameters of a decoder for p."""
    if p.type in FIXED_TYPES:
        return ["%s *%s" % (FIXED_TYPES[p.type][0], p.name)]
    if p.type == "handle":
        return ["handle_t *%s" % p.name]
    if p.type == "str":
        return ["const char **%s" % p.name]
    return ["const void **%s" % p.name, "size_t *%s_len" % p.name]


def wrap_signature(head, params, indent=4):
    """`head(params)`, wrapped at about 96 columns."""
    line = head + "("
    out = []
    for i, param in enumerate(params):
        piece = param + ("," if i + 1 < len(params) else ")")
        if len(line) + len(piece) + 1 > 96 and not line.endswith("("):
            out.append(line.rstrip())
            line = " " * indent
        line += piece + " "
    if not params:
        line += "void) "
    out.append(line.rstrip())
    return "\n".join(out)


def encode_field(lay, p):
    off = lay.offset[p.name]
    dst = "idl_m->data + %d" % off
    if p.type == "bool":
        return "idl_m->data[%d] = %s ? 1 : 0;" % (off, p.name)
    size = FIXED_TYPES[p.type][1]
    return "idl_put%d(%s, (uint%d_t)%s);" % (size * 8, dst, size * 8, p.name)


def decode_field(lay, p):
    off = lay.offset[p.name]
    ctype, size = FIXED_TYPES[p.type]
    if p.type == "bool":
        return "*%s = idl_m->data[%d] != 0;" % (p.name, off)
    return "*%s = (%s)idl_get%d(idl_m->data + %d);" % (p.name, ctype, size * 8, off)


def emit_put(e, fn, params, label, macro_base):
    """An encoder: fills idl_m (label, len, handles, data) from values.
    Returns 0, or -E_INVAL when they do not fit; the handles are moved into
    idl_m or, on failure, closed."""
    lay = Layout(params)
    sig = ["struct ipc_msg *idl_m"] + [x for p in params for x in in_params(p)]
    e(wrap_signature("IDL_FN int " + fn, sig))
    e("{")
    if lay.var:
        e("    size_t idl_len = %d;" % lay.fixed_size)
        e("    size_t idl_off = %d;" % lay.fixed_size)
    for p in lay.var:
        if p.type == "str":
            e("    size_t idl_n_%s;" % p.name)
    if lay.handles:
        e("    unsigned idl_nh = 0;")
        e("    uint8_t idl_mask = 0;")
    if lay.var or lay.handles:
        e()
    for p in lay.var:
        mx = "%s_%s_MAX" % (macro_base, p.name.upper())
        if p.type == "str":
            e("    if (!%s)" % p.name)
            e("        goto idl_bad;")
            e("    idl_n_%s = idl_strnlen(%s, %s) + 1;" % (p.name, p.name, mx))
            e("    if (idl_n_%s > %s)" % (p.name, mx))
            e("        goto idl_bad;   /* no NUL within the limit */")
            e("    idl_len += idl_n_%s;" % p.name)
        else:
            e("    if (%s_len > %s || (!%s && %s_len))" % (p.name, mx, p.name, p.name))
            e("        goto idl_bad;")
            e("    idl_len += %s_len;" % p.name)
    if lay.var:
        e("    if (idl_len > IPC_DATA_MAX)")
        e("        goto idl_bad;")
        e()
    e("    idl_m->label = %s;" % label)
    e("    idl_m->len = %s;" % ("(uint16_t)idl_len" if lay.var else lay.fixed_size))
    e("    idl_m->flags = 0;")
    for i, p in enumerate(lay.handles):
        e("    if (%s != HANDLE_NONE) {" % p.name)
        e("        idl_mask |= 1u << %d;" % i)
        e("        idl_m->handles[idl_nh++] = %s;" % p.name)
        e("    }")
    if lay.handles:
        e("    idl_m->nhandles = (uint8_t)idl_nh;")
        e("    idl_m->data[0] = idl_mask;")
    else:
        e("    idl_m->nhandles = 0;")
    for p in params:
        if p.type in FIXED_TYPES:
            e("    " + encode_field(lay, p))
    for p in lay.var:
        if p.type == "bytes":
            e("    idl_put16(idl_m->data + %d, (uint16_t)%s_len);" % (lay.offset[p.name], p.name))
    for p in lay.var:
        n = "idl_n_%s" % p.name if p.type == "str" else "%s_len" % p.name
        e("    idl_copy(idl_m->data + idl_off, %s, %s);" % (p.name, n))
        e("    idl_off += %s;" % n)
    e("    return 0;")
    if lay.var:
        e("idl_bad:")
        for p in lay.handles:
            e("    idl_close(%s);" % p.name)
        e("    return -E_INVAL;")
    e("}")
    e()


def emit_get(e, fn, params):
    """A decoder: checks idl_m completely and extracts the values (str and
    bytes point into idl_m->data). Returns 0 or -E_INVAL; closes nothing."""
    lay = Layout(params)
    sig = ["const struct ipc_msg *idl_m"] + [x for p in params for x in decoded_params(p)]
    e(wrap_signature("IDL_FN int " + fn, sig))
    e("{")
    if lay.var:
        e("    size_t idl_off = %d;" % lay.fixed_size)
    if lay.handles:
        e("    unsigned idl_nh = 0;")
        e("    uint8_t idl_mask;")
    if lay.var or lay.handles:
        e()
    if lay.var and lay.fixed_size:
        e("    if (idl_m->len < %d || idl_m->len > IPC_DATA_MAX)" % lay.fixed_size)
    elif lay.var:
        e("    if (idl_m->len > IPC_DATA_MAX)")
    else:
        e("    if (idl_m->len != %d)" % lay.fixed_size)
    e("        return -E_INVAL;")
    if lay.handles:
        allbits = (1 << len(lay.handles)) - 1
        e("    idl_mask = idl_m->data[0];")
        e("    if ((idl_mask & ~0x%xu) || idl_bits(idl_mask) != idl_m->nhandles)" % allbits)
        e("        return -E_INVAL;")
        for i, p in enumerate(lay.handles):
            e("    *%s = (idl_mask & (1u << %d)) ? idl_m->handles[idl_nh++] : HANDLE_NONE;" % (p.name, i))
    else:
        e("    if (idl_m->nhandles != 0)")
        e("        return -E_INVAL;")
    for p in params:
        if p.type == "bool":
            e("    if (idl_m->data[%d] > 1)" % lay.offset[p.name])
            e("        return -E_INVAL;")
    for p in params:
        if p.type in FIXED_TYPES:
            e("    " + decode_field(lay, p))
    for p in lay.var:
        if p.type == "bytes":
            e("    *%s_len = idl_get16(idl_m->data + %d);" % (p.name, lay.offset[p.name]))
    for p in lay.var:
        if p.type == "str":
            e("    if (idl_take_str(idl_m, &idl_off, %s) < 0)" % p.name)
        else:
            e("    if (idl_take_bytes(idl_m, &idl_off, *%s_len, %s) < 0)" % (p.name, p.name))
        e("        return -E_INVAL;")
    if lay.var:
        e("    if (idl_off != idl_m->len)")
        e("        return -E_INVAL;   /* trailing bytes */")
    e("    return 0;")
    e("}")
    e()


def emit_interface(e, iface):
    name = iface.name
    up = name.upper()
    e("/* ======== interface %s = 0x%x ======== */" % (name, iface.id))
    e()
    e("#define %s_INTERFACE_ID 0x%x" % (up, iface.id))
    for msg in iface.messages:
        base = c_ident_upper(name, msg.name)
        e("#define %s_LABEL 0x%x" % (base, msg.label))
        need_data = need_handles = 0
        for params in (msg.ins, msg.outs):
            lay = Layout(params)
            need_data = max(need_data, lay.min_size)
            need_handles = max(need_handles, len(lay.handles))
            for p in lay.var:
                e("#define %s_%s_MAX %s%s" % (base, p.name.upper(), lay.max_expr(p),
                                              "   /* with the NUL */" if p.type == "str" else ""))
        # Re-checked here in case abi.h's limits ever shrink.
        limits = []
        if need_data:
            limits.append("IPC_DATA_MAX >= %d" % need_data)
        if need_handles:
            limits.append("IPC_HANDLES_MAX >= %d" % need_handles)
        if limits:
            e("_Static_assert(%s, \"%s.%s fits in a message\");"
              % (" && ".join(limits), name, msg.name))
    e()

    # The server's table of handlers.
    e("struct %s_server {" % name)
    for msg in iface.messages:
        ins = [x for p in msg.ins for x in in_params(p)]
        outs = [x for p in msg.outs for x in handler_out_params(p)]
        ret = "void" if msg.oneway else "int"
        e(wrap_signature("    %s (*%s)" % (ret, msg.name),
                         ["void *" + gname(msg, "ctx"), "const struct ipc_msg *" + gname(msg, "req")]
                         + ins + outs, 8) + ";")
    e("};")
    e()

    # Encoders and decoders, one per direction.
    for msg in iface.messages:
        base = "%s__" % name
        macro = c_ident_upper(name, msg.name)
        e("/* %s.%s: wire format */" % (name, msg.name))
        emit_put(e, "%sput_%s_req" % (base, msg.name), msg.ins, macro + "_LABEL", macro)
        emit_get(e, "%sget_%s_req" % (base, msg.name), msg.ins)
        if not msg.oneway:
            emit_put(e, "%sput_%s_rep" % (base, msg.name), msg.outs, "0", macro)
            emit_get(e, "%sget_%s_rep" % (base, msg.name), msg.outs)
            emit_build_rep(e, iface, msg)

    for msg in iface.messages:
        emit_client(e, iface, msg)
        if not msg.oneway:
            emit_reply(e, iface, msg)
    for msg in iface.messages:
        emit_serve(e, iface, msg)
    emit_dispatch(e, iface)


def emit_build_rep(e, iface, msg):
    lay = Layout(msg.outs)
    fn = "%s__build_%s_rep" % (iface.name, msg.name)
    status = gname(msg, "status")
    sig = ["struct ipc_msg *idl_m", "int " + status] + [x for p in msg.outs for x in in_params(p)]
    e("/* Makes idl_m the reply: status alone if negative, else 0 and the outputs.")
    e(" * Out handles are moved into idl_m or closed. Returns -E_RANGE (and makes")
    e(" * idl_m that error reply) when the outputs do not fit, else 0. */")
    e(wrap_signature("IDL_FN int " + fn, sig))
    e("{")
    e("    if (%s < 0) {" % status)
    for p in lay.handles:
        e("        idl_close(%s);" % p.name)
    e("        idl_error(idl_m, %s);" % status)
    e("        return 0;")
    e("    }")
    args = [a for p in msg.outs for a in in_args(p)]
    e("    if (%s__put_%s_rep(%s) < 0) {" % (iface.name, msg.name, ", ".join(["idl_m"] + args)))
    e("        idl_error(idl_m, -E_RANGE);")
    e("        return -E_RANGE;")
    e("    }")
    e("    return 0;")
    e("}")
    e()


def emit_client(e, iface, msg):
    lay_in = Layout(msg.ins)
    lay_out = Layout(msg.outs)
    fn = "%s_%s" % (iface.name, msg.name)
    ep = gname(msg, "ep")
    sig = ["handle_t " + ep] + [x for p in msg.ins for x in in_params(p)]
    sig += [x for p in msg.outs for x in client_out_params(p)]
    if msg.oneway:
        e("/* Sends %s.%s (no reply). Returns 0 or a negative E_* code. */" % (iface.name, msg.name))
    else:
        e("/* Calls %s.%s. Returns 0 or a negative E_* code. */" % (iface.name, msg.name))
    e(wrap_signature("IDL_FN int " + fn, sig))
    e("{")
    e("    struct ipc_msg idl_m = {.label = 0};")
    for p in msg.outs:
        if p.type == "str":
            e("    const char *idl_v_%s;" % p.name)
            e("    size_t idl_n_%s;" % p.name)
        elif p.type == "bytes":
            e("    const void *idl_v_%s;" % p.name)
            e("    size_t idl_v_%s_len;" % p.name)
        elif p.type == "handle":
            e("    handle_t idl_v_%s;" % p.name)
        else:
            e("    %s idl_v_%s;" % (FIXED_TYPES[p.type][0], p.name))
    e("    long idl_r;")
    e()
    for p in lay_out.handles:
        e("    if (%s)" % p.name)
        e("        *%s = HANDLE_NONE;" % p.name)
    args = [a for p in msg.ins for a in in_args(p)]
    e("    idl_r = %s__put_%s_req(%s);" % (iface.name, msg.name, ", ".join(["&idl_m"] + args)))
    e("    if (idl_r < 0)")
    e("        return (int)idl_r;")
    e("    idl_r = %s(%s, &idl_m);" % ("ipc_send" if msg.oneway else "ipc_call", ep))
    if lay_in.handles:
        e("    if (idl_r < 0) {")
        e("        /* In handles are given up even when the kernel refused them. */")
        for p in lay_in.handles:
            e("        idl_close(%s);" % p.name)
        e("        return (int)idl_r;")
        e("    }")
    else:
        e("    if (idl_r < 0)")
        e("        return (int)idl_r;")
    if msg.oneway:
        e("    return 0;")
        e("}")
        e()
        return
    e("    if (idl_m.label != 0) {")
    e("        idl_close_all(&idl_m);")
    e("        return idl_m.label < 0 ? idl_m.label : -E_INVAL;")
    e("    }")
    dargs = []
    for p in msg.outs:
        dargs.append("&idl_v_%s" % p.name)
        if p.type == "bytes":
            dargs.append("&idl_v_%s_len" % p.name)
    e("    if (%s__get_%s_rep(%s) < 0) {" % (iface.name, msg.name, ", ".join(["&idl_m"] + dargs)))
    e("        idl_close_all(&idl_m);")
    e("        return -E_INVAL;")
    e("    }")
    conds = []
    for p in lay_out.var:
        if p.type == "str":
            e("    idl_n_%s = idl_strnlen(idl_v_%s, IPC_DATA_MAX) + 1;" % (p.name, p.name))
            conds.append("%s && idl_n_%s > %s_cap" % (p.name, p.name, p.name))
        else:
            conds.append("%s && idl_v_%s_len > %s_cap" % (p.name, p.name, p.name))
    if len(conds) > 1:
        conds = ["(%s)" % c for c in conds]
    if conds:
        e("    if (%s) {" % "\n        || ".join(conds))
        e("        idl_close_all(&idl_m);   /* a buffer is too small */")
        e("        return -E_RANGE;")
        e("    }")
    for p in msg.outs:
        if p.type == "str":
            e("    if (%s)" % p.name)
            e("        idl_copy(%s, idl_v_%s, idl_n_%s);" % (p.name, p.name, p.name))
        elif p.type == "bytes":
            e("    if (%s)" % p.name)
            e("        idl_copy(%s, idl_v_%s, idl_v_%s_len);" % (p.name, p.name, p.name))
            e("    if (%s_len)" % p.name)
            e("        *%s_len = idl_v_%s_len;" % (p.name, p.name))
        elif p.type == "handle":
            e("    if (%s)" % p.name)
            e("        *%s = idl_v_%s;" % (p.name, p.name))
            e("    else")
            e("        idl_close(idl_v_%s);" % p.name)
        else:
            e("    if (%s)" % p.name)
            e("        *%s = idl_v_%s;" % (p.name, p.name))
    e("    return 0;")
    e("}")
    e()


def emit_reply(e, iface, msg):
    fn = "%s_%s_reply" % (iface.name, msg.name)
    token, status = gname(msg, "reply_token"), gname(msg, "status")
    sig = ["uint64_t " + token, "int " + status] + [x for p in msg.outs for x in in_params(p)]
    e("/* Sends a deferred reply to %s.%s (the handler returned IPC_DEFER)." % (iface.name, msg.name))
    e(" * Returns 0, the kernel's error, or -E_RANGE if the outputs did not fit")
    e(" * (the client then gets -E_RANGE). Out handles are always given up. */")
    e(wrap_signature("IDL_FN int " + fn, sig))
    e("{")
    e("    struct ipc_msg idl_m = {.label = 0};")
    args = [a for p in msg.outs for a in in_args(p)]
    e("    int idl_st = %s__build_%s_rep(%s);" % (iface.name, msg.name,
                                                 ", ".join(["&idl_m", status] + args)))
    e("    long idl_r;")
    e()
    e("    idl_m.reply_token = %s;" % token)
    e("    idl_r = ipc_reply(&idl_m);")
    if Layout(msg.outs).handles:
        e("    if (idl_r < 0) {")
        e("        idl_close_all(&idl_m);   /* given up even when refused */")
        e("        return (int)idl_r;")
        e("    }")
    else:
        e("    if (idl_r < 0)")
        e("        return (int)idl_r;")
    e("    return idl_st;")
    e("}")
    e()


def emit_serve(e, iface, msg):
    lay_out = Layout(msg.outs)
    fn = "%s__serve_%s" % (iface.name, msg.name)
    macro = c_ident_upper(iface.name, msg.name)
    e(wrap_signature("IDL_FN int " + fn, ["const struct %s_server *idl_srv" % iface.name,
                                          "void *idl_ctx", "struct ipc_msg *idl_m"]))
    e("{")
    for p in msg.ins:
        if p.type == "str":
            e("    const char *%s;" % p.name)
        elif p.type == "bytes":
            e("    const void *%s;" % p.name)
            e("    size_t %s_len;" % p.name)
        elif p.type == "handle":
            e("    handle_t %s;" % p.name)
        else:
            e("    %s %s;" % (FIXED_TYPES[p.type][0], p.name))
    for p in msg.outs:
        if p.type == "str":
            e("    char %s[%s_%s_MAX] = \"\";" % (p.name, macro, p.name.upper()))
        elif p.type == "bytes":
            e("    uint8_t %s[%s_%s_MAX] = {0};" % (p.name, macro, p.name.upper()))
            e("    size_t %s_len = 0;" % p.name)
        elif p.type == "handle":
            e("    handle_t %s = HANDLE_NONE;" % p.name)
        else:
            e("    %s %s = 0;" % (FIXED_TYPES[p.type][0], p.name))
    if not msg.oneway:
        e("    int idl_st;")
    e()
    # The message kind must match: a call to a oneway would wait forever.
    if msg.oneway:
        e("    if (idl_m->flags & IPC_MSG_CALL)")
    else:
        e("    if (!(idl_m->flags & IPC_MSG_CALL))")
    e("        return idl_reject(idl_m, -E_INVAL);")
    e("    if (!idl_srv->%s)" % msg.name)
    e("        return idl_reject(idl_m, -E_NOSYS);")
    dargs = []
    for p in msg.ins:
        dargs.append("&" + p.name)
        if p.type == "bytes":
            dargs.append("&%s_len" % p.name)
    e("    if (%s__get_%s_req(%s) < 0)" % (iface.name, msg.name, ", ".join(["idl_m"] + dargs)))
    e("        return idl_reject(idl_m, -E_INVAL);")
    hargs = ["idl_ctx", "idl_m"] + [a for p in msg.ins for a in in_args(p)]
    for p in msg.outs:
        if p.type in ("str",):
            hargs.append(p.name)
        elif p.type == "bytes":
            hargs += [p.name, "&%s_len" % p.name]
        else:
            hargs.append("&" + p.name)
    call = "idl_srv->%s(%s)" % (msg.name, ", ".join(hargs))
    if msg.oneway:
        e("    %s;" % call)
        e("    return 0;")
    else:
        e("    idl_st = %s;" % call)
        e("    if (idl_st == IPC_DEFER) {")
        for p in lay_out.handles:
            e("        idl_close(%s);   /* outputs are not sent now */" % p.name)
        e("        return 0;")
        e("    }")
        args = [a for p in msg.outs for a in in_args(p)]
        e("    %s__build_%s_rep(%s);" % (iface.name, msg.name,
                                          ", ".join(["idl_m", "idl_st"] + args)))
        e("    return 1;")
    e("}")
    e()


def emit_dispatch(e, iface):
    e("/* Serves one received message of interface %s; see the top of the file. */" % iface.name)
    e("IDL_FN int %s_dispatch(const struct %s_server *srv, void *ctx, struct ipc_msg *m)"
      % (iface.name, iface.name))
    e("{")
    e("    switch (m->label) {")
    for msg in iface.messages:
        e("    case %s_LABEL:" % c_ident_upper(iface.name, msg.name))
        e("        return %s__serve_%s(srv, ctx, m);" % (iface.name, msg.name))
    e("    default:")
    e("        return -E_NOSYS;")
    e("    }")
    e("}")
    e()


def generate(interfaces, src, guard):
    e = Emitter()
    e(HEADER_COMMENT.format(src=src).rstrip("\n"))
    e("#ifndef %s" % guard)
    e("#define %s" % guard)
    e()
    e("#include <stdbool.h>")
    e("#include <stddef.h>")
    e("#include <stdint.h>")
    e("#include <tessera/syscall.h>")
    e(RUNTIME.rstrip("\n"))
    e()
    for iface in interfaces:
        emit_interface(e, iface)
    e("#endif /* %s */" % guard)
    return e.text()


# ----------------------------------------------------------------- main ----

def main(argv):
    ap = argparse.ArgumentParser(description="Generate C IPC stubs from a Tessera .idl file.")
    ap.add_argument("input", help="the .idl file")
    ap.add_argument("-o", "--output", help="the header to write (default: stdout)")
    args = ap.parse_args(argv)

    try:
        with open(args.input, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        print("%s: error: %s" % (args.input, err), file=sys.stderr)
        return 1

    try:
        interfaces = Parser(tokenize(text)).parse_file()
        check(interfaces)
    except IdlError as err:
        print("%s:%d: error: %s" % (args.input, err.line, err.message), file=sys.stderr)
        return 1

    base = os.path.splitext(os.path.basename(args.input))[0]
    guard = "TESSERA_IDL_%s_H" % re.sub(r"[^A-Za-z0-9]", "_", base).upper()
    out = generate(interfaces, args.input, guard)

    if not args.output or args.output == "-":
        sys.stdout.write(out)
        return 0
    # Write to a temporary file and rename, so make never sees half a header.
    outdir = os.path.dirname(os.path.abspath(args.output))
    try:
        os.makedirs(outdir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=outdir, prefix=".idlgen-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(out)
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.output)
    except OSError as err:
        print("%s: error: %s" % (args.output, err), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
