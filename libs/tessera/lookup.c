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
