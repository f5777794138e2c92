/* Options from the start-up arguments and environment (see
 * <tessera/runtime.h>). */
#include <common/cmdline.h>
#include <tessera/runtime.h>

bool startup_option(const char *key, char *val, size_t cap) {
    bool found = false;
    for (int i = 1; i < startup.argc; i++)
        found |= cmdline_get(startup.argv[i], key, val, cap);
    for (char **e = startup.envp; e && *e; e++)
        found |= cmdline_get(*e, key, val, cap);
    return found;
}

long startup_option_int(const char *key, long dflt) {
    char kv[40] = "n=";
    if (!startup_option(key, kv + 2, sizeof(kv) - 2))
        return dflt;
    return cmdline_get_int(kv, "n", dflt);
}
