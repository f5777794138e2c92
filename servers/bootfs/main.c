/*
 * bootfs: serves the boot archive (ustar, read-only) over the fs interface.
 *
 * init gives us the archive as a read-only memory object. We index it once,
 * then answer requests. Handles are the capabilities: a request's badge says
 * what it may touch. Root handles (minted by init, badged with the client's
 * task id, top bit clear) name the root directory; open returns a handle to
 * our endpoint badged FILE_BADGE | node, naming exactly one file or directory.
 * Reads are positional, so we keep nothing per open handle.
 */
#include <common/string.h>
#include <common/tar.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/fs.h"
#include "idl/init.h"
#include <tessera/fs.h>
#include "index.h"

#define FILE_BADGE (1ull << 63)

_Static_assert(FS_NAME_MAX < FS_READDIR_NAME_MAX, "every name fits in a readdir reply");

static struct fs_index ix;
static handle_t ep;
static const uint8_t *archive_base;   /* the archive, mapped read-only */

/* The installer copies the running system: a file of this path (an empty
 * placeholder in the archive) reads as the whole archive. */
#define SELF_ARCHIVE_PATH "install/boot.tar"

/* ---- start-up ---- */

static void warn_entry(void *ctx, const char *path, const char *why) {
    char shown[TAR_NAME_MAX];
    size_t n = strnlen(path, sizeof(shown) - 1);
    for (size_t i = 0; i < n; i++)   /* keep control characters out of the log */
        shown[i] = ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) ? '?' : path[i];
    shown[n] = 0;
    log_printf("bootfs: left out \"%s\": %s\n", shown, why);
}

/* Maps the archive we were given; sets *size (0 if there is none). */
static const void *map_archive(size_t *size) {
    struct handle_info info;
    *size = 0;
    if (startup.given == HANDLE_NONE || sys_handle_info(startup.given, &info) < 0 ||
        info.type != KOBJ_MEMORY) {
        log_printf("bootfs: no boot archive was given (give=archive in boot.conf)\n");
        return NULL;
    }
    uintptr_t va = vm_reserve(info.size);
    long err = sys_vm_map(HANDLE_SELF, startup.given, 0, va, info.size, PROT_R);
    if (err < 0) {
        log_printf("bootfs: cannot map the boot archive: %s\n", err_str(err));
        return NULL;
    }
    /* The object is whole pages; the archive's end-of-archive blocks (or the
     * end of the object) stop the parser. */
    *size = info.size;
    return (const void *)va;
}

static bool build_index(void) {
    size_t size;
    const void *archive = map_archive(&size);
    struct fs_index_limits lim;
    fs_index_measure(archive, size, &lim);
    void *storage = mem_alloc(lim.bytes, NULL);
    if (!storage) {
        log_printf("bootfs: no memory for the index (%zu bytes)\n", lim.bytes);
        return false;
    }
    fs_index_build(&ix, archive, size, &lim, storage, warn_entry, NULL);
    archive_base = archive;
    uint32_t self;
    if (archive && fs_resolve(&ix, FS_ROOT, SELF_ARCHIVE_PATH, &self) == 0 &&
        ix.nodes[self].kind == FS_KIND_FILE) {
        ix.nodes[self].data = archive;
        ix.nodes[self].size = ix.archive_bytes;
    }
    if (ix.full)
        log_printf("bootfs: the index is full; serving the first %u entries\n", ix.entries);
    else if (ix.tar_err != TAR_END)
        log_printf("bootfs: the archive is corrupt after %u entries (%s); serving those\n",
                   ix.entries + ix.skipped, tar_strerror(ix.tar_err));
    return true;
}

/* ---- the fs interface ---- */

/* The node a request's handle names: the root for root handles. */
static int node_of(const struct ipc_msg *req, uint32_t *node) {
    if (!(req->badge & FILE_BADGE)) {
        *node = FS_ROOT;
        return 0;
    }
    uint64_t i = req->badge & ~FILE_BADGE;
    if (i >= ix.count)
        return -E_BADH;   /* not a badge we minted */
    *node = (uint32_t)i;
    return 0;
}

static int on_open(void *ctx, const struct ipc_msg *req, const char *path, uint32_t flags,
                   handle_t *file, uint32_t *kind, uint64_t *size) {
    uint32_t start, node;
    int err = node_of(req, &start);
    if (err < 0)
        return err;
    if (flags & ~FS_O_ALL)
        return -E_INVAL;
    if (flags & (FS_O_WRITE | FS_O_CREATE | FS_O_TRUNC))
        return -E_ROFS;
    err = fs_resolve(&ix, start, path, &node);
    if (err < 0)
        return err;
    const struct fs_node *n = &ix.nodes[node];
    if ((flags & FS_O_DIRECTORY) && n->kind != FS_KIND_DIR)
        return -E_NOTDIR;
    /* No RIGHT_DUP: nobody can mint another badge from it; it can only be moved. */
    long h = sys_handle_dup(ep, RIGHT_SEND | RIGHT_TRANSFER, FILE_BADGE | node);
    if (h < 0)
        return (int)h;
    *file = (handle_t)h;
    *kind = n->kind;
    *size = fs_node_size(n);
    return 0;
}

static int on_read(void *ctx, const struct ipc_msg *req, uint64_t offset, uint32_t len,
                   void *data, size_t *data_len) {
    uint32_t node;
    int err = node_of(req, &node);
    if (err < 0)
        return err;
    const struct fs_node *n = &ix.nodes[node];
    if (n->kind == FS_KIND_DIR)
        return -E_ISDIR;
    const uint8_t *p;
    size_t got = fs_read_clip(n, offset, len, FS_READ_DATA_MAX, &p);
    if (got)
        memcpy(data, p, got);
    *data_len = got;
    return 0;
}

static int on_stat(void *ctx, const struct ipc_msg *req, uint32_t *kind, uint64_t *size,
                   uint32_t *mode, uint64_t *mtime) {
    uint32_t node;
    int err = node_of(req, &node);
    if (err < 0)
        return err;
    const struct fs_node *n = &ix.nodes[node];
    *kind = n->kind;
    *size = fs_node_size(n);
    *mode = n->mode;
    *mtime = n->mtime;
    return 0;
}

static int on_readdir(void *ctx, const struct ipc_msg *req, uint32_t index, char *name,
                      uint32_t *kind, uint64_t *size) {
    uint32_t dir;
    int err = node_of(req, &dir);
    if (err < 0)
        return err;
    if (ix.nodes[dir].kind != FS_KIND_DIR)
        return -E_NOTDIR;
    uint32_t c = fs_child(&ix, dir, index);
    if (c == FS_NO_NODE)
        return -E_NOENT;
    const struct fs_node *n = &ix.nodes[c];
    size_t len = strlen(n->name);   /* at most FS_NAME_MAX: the index refuses longer */
    memcpy(name, n->name, len + 1);
    *kind = n->kind;
    *size = fs_node_size(n);
    return 0;
}

/* Files are bytes of the archive: the client maps the archive (read-only;
 * everything in it is readable by anyone anyway) rather than copying. */
static int on_map(void *ctx, const struct ipc_msg *req, handle_t *memory, uint64_t *offset,
                  uint64_t *size) {
    uint32_t node;
    int err = node_of(req, &node);
    if (err < 0)
        return err;
    const struct fs_node *n = &ix.nodes[node];
    if (n->kind == FS_KIND_DIR)
        return -E_ISDIR;
    long h = sys_handle_dup(startup.given, RIGHT_READ | RIGHT_TRANSFER, 0);
    if (h < 0)
        return (int)h;
    *memory = (handle_t)h;
    *offset = n->size ? (uint64_t)(n->data - archive_base) : 0;
    *size = fs_node_size(n);
    return 0;
}

/* The archive is read-only: every writing call is refused. */
static int on_write(void *ctx, const struct ipc_msg *req, uint64_t offset, const void *data, size_t len,
                    uint32_t *written) { return -E_ROFS; }
static int on_truncate(void *ctx, const struct ipc_msg *req, uint64_t size) { return -E_ROFS; }
static int on_sync(void *ctx, const struct ipc_msg *req) { return 0; }   /* nothing is ever unwritten */
static int on_path_op(void *ctx, const struct ipc_msg *req, const char *path) { return -E_ROFS; }
static int on_rename(void *ctx, const struct ipc_msg *req, const char *from, const char *to) { return -E_ROFS; }

static const struct fs_server server = {
    .open = on_open, .read = on_read, .stat = on_stat, .readdir = on_readdir, .map = on_map,
    .write = on_write, .truncate = on_truncate, .sync = on_sync, .mkdir = on_path_op,
    .unlink = on_path_op, .rename = on_rename,
};

/* Sends the reply in m and receives the next request; a reply that moves
 * handles goes on its own, so that they are closed if it fails. */
static long reply_and_recv(struct ipc_msg *m) {
    if (m->nhandles == 0)
        return ipc_reply_recv(ep, m);
    ipc_reply_or_close(m);
    return ipc_recv(ep, m);
}

int main(int argc, char **argv) {
    if (!build_index())
        return 1;
    /* init mints root handles from this one (badged with each client's id). */
    long e = service_start(startup.bootstrap, "bootfs");
    if (e < 0)
        return 1;
    ep = (handle_t)e;

    struct ipc_msg m;
    long r = ipc_recv(ep, &m);
    for (;;) {
        if (r < 0) {
            log_printf("bootfs: receive failed: %s\n", err_str(r));
            r = ipc_recv(ep, &m);
            continue;
        }
        int d = fs_dispatch(&server, NULL, &m);
        if (d == -E_NOSYS)
            d = idl_reject(&m, -E_NOSYS);   /* not the fs interface: closes its handles */
        r = d == 1 ? reply_and_recv(&m) : ipc_recv(ep, &m);
    }
}
