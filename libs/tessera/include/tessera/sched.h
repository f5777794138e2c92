/* Constants of the scheduler interface (servers/sched/sched.idl). */
#ifndef TESSERA_SCHED_H
#define TESSERA_SCHED_H

#define SCHED_CLASS_NORMAL 0u       /* applications */
#define SCHED_CLASS_INTERACTIVE 1u  /* input, the GUI, the focused app: short latency */
#define SCHED_CLASS_SYSTEM 2u       /* servers and drivers */

/* Its name for people (ps, the system monitor). */
static inline const char *sched_class_name(unsigned class_) {
    switch (class_) {
    case SCHED_CLASS_SYSTEM: return "SYSTEM";
    case SCHED_CLASS_INTERACTIVE: return "INTERACTIVE";
    case SCHED_CLASS_NORMAL: return "NORMAL";
    default: return "?";
    }
}

#endif
