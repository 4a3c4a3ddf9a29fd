// Non-variadic wrappers around libedit's el_set and history, because Swift cannot call C
// variadic functions. Each wrapper passes exactly the arguments its operation documents in
// histedit.h.
#include <signal.h>
#include <stdio.h>
#include <sys/select.h>
#include <wchar.h>
#include <histedit.h>

// Waits until `fd` is readable, with the signal mask replaced by `mask` during the wait only
// (pselect sets the mask and waits atomically). Returns pselect's result; -1 with errno EINTR
// when a signal arrived.
static inline int facesh_wait_readable(int fd, const sigset_t *mask) {
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(fd, &readable);
  return pselect(fd + 1, &readable, NULL, NULL, NULL, mask);
}

typedef char *(*facesh_prompt_function)(EditLine *);
typedef unsigned char (*facesh_editor_function)(EditLine *, int);

static inline int facesh_el_set_prompt(EditLine *editor, facesh_prompt_function prompt) {
  return el_set(editor, EL_PROMPT, prompt);
}

static inline int facesh_el_set_editor(EditLine *editor, const char *mode) {
  return el_set(editor, EL_EDITOR, mode);
}

static inline int facesh_el_set_signal(EditLine *editor, int handle) {
  return el_set(editor, EL_SIGNAL, handle);
}

static inline int facesh_el_set_history(EditLine *editor, History *list) {
  return el_set(editor, EL_HIST, history, list);
}

static inline int facesh_el_set_read_function(EditLine *editor, el_rfunc_t read) {
  return el_set(editor, EL_GETCFN, read);
}

// Turns off ISIG while the editor reads a line, so Ctrl-C reaches it as a key, in order with
// the keys typed around it, instead of as SIGINT. libedit's own bindings still raise SIGTSTP
// and SIGQUIT for Ctrl-Z and Ctrl-\.
static inline int facesh_el_keys_not_signals(EditLine *editor) {
  return el_set(editor, EL_SETTY, "-d", "-isig", NULL);
}

static inline int facesh_el_prepare_terminal(EditLine *editor, int raw) {
  return el_set(editor, EL_PREP_TERM, raw);
}

static inline int facesh_el_add_function(
    EditLine *editor, const char *name, const char *help, facesh_editor_function function) {
  return el_set(editor, EL_ADDFN, name, help, function);
}

static inline int facesh_el_bind(EditLine *editor, const char *key, const char *command) {
  return el_set(editor, EL_BIND, key, command, NULL);
}

static inline int facesh_history_set_size(History *list, HistEvent *event, int size) {
  return history(list, event, H_SETSIZE, size);
}

static inline int facesh_history_enter(History *list, HistEvent *event, const char *entry) {
  return history(list, event, H_ENTER, entry);
}

static inline int facesh_history_set_unique(History *list, HistEvent *event, int unique) {
  return history(list, event, H_SETUNIQUE, unique);
}
