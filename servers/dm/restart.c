/* When to restart a driver that ended, and when to stop trying (see dm.h). */
#include "dm.h"

int64_t restart_next(struct restart_state *s, uint64_t now, uint64_t ran_ns, bool was_ready) {
    s->unready = was_ready ? 0 : s->unready + 1;
    if (s->unready > RESTART_MAX)
        return -1;
    /* Forget restarts that left the window. */
    unsigned kept = 0;
    for (unsigned i = 0; i < s->count; i++)
        if (now - s->times[i] < RESTART_WINDOW_NS)
            s->times[kept++] = s->times[i];
    s->count = kept;
    if (s->count >= RESTART_MAX)
        return -1;
    if (ran_ns >= RESTART_STABLE_NS || !s->delay_ns)
        s->delay_ns = RESTART_FIRST_NS;
    else if (s->delay_ns < RESTART_MAX_DELAY_NS)
        s->delay_ns *= 2;
    if (s->delay_ns > RESTART_MAX_DELAY_NS)
        s->delay_ns = RESTART_MAX_DELAY_NS;
    s->times[s->count++] = now;
    return (int64_t)s->delay_ns;
}
