/* Intrusive circular doubly-linked lists. */
#ifndef KERNEL_LIST_H
#define KERNEL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
    struct list *prev, *next;
};

#define LIST_INIT(name) { &(name), &(name) }

static inline void list_init(struct list *l) { l->prev = l->next = l; }
static inline bool list_empty(const struct list *l) { return l->next == l; }
/* A node that is not on any list points to itself (after list_init/list_remove). */
static inline bool list_linked(const struct list *n) { return n->next != n && n->next != NULL; }

static inline void list_push_back(struct list *l, struct list *n) {
    n->prev = l->prev;
    n->next = l;
    l->prev->next = n;
    l->prev = n;
}

static inline void list_remove(struct list *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

static inline struct list *list_pop_front(struct list *l) {
    if (list_empty(l))
        return NULL;
    struct list *n = l->next;
    list_remove(n);
    return n;
}

#define list_for_each(it, head) for (struct list *it = (head)->next; it != (head); it = it->next)
#define list_for_each_safe(it, tmp, head) \
    for (struct list *it = (head)->next, *tmp = it->next; it != (head); it = tmp, tmp = it->next)

#endif
