/*
 * terminal: a command line in a window (main.c: the window, scrollback and
 * history; commands.c: parsing the line and the commands themselves).
 */
#ifndef TERMINAL_H
#define TERMINAL_H

#include <tessera/abi.h>

#define TERM_MAX_ARGS 32

/* The endpoint to init (lookups, spawn, kill). */
extern handle_t term_bootstrap;

/* Appends text to the output; each '\n' starts a new line. */
void term_write(const char *text);
/* The same, formatted (up to 16 KiB at a time). */
void term_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Empties the output. */
void term_clear(void);
/* The one-line outcome of the current command, for the serial log. */
void term_outcome(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Closes the terminal's window (and so ends the program). */
void term_close(void);
/* Remembers a program `run` started, to say when it ends (takes the handle). */
void term_watch_child(handle_t task, uint32_t id, const char *path);

/* Parses and runs one command line (modified in place). */
void term_run_line(char *line);

#endif
