/* The names a driver offers and their services (see dm.h). */
#include <common/string.h>
#include "dm.h"

struct dm_name *names_find(struct dm_names *t, const char *name) {
    for (unsigned i = 0; i < t->count; i++)
        if (!strcmp(t->e[i].name, name))
            return &t->e[i];
    return NULL;
}

int names_offer(struct dm_names *t, const char *name, handle_t service, handle_t *old) {
    *old = HANDLE_NONE;
    size_t len = strnlen(name, DM_NAME_MAX);
    if (len == 0 || len == DM_NAME_MAX)
        return -E_INVAL;
    struct dm_name *e = names_find(t, name);
    if (e) {
        *old = e->service;   /* the same name again: the new service replaces it */
    } else if (t->count < DM_NAMES_MAX) {
        e = &t->e[t->count++];
    } else {
        /* Full: a name an earlier instance offered and this one has not
         * (yet) makes room. */
        for (unsigned i = 0; i < t->count && !e; i++)
            if (t->e[i].service == HANDLE_NONE)
                e = &t->e[i];
        if (!e)
            return -E_NOSPC;
    }
    memcpy(e->name, name, len + 1);
    e->service = service;
    return 0;
}

unsigned names_end(struct dm_names *t, handle_t out[DM_NAMES_MAX]) {
    unsigned n = 0;
    for (unsigned i = 0; i < t->count; i++) {
        if (t->e[i].service != HANDLE_NONE)
            out[n++] = t->e[i].service;
        t->e[i].service = HANDLE_NONE;
    }
    return n;
}

const struct dm_name *names_live(const struct dm_names *t, unsigned which) {
    for (unsigned i = 0; i < t->count; i++)
        if (t->e[i].service != HANDLE_NONE && which-- == 0)
            return &t->e[i];
    return NULL;
}
