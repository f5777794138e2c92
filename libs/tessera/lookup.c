/* Offering a boot service to init, and finding a driver's service through
 * the device manager (see <tessera/runtime.h>); libposix uses it too, so
 * nothing here may need `startup`. */
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/dm.h"
#include "idl/init.h"

#define MS 1000000ull

int service_ready(handle_t bootstrap, handle_t ep) {
    long offer = sys_handle_dup(ep, RIGHT_SEND | RIGHT_DUP | RIGHT_TRANSFER, 0);
    if (offer < 0)
        return (int)offer;
    return init_ready(bootstrap, (handle_t)offer);
}

long service_start(handle_t bootstrap, const char *who) {
    long ep = sys_endpoint_create();
    if (ep < 0) {
        log_printf("%s: cannot create an endpoint: %s\n", who, err_str(ep));
        return ep;
    }
    int err = service_ready(bootstrap, (handle_t)ep);
    if (err < 0) {
        log_printf("%s: init did not take our ready: %s\n", who, err_str(err));
        sys_handle_close((handle_t)ep);
        return err;
    }
    return ep;
}

long ipc_reply_or_close(struct ipc_msg *m) {
    handle_t moved[IPC_HANDLES_MAX];
    unsigned n = m->nhandles;
    for (unsigned i = 0; i < n; i++)
        moved[i] = m->handles[i];
    long err = ipc_reply(m);
    if (err < 0)
        for (unsigned i = 0; i < n; i++)
            sys_handle_close(moved[i]);
    return err;
}

int dm_lookup_wait(handle_t dm, const char *name, uint64_t timeout_ns, handle_t *service) {
    uint64_t deadline = sys_clock() + timeout_ns;
    *service = HANDLE_NONE;
    for (;;) {
        int err = dm_lookup(dm, name, service);
        if (err != -E_AGAIN)
            return err;
        if (sys_clock() >= deadline)
            return err;
        sleep_ns(20 * MS);
    }
}

int driver_lookup(handle_t bootstrap, const char *name, uint64_t timeout_ns, handle_t *service) {
    handle_t dm = HANDLE_NONE;
    *service = HANDLE_NONE;
    int err = init_lookup(bootstrap, "dm", &dm);
    if (err)
        return err;
    err = dm_lookup_wait(dm, name, timeout_ns, service);
    sys_handle_close(dm);
    return err;
}
