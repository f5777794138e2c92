/*
 * Host test of the stubs tools/idlgen.py generates from the .idl files in
 * tests/host/idl/. A fake kernel below implements SYS_IPC in-process: a call
 * moves the message's handles to the "server" task (new numbers), runs the
 * server's dispatch loop, and moves the reply's handles back to the "client".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "idltest.h"
#include "idlother.h"   /* a second generated header in the same file */

/* ------------------------------------------------------------ fake kernel */

enum { FREE = 0, CLIENT = 1, SERVER = 2 };
#define H_BASE 100      /* handle numbers are H_BASE + index into h_owner */
#define H_MAX 1024
#define EP 7            /* the client's endpoint to the test server */
#define BAD_EP 8
#define BADGE 0xb0d9eull

static int h_owner[H_MAX];
static int h_next;
static int cur = CLIENT;          /* the task making system calls */
static int delivered;             /* messages the kernel delivered */
static int replied;
static uint64_t token;            /* reply token of the call in progress */
static struct ipc_msg last_req;   /* the last request as the server got it */
static struct ipc_msg reply_msg;
static int dispatch_ret;
/* When set, the server answers calls with this instead of dispatching. */
static void (*evil)(struct ipc_msg *m);

static handle_t new_handle(int owner) {
    int i = h_next++;
    h_owner[i] = owner;
    return H_BASE + i;
}

static int owner_of(handle_t h) {
    if (h < H_BASE || h >= H_BASE + h_next)
        return FREE;
    return h_owner[h - H_BASE];
}

static int open_handles(int owner) {
    int n = 0;
    for (int i = 0; i < h_next; i++)
        n += h_owner[i] == owner;
    return n;
}

static long fake_close(handle_t h) {
    if (owner_of(h) != cur)
        return -E_BADH;
    h_owner[h - H_BASE] = FREE;
    return 0;
}

/* Moves m's handles from task `from` to task `to`, renumbering them. */
static long move_handles(struct ipc_msg *m, int from, int to) {
    if (m->nhandles > IPC_HANDLES_MAX)
        return -E_INVAL;
    for (int i = 0; i < m->nhandles; i++)
        if (owner_of(m->handles[i]) != from)
            return -E_BADH;
    for (int i = 0; i < m->nhandles; i++) {
        h_owner[m->handles[i] - H_BASE] = FREE;
        m->handles[i] = new_handle(to);
    }
    return 0;
}

static void server_loop_once(struct ipc_msg *m);

static long fake_ipc(handle_t send, struct ipc_msg *m, uint32_t flags) {
    if (flags == IPC_CALL || flags == IPC_SEND) {
        struct ipc_msg sm = *m;
        long r;
        if (cur != CLIENT || send != EP)
            return -E_BADH;
        if (m->len > IPC_DATA_MAX)
            return -E_INVAL;
        r = move_handles(&sm, CLIENT, SERVER);
        if (r < 0)
            return r;
        sm.flags = flags == IPC_CALL ? IPC_MSG_CALL : 0;
        sm.badge = BADGE;
        sm.sender = 42;
        sm.reply_token = flags == IPC_CALL ? ++token : 0;
        delivered++;
        replied = 0;
        last_req = sm;
        cur = SERVER;
        server_loop_once(&sm);
        cur = CLIENT;
        if (flags == IPC_SEND)
            return 0;
        if (!replied)
            return -E_TIMEDOUT;   /* stands for "would wait forever" */
        *m = reply_msg;
        return 0;
    }
    if (flags == IPC_REPLY) {
        struct ipc_msg rm = *m;
        long r;
        if (cur != SERVER || replied || m->reply_token != token)
            return -E_INVAL;
        if (m->len > IPC_DATA_MAX)
            return -E_INVAL;
        r = move_handles(&rm, SERVER, CLIENT);
        if (r < 0)
            return r;
        rm.flags = 0;
        rm.badge = 0;
        rm.sender = 1;
        rm.reply_token = 0;
        reply_msg = rm;
        replied = 1;
        return 0;
    }
    return -E_INVAL;
}

long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
    (void)a2, (void)a5, (void)a6;
    switch (n) {
    case SYS_HANDLE_CLOSE:
        return fake_close((handle_t)a1);
    case SYS_IPC:
        return fake_ipc((handle_t)a1, (struct ipc_msg *)a3, (uint32_t)a4);
    default:
        return -E_NOSYS;
    }
}

void sys_task_exit(int status) {
    exit(status);
}

/* ------------------------------------------------------------ test server */

static struct state {
    int calls;               /* handler calls */
    int status;              /* what some handlers return */
    handle_t got[4];         /* in handles as the server saw them */
    char line[256];
    uint32_t later_x;
    uint64_t later_token;
    int later_pending;
    int later_status;        /* the deferred reply's status */
    const char *later_s;     /* the deferred reply's str */
    int later_ret;           /* what tt_later_reply returned */
    int quiet;
} st;

static int h_scalars(void *ctx, const struct ipc_msg *req, int32_t a, uint32_t b, int64_t c,
                     uint64_t d, size_t e, bool f, int32_t *a2, uint32_t *b2, int64_t *c2,
                     uint64_t *d2, size_t *e2, bool *f2) {
    st.calls++;
    if (ctx != &st || req->badge != BADGE || req->sender != 42)
        return -E_FAULT;
    *a2 = a;
    *b2 = b;
    *c2 = c;
    *d2 = d;
    *e2 = e;
    *f2 = f;
    return 0;
}

/* Swaps the strings, so order mistakes show. */
static int h_strings(void *ctx, const struct ipc_msg *req, const char *s, const char *t,
                     char *u, char *v) {
    (void)ctx, (void)req;
    st.calls++;
    strcpy(u, t);
    strcpy(v, s);
    return 0;
}

static int h_blobs(void *ctx, const struct ipc_msg *req, const void *x, size_t x_len,
                   const char *y, uint32_t z, void *w, size_t *w_len, uint64_t *n) {
    (void)ctx, (void)req;
    st.calls++;
    for (size_t i = 0; i < x_len; i++)   /* w = x reversed */
        ((uint8_t *)w)[i] = ((const uint8_t *)x)[x_len - 1 - i];
    *w_len = x_len;
    *n = strlen(y) + z;
    return 0;
}

/* n = 1: return -E_PERM after setting an out handle; else o1 new, o2 none. */
static int h_hands(void *ctx, const struct ipc_msg *req, handle_t h1, handle_t h2, uint32_t n,
                   handle_t *o1, handle_t *o2) {
    (void)ctx, (void)req;
    st.calls++;
    st.got[0] = h1;
    st.got[1] = h2;
    *o1 = new_handle(SERVER);
    if (n == 1)
        return -E_PERM;
    *o2 = HANDLE_NONE;
    return 0;
}

static int h_nothing(void *ctx, const struct ipc_msg *req) {
    (void)ctx, (void)req;
    st.calls++;
    return st.status;
}

/* Defers; the server loop answers after dispatch. x = 1: also sets *o,
 * which must be closed since nothing is sent now. */
static int h_later(void *ctx, const struct ipc_msg *req, uint32_t x, handle_t h, uint32_t *y,
                   char *s, handle_t *o) {
    (void)ctx, (void)y, (void)s;
    st.calls++;
    st.got[0] = h;
    st.later_x = x;
    st.later_token = req->reply_token;
    st.later_pending = 1;
    if (x == 1)
        *o = new_handle(SERVER);
    return IPC_DEFER;
}

static void h_note(void *ctx, const struct ipc_msg *req, const char *line, handle_t h) {
    (void)ctx, (void)req;
    st.calls++;
    snprintf(st.line, sizeof st.line, "%s", line);
    st.got[0] = h;
}

/* "overflow": fill s2 without a NUL, which must give -E_RANGE. */
static int h_maxstr(void *ctx, const struct ipc_msg *req, const char *s, char *s2) {
    (void)ctx, (void)req;
    st.calls++;
    if (strcmp(s, "overflow") == 0)
        memset(s2, 'x', TT_MAXSTR_S2_MAX);
    else
        strcpy(s2, s);
    return 0;
}

/* A single 0xff byte: claim one byte more than the buffer holds. */
static int h_maxbytes(void *ctx, const struct ipc_msg *req, const void *b, size_t b_len,
                      void *b2, size_t *b2_len) {
    (void)ctx, (void)req;
    st.calls++;
    memcpy(b2, b, b_len);
    *b2_len = b_len;
    if (b_len == 1 && *(const uint8_t *)b == 0xff)
        *b2_len = TT_MAXBYTES_B2_MAX + 1;
    return 0;
}

/* Gives the four handles back, in reverse order. */
static int h_fourh(void *ctx, const struct ipc_msg *req, handle_t a, handle_t b, handle_t c,
                   handle_t d, handle_t *e, handle_t *f, handle_t *g, handle_t *h) {
    (void)ctx, (void)req;
    st.calls++;
    st.got[0] = a, st.got[1] = b, st.got[2] = c, st.got[3] = d;
    *e = d, *f = c, *g = b, *h = a;
    return 0;
}

static int h_ping(void *ctx, const struct ipc_msg *req, uint32_t x, uint32_t *y) {
    (void)ctx, (void)req;
    *y = x * 2;
    return 0;
}

static void h_quiet(void *ctx, const struct ipc_msg *req) {
    (void)ctx, (void)req;
    st.quiet++;
}

static int h_names(void *idl_ctx, const struct ipc_msg *idl_req, uint32_t ep, uint32_t ctx,
                   uint32_t req, int32_t *status, uint64_t *reply_token) {
    (void)idl_ctx;
    *status = (int32_t)(ep + ctx + req);
    *reply_token = idl_req->reply_token;
    return 0;
}

static int h_add(void *ctx, const struct ipc_msg *req, uint32_t a, uint32_t b, uint32_t *sum) {
    (void)ctx, (void)req;
    *sum = a + b;
    return 0;
}

static const struct tt_server tt_srv = {
    .scalars = h_scalars, .strings = h_strings, .blobs = h_blobs, .hands = h_hands,
    .nothing = h_nothing, .later = h_later, .note = h_note, .maxstr = h_maxstr,
    .maxbytes = h_maxbytes, .fourh = h_fourh,
    /* .unhandled and .ignored stay NULL */
};
static const struct tt2_server tt2_srv = {.ping = h_ping, .quiet = h_quiet, .names = h_names};
static const struct other_server other_srv = {.add = h_add};

/* What a real server loop does with one received message. */
static void server_loop_once(struct ipc_msg *m) {
    int r;
    if (evil) {
        evil(m);
        ipc_reply(m);
        return;
    }
    r = tt_dispatch(&tt_srv, &st, m);
    if (r == -E_NOSYS)
        r = tt2_dispatch(&tt2_srv, &st, m);
    if (r == -E_NOSYS)
        r = other_dispatch(&other_srv, &st, m);
    if (r == -E_NOSYS)
        r = idl_reject(m, -E_NOSYS);
    dispatch_ret = r;
    if (r == 1)
        ipc_reply(m);
    if (st.later_pending) {   /* "later": answer the deferred call now */
        st.later_pending = 0;
        st.later_ret = tt_later_reply(st.later_token, st.later_status, st.later_x + 1,
                                      st.later_s, new_handle(SERVER));
    }
}

static void reset(void) {
    memset(h_owner, 0, sizeof h_owner);
    h_next = 0;
    cur = CLIENT;
    delivered = replied = 0;
    dispatch_ret = -1000;
    evil = NULL;
    memset(&st, 0, sizeof st);
    st.later_s = "later";
}

/* No handle of either task is left open. */
static int no_leaks(void) {
    return open_handles(CLIENT) == 0 && open_handles(SERVER) == 0;
}

/* ------------------------------------------------------------------ tests */

TEST(labels_and_limits) {
    CHECK_EQ(TT_INTERFACE_ID, 0x123);
    CHECK_EQ(TT_SCALARS_LABEL, 0x12301);
    CHECK_EQ(TT_FOURH_LABEL, 0x1230c);
    CHECK_EQ(TT2_QUIET_LABEL, 0x202);
    CHECK_EQ(OTHER_ADD_LABEL, 0x301);
    CHECK_EQ(TT_STRINGS_S_MAX, 207);    /* the other str needs its NUL */
    CHECK_EQ(TT_MAXSTR_S_MAX, 208);
    CHECK_EQ(TT_MAXBYTES_B_MAX, 206);   /* minus the u16 length */
    CHECK_EQ(TT_BLOBS_X_MAX, 201);      /* 208 - z - x's length - y's NUL */
    CHECK_EQ(TT_BLOBS_Y_MAX, 202);
    CHECK_EQ(TT_LATER_S_MAX, 203);      /* 208 - mask - y */
}

TEST(scalars_round_trip) {
    int32_t a;
    uint32_t b;
    int64_t c;
    uint64_t d;
    size_t e;
    bool f;
    reset();
    CHECK_EQ(tt_scalars(EP, INT32_MIN, UINT32_MAX, INT64_MIN, UINT64_MAX, SIZE_MAX, true,
                        &a, &b, &c, &d, &e, &f), 0);
    CHECK(a == INT32_MIN && b == UINT32_MAX && c == INT64_MIN && d == UINT64_MAX);
    CHECK(e == SIZE_MAX && f == true);
    CHECK_EQ(tt_scalars(EP, -1, 7, INT64_MAX, 0x0102030405060708ull, 0, false,
                        &a, &b, &c, &d, &e, &f), 0);
    CHECK(a == -1 && b == 7 && c == INT64_MAX && d == 0x0102030405060708ull);
    CHECK(e == 0 && f == false);
    /* NULL out pointers are allowed. */
    CHECK_EQ(tt_scalars(EP, 1, 2, 3, 4, 5, true, NULL, NULL, NULL, NULL, NULL, NULL), 0);
    CHECK_EQ(st.calls, 3);
}

TEST(wire_format_is_little_endian_and_packed) {
    handle_t h;
    uint32_t y;
    char s[8];
    reset();
    h = new_handle(CLIENT);
    st.later_s = "ok";
    CHECK_EQ(tt_later(EP, 0x11223344, h, &y, s, sizeof s, NULL), 0);
    /* [mask][x: u32 LE] */
    CHECK_EQ(last_req.label, TT_LATER_LABEL);
    CHECK_EQ(last_req.len, 5);
    CHECK_EQ(last_req.nhandles, 1);
    CHECK(memcmp(last_req.data, "\x01\x44\x33\x22\x11", 5) == 0);
    /* blobs: [z: u32][x's length: u16][x's bytes][y with NUL] */
    reset();
    CHECK_EQ(tt_blobs(EP, "\x00\xff", 2, "yz", 0x0a0b0c0d, NULL, 0, NULL, NULL), 0);
    CHECK_EQ(last_req.len, 4 + 2 + 2 + 3);
    CHECK(memcmp(last_req.data, "\x0d\x0c\x0b\x0a\x02\x00\x00\xffyz", 11) == 0);
    CHECK_EQ(last_req.nhandles, 0);
}

TEST(strings_round_trip) {
    char u[TT_STRINGS_U_MAX], v[TT_STRINGS_V_MAX];
    reset();
    CHECK_EQ(tt_strings(EP, "first", "second", u, sizeof u, v, sizeof v), 0);
    CHECK_STR(u, "second");
    CHECK_STR(v, "first");
    CHECK_EQ(tt_strings(EP, "", "", u, sizeof u, v, sizeof v), 0);
    CHECK_STR(u, "");
    CHECK_STR(v, "");
    /* Exactly fitting buffers are fine; one byte less is -E_RANGE. */
    CHECK_EQ(tt_strings(EP, "abc", "de", u, 3, v, 4), 0);
    CHECK_EQ(tt_strings(EP, "abc", "de", u, 3, v, 3), -E_RANGE);
    CHECK_EQ(tt_strings(EP, "abc", "de", NULL, 0, NULL, 0), 0);
    CHECK_EQ(tt_strings(EP, NULL, "de", u, sizeof u, v, sizeof v), -E_INVAL);
}

TEST(strings_at_the_size_limit) {
    char big[300], u[TT_STRINGS_U_MAX], v[TT_STRINGS_V_MAX];
    reset();
    memset(big, 'a', sizeof big);
    big[206] = '\0';   /* 207 bytes + "" (1) = 208 */
    CHECK_EQ(tt_strings(EP, big, "", u, sizeof u, v, sizeof v), 0);
    CHECK_EQ(strlen(v), 206u);
    CHECK_EQ(last_req.len, 208);
    CHECK_EQ(delivered, 1);
    CHECK_EQ(tt_strings(EP, big, "b", u, sizeof u, v, sizeof v), -E_INVAL);
    big[206] = 'a';
    big[207] = '\0';   /* 208 bytes + 1: too big, and over S_MAX alone */
    CHECK_EQ(tt_strings(EP, big, "", u, sizeof u, v, sizeof v), -E_INVAL);
    big[299] = '\0';
    CHECK_EQ(tt_strings(EP, big, "", u, sizeof u, v, sizeof v), -E_INVAL);
    CHECK_EQ(delivered, 1);   /* nothing was sent for the bad ones */
}

TEST(maxstr_uses_the_whole_message) {
    char big[TT_MAXSTR_S_MAX + 1], out[TT_MAXSTR_S2_MAX];
    reset();
    memset(big, 'q', sizeof big);
    big[TT_MAXSTR_S_MAX - 1] = '\0';
    CHECK_EQ(tt_maxstr(EP, big, out, sizeof out), 0);
    CHECK_STR(out, big);
    CHECK_EQ(reply_msg.len, IPC_DATA_MAX);
    big[TT_MAXSTR_S_MAX - 1] = 'q';
    big[TT_MAXSTR_S_MAX] = '\0';
    CHECK_EQ(tt_maxstr(EP, big, out, sizeof out), -E_INVAL);
    CHECK_EQ(delivered, 1);
}

TEST(bytes_round_trip_and_limits) {
    uint8_t in[TT_MAXBYTES_B_MAX + 1], out[TT_MAXBYTES_B2_MAX];
    size_t n = 0;
    reset();
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 7);
    CHECK_EQ(tt_maxbytes(EP, in, TT_MAXBYTES_B_MAX, out, sizeof out, &n), 0);
    CHECK_EQ(n, (size_t)TT_MAXBYTES_B_MAX);
    CHECK(memcmp(in, out, n) == 0);
    CHECK_EQ(reply_msg.len, IPC_DATA_MAX);
    CHECK_EQ(tt_maxbytes(EP, in, TT_MAXBYTES_B_MAX + 1, out, sizeof out, &n), -E_INVAL);
    CHECK_EQ(tt_maxbytes(EP, NULL, 5, out, sizeof out, &n), -E_INVAL);
    CHECK_EQ(delivered, 1);
    CHECK_EQ(tt_maxbytes(EP, NULL, 0, out, sizeof out, &n), 0);
    CHECK_EQ(n, 0u);
    /* A too small buffer is -E_RANGE. */
    CHECK_EQ(tt_maxbytes(EP, in, 10, out, 9, &n), -E_RANGE);
    CHECK_EQ(tt_maxbytes(EP, in, 10, out, 10, &n), 0);
}

TEST(bytes_with_other_fields) {
    uint8_t w[TT_BLOBS_W_MAX];
    size_t wn = 0;
    uint64_t n = 0;
    reset();
    CHECK_EQ(tt_blobs(EP, "a\0b\0c", 5, "four", 10, w, sizeof w, &wn, &n), 0);
    CHECK_EQ(wn, 5u);
    CHECK(memcmp(w, "c\0b\0a", 5) == 0);
    CHECK_EQ(n, 14u);
    CHECK_EQ(tt_blobs(EP, "abc", 3, "four", 0, w, 2, &wn, &n), -E_RANGE);
}

TEST(handles_move_both_ways) {
    handle_t h1, o1 = 0, o2 = 0;
    reset();
    h1 = new_handle(CLIENT);
    CHECK_EQ(tt_hands(EP, h1, HANDLE_NONE, 0, &o1, &o2), 0);
    CHECK_EQ(owner_of(h1), FREE);                  /* the client lost it */
    CHECK(st.got[0] != h1 && owner_of(st.got[0]) == SERVER);
    CHECK_EQ(st.got[1], HANDLE_NONE);              /* "no handle" arrives as such */
    CHECK_EQ(last_req.nhandles, 1);
    CHECK_EQ(owner_of(o1), CLIENT);
    CHECK_EQ(o2, HANDLE_NONE);
    CHECK_EQ(open_handles(CLIENT), 1);
    CHECK_EQ(open_handles(SERVER), 1);
}

TEST(four_handles_with_a_gap) {
    handle_t a, c, d, e, f, g, h;
    reset();
    a = new_handle(CLIENT);
    c = new_handle(CLIENT);
    d = new_handle(CLIENT);
    CHECK_EQ(tt_fourh(EP, a, HANDLE_NONE, c, d, &e, &f, &g, &h), 0);
    CHECK_EQ(last_req.nhandles, 3);
    CHECK_EQ(st.got[1], HANDLE_NONE);
    CHECK(owner_of(st.got[0]) == FREE && owner_of(st.got[3]) == FREE);  /* moved back */
    CHECK(owner_of(e) == CLIENT && owner_of(f) == CLIENT && owner_of(h) == CLIENT);
    CHECK_EQ(g, HANDLE_NONE);
    CHECK_EQ(reply_msg.nhandles, 3);
    CHECK_EQ(open_handles(CLIENT), 3);
    CHECK_EQ(open_handles(SERVER), 0);
}

TEST(unwanted_out_handle_is_closed) {
    reset();
    CHECK_EQ(tt_hands(EP, HANDLE_NONE, HANDLE_NONE, 0, NULL, NULL), 0);
    CHECK(no_leaks());
}

TEST(handler_error_drops_outputs) {
    handle_t o1 = 0, o2 = 0;
    reset();
    CHECK_EQ(tt_hands(EP, HANDLE_NONE, HANDLE_NONE, 1, &o1, &o2), -E_PERM);
    CHECK(o1 == HANDLE_NONE && o2 == HANDLE_NONE);
    CHECK_EQ(reply_msg.nhandles, 0);
    CHECK(no_leaks());   /* the handle the handler made was closed */
    st.status = -E_BUSY;
    CHECK_EQ(tt_nothing(EP), -E_BUSY);
    st.status = 5;       /* other positive values count as success */
    CHECK_EQ(tt_nothing(EP), 0);
    CHECK_EQ(reply_msg.label, 0);
}

TEST(in_handles_are_given_up_on_client_errors) {
    char big[300];
    handle_t h;
    reset();
    memset(big, 'x', sizeof big);
    big[299] = '\0';
    h = new_handle(CLIENT);
    CHECK_EQ(tt_note(EP, big, h), -E_INVAL);   /* too big: not sent, h closed */
    CHECK_EQ(delivered, 0);
    CHECK_EQ(owner_of(h), FREE);
    h = new_handle(CLIENT);
    CHECK_EQ(tt_hands(BAD_EP, h, HANDLE_NONE, 0, NULL, NULL), -E_BADH);
    CHECK_EQ(owner_of(h), FREE);
    CHECK(no_leaks());
}

/* A request as the server would receive it, carrying n server handles. */
static struct ipc_msg request(int32_t label, uint16_t len, const void *data, int n) {
    struct ipc_msg m;
    memset(&m, 0, sizeof m);
    m.label = label;
    m.len = len;
    m.flags = IPC_MSG_CALL;
    m.reply_token = 77;
    memcpy(m.data, data, len < IPC_DATA_MAX ? len : IPC_DATA_MAX);
    m.nhandles = (uint8_t)n;
    for (int i = 0; i < n; i++)
        m.handles[i] = new_handle(SERVER);
    return m;
}

/* Dispatches m as the server; true if it was refused with -E_INVAL, no
 * handler ran and no handle is left open. */
static int refused(struct ipc_msg m) {
    int calls = st.calls, r;
    cur = SERVER;
    r = tt_dispatch(&tt_srv, &st, &m);
    cur = CLIENT;
    return r == 1 && m.label == -E_INVAL && m.len == 0 && m.nhandles == 0 &&
           m.reply_token == 77 && st.calls == calls && no_leaks();
}

TEST(malformed_requests_are_refused) {
    uint8_t d[IPC_DATA_MAX] = {0};
    reset();
    CHECK(refused(request(TT_SCALARS_LABEL, 32, d, 0)));    /* short */
    CHECK(refused(request(TT_SCALARS_LABEL, 34, d, 0)));    /* trailing byte */
    CHECK(refused(request(TT_SCALARS_LABEL, 33, d, 1)));    /* undeclared handle */
    CHECK(refused(request(TT_SCALARS_LABEL, 300, d, 2)));   /* len > IPC_DATA_MAX */
    d[32] = 2;
    CHECK(refused(request(TT_SCALARS_LABEL, 33, d, 0)));    /* bool neither 0 nor 1 */
    CHECK(refused(request(TT_STRINGS_LABEL, 5, "abcde", 0)));      /* no NUL */
    CHECK(refused(request(TT_STRINGS_LABEL, 6, "abc\0de", 0)));    /* second one */
    CHECK(refused(request(TT_STRINGS_LABEL, 6, "ab\0c\0d", 0)));   /* trailing */
    CHECK(refused(request(TT_STRINGS_LABEL, 0, "", 0)));
    CHECK(refused(request(TT_LATER_LABEL, 5, "\x01xxxx", 2)));   /* mask 1, 2 handles */
    CHECK(refused(request(TT_LATER_LABEL, 5, "\x00xxxx", 1)));   /* mask 0, 1 handle */
    CHECK(refused(request(TT_LATER_LABEL, 5, "\x02xxxx", 1)));   /* undeclared mask bit */
    CHECK(refused(request(TT_LATER_LABEL, 4, "\x01xxx", 1)));    /* short, with a handle */
    /* blobs: z, x's length 9 but only 3 bytes follow */
    CHECK(refused(request(TT_BLOBS_LABEL, 10, "zzzz\x09\x00" "ab\0", 0)));
    CHECK(refused(request(TT_BLOBS_LABEL, 8, "zzzz\x02\x00" "ab", 0)));   /* y missing */
    /* The same bytes, well formed, are accepted. */
    {
        struct ipc_msg m = request(TT_BLOBS_LABEL, 10, "zzzz\x02\x00" "aby", 0);
        m.data[9] = 0;
        cur = SERVER;
        CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), 1);
        cur = CLIENT;
        CHECK_EQ(m.label, 0);
        CHECK_EQ(st.calls, 1);
    }
}

TEST(message_kind_must_match) {
    struct ipc_msg m;
    reset();
    /* An rpc sent without waiting for a reply: refused, nothing to send. */
    m = request(TT_LATER_LABEL, 5, "\x01xxxx", 1);
    m.flags = 0;
    cur = SERVER;
    CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), 0);
    CHECK(no_leaks());
    /* A oneway sent as a call would wait forever: refused with a reply. */
    m = request(TT_NOTE_LABEL, 4, "\x01hi", 1);
    m.data[3] = 0;
    CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), 1);
    CHECK_EQ(m.label, -E_INVAL);
    cur = CLIENT;
    CHECK(no_leaks());
    CHECK_EQ(st.calls, 0);
}

TEST(unknown_label_leaves_message_untouched) {
    struct ipc_msg m, copy;
    reset();
    m = request(0x99901, 3, "abc", 1);
    copy = m;
    cur = SERVER;
    CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), -E_NOSYS);
    CHECK(memcmp(&m, &copy, sizeof m) == 0);
    m.label = TT2_PING_LABEL;
    CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), -E_NOSYS);
    m.label = TT_FOURH_LABEL + 1;
    CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), -E_NOSYS);
    m.label = IPC_LABEL_NOTIFY;
    m.flags = IPC_MSG_NOTIFY;
    CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), -E_NOSYS);
    cur = CLIENT;
    CHECK_EQ(open_handles(SERVER), 1);   /* still the caller's to handle */
    /* Through the loop: the server refuses what nobody knows. */
    reset();
    m = request(0x99901, 0, "", 0);
    CHECK_EQ(ipc_call(EP, &m), 0);
    CHECK_EQ(m.label, -E_NOSYS);
}

TEST(null_handler_gives_enosys) {
    struct ipc_msg m;
    reset();
    CHECK_EQ(tt_unhandled(EP, 5), -E_NOSYS);
    CHECK_EQ(tt_ignored(EP, 5), 0);   /* oneway: nobody to tell */
    CHECK_EQ(dispatch_ret, 0);
    /* Handles that came with it are closed, even if malformed too. */
    m = request(TT_UNHANDLED_LABEL, 4, "xxxx", 2);
    cur = SERVER;
    CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), 1);
    CHECK_EQ(m.label, -E_NOSYS);
    m = request(TT_IGNORED_LABEL, 4, "xxxx", 1);
    m.flags = 0;
    CHECK_EQ(tt_dispatch(&tt_srv, &st, &m), 0);
    cur = CLIENT;
    CHECK(no_leaks());
}

TEST(deferred_reply) {
    handle_t h, o = 0;
    uint32_t y = 0;
    char s[TT_LATER_S_MAX];
    reset();
    h = new_handle(CLIENT);
    CHECK_EQ(tt_later(EP, 41, h, &y, s, sizeof s, &o), 0);
    CHECK_EQ(dispatch_ret, 0);    /* dispatch had nothing to send */
    CHECK_EQ(st.later_ret, 0);
    CHECK_EQ(y, 42u);
    CHECK_STR(s, "later");
    CHECK_EQ(owner_of(o), CLIENT);
    CHECK_EQ(owner_of(st.got[0]), SERVER);   /* the handler kept h */
    /* A deferred error: the out handle is closed, not sent. */
    reset();
    st.later_status = -E_BUSY;
    CHECK_EQ(tt_later(EP, 2, HANDLE_NONE, &y, s, sizeof s, &o), -E_BUSY);
    CHECK_EQ(o, HANDLE_NONE);
    CHECK(no_leaks());
    /* Outputs set before deferring are dropped (handle closed). */
    reset();
    CHECK_EQ(tt_later(EP, 1, HANDLE_NONE, &y, s, sizeof s, &o), 0);
    CHECK_EQ(open_handles(SERVER), 0);
    CHECK_EQ(open_handles(CLIENT), 1);   /* just the reply's */
    /* Outputs too big for the message: both sides see -E_RANGE. */
    reset();
    {
        static char big[TT_LATER_S_MAX + 1];
        memset(big, 'b', sizeof big - 1);
        st.later_s = big;
        CHECK_EQ(tt_later(EP, 3, HANDLE_NONE, &y, s, sizeof s, &o), -E_RANGE);
        CHECK_EQ(st.later_ret, -E_RANGE);
        CHECK(no_leaks());
        st.later_s = NULL;
        CHECK_EQ(tt_later(EP, 3, HANDLE_NONE, &y, s, sizeof s, &o), -E_RANGE);
    }
}

TEST(server_outputs_too_big) {
    char out[TT_MAXSTR_S2_MAX];
    uint8_t b[TT_MAXBYTES_B2_MAX];
    size_t n;
    reset();
    CHECK_EQ(tt_maxstr(EP, "overflow", out, sizeof out), -E_RANGE);
    CHECK_EQ(tt_maxbytes(EP, "\xff", 1, b, sizeof b, &n), -E_RANGE);
}

TEST(oneway) {
    handle_t h;
    reset();
    h = new_handle(CLIENT);
    CHECK_EQ(tt_note(EP, "hello", h), 0);
    CHECK_EQ(dispatch_ret, 0);
    CHECK_EQ(replied, 0);
    CHECK_STR(st.line, "hello");
    CHECK_EQ(owner_of(h), FREE);
    CHECK_EQ(owner_of(st.got[0]), SERVER);
    CHECK_EQ(last_req.flags, 0);
    CHECK_EQ(tt_note(EP, "", HANDLE_NONE), 0);
    CHECK_EQ(st.got[0], HANDLE_NONE);
    CHECK_EQ(tt2_quiet(EP), 0);
    CHECK_EQ(st.quiet, 1);
}

TEST(two_interfaces_and_two_headers) {
    uint32_t y = 0;
    reset();
    CHECK_EQ(tt2_ping(EP, 21, &y), 0);
    CHECK_EQ(y, 42u);
    CHECK_EQ(other_add(EP, 2, 3, &y), 0);
    CHECK_EQ(y, 5u);
}

TEST(parameters_named_like_generated_ones) {
    int32_t status = 0;
    uint64_t reply_token = 0;
    reset();
    CHECK_EQ(tt2_names(EP, 1, 2, 3, &status, &reply_token), 0);
    CHECK_EQ(status, 6);
    CHECK_EQ(reply_token, token);   /* the server saw the call's token */
    CHECK_EQ(tt2_names_reply(5, 0, 1, 2), -E_INVAL);   /* not the server: refused */
}

/* ---- malformed replies: an "evil" server answers with raw messages ---- */

static struct ipc_msg evil_reply;
static int evil_handles;

static void evil_answer(struct ipc_msg *m) {
    uint64_t t = m->reply_token;
    idl_close_all(m);
    *m = evil_reply;
    m->reply_token = t;
    m->nhandles = (uint8_t)evil_handles;
    for (int i = 0; i < evil_handles; i++)
        m->handles[i] = new_handle(SERVER);
}

static void set_evil(int32_t label, uint16_t len, const void *data, int handles) {
    memset(&evil_reply, 0, sizeof evil_reply);
    evil_reply.label = label;
    evil_reply.len = len;
    memcpy(evil_reply.data, data, len);
    evil_handles = handles;
    evil = evil_answer;
}

/* tt_later against the evil reply; its result, with no handle left open. */
static int later_vs_evil(void) {
    uint32_t y;
    char s[TT_LATER_S_MAX];
    handle_t o = 0;
    int r = tt_later(EP, 1, HANDLE_NONE, &y, s, sizeof s, &o);
    if (o != HANDLE_NONE || !no_leaks())
        return 1000;
    return r;
}

TEST(malformed_replies_are_refused) {
    reset();
    set_evil(0, 6, "\x01yyyys", 1);          /* str without NUL */
    CHECK_EQ(later_vs_evil(), -E_INVAL);
    set_evil(0, 4, "\x01yyy", 1);            /* short */
    CHECK_EQ(later_vs_evil(), -E_INVAL);
    set_evil(0, 6, "\x01yyyy", 0);           /* mask says 1 handle, none came */
    CHECK_EQ(later_vs_evil(), -E_INVAL);
    set_evil(0, 6, "\x01yyyy", 2);           /* two came */
    CHECK_EQ(later_vs_evil(), -E_INVAL);
    set_evil(0, 6, "\x03yyyy", 2);           /* undeclared mask bit */
    CHECK_EQ(later_vs_evil(), -E_INVAL);
    set_evil(0, 8, "\x01yyyy\0z", 1);        /* trailing bytes */
    CHECK_EQ(later_vs_evil(), -E_INVAL);
    set_evil(5, 6, "\x01yyyy", 1);           /* positive label */
    CHECK_EQ(later_vs_evil(), -E_INVAL);
    set_evil(-E_PERM, 0, "", 1);             /* an error, with a stray handle */
    CHECK_EQ(later_vs_evil(), -E_PERM);
    set_evil(0, 6, "\x01yyyy", 1);           /* well formed */
    CHECK_EQ(later_vs_evil(), 1000);         /* ok, but o is open: not a leak */
    CHECK_EQ(open_handles(CLIENT), 1);
    reset();
    set_evil(0, 0, "", 0);
    {
        char u[8], v[8];
        CHECK_EQ(tt_strings(EP, "a", "b", u, sizeof u, v, sizeof v), -E_INVAL);
        set_evil(0, 2, "\0\0", 0);
        CHECK_EQ(tt_strings(EP, "a", "b", u, sizeof u, v, sizeof v), 0);
        set_evil(0, 9, "\x01\0\0\0\0\0\0\0\0", 0);   /* scalars reply of wrong size */
        CHECK_EQ(tt_scalars(EP, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL), -E_INVAL);
    }
}

TEST_MAIN()
