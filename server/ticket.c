/* keyfoldd — durability tickets (ticket.h). */
#include "ticket.h"

#include <stdlib.h>

kd_ticket *kd_ticket_new(void) {
  kd_ticket *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  pthread_mutex_init(&t->lock, NULL);
  pthread_cond_init(&t->cond, NULL);
  atomic_init(&t->refs, 2);
  return t;
}

void kd_ticket_retain(kd_ticket *t) { atomic_fetch_add(&t->refs, 1); }

void kd_ticket_release(kd_ticket *t) {
  if (!t || atomic_fetch_sub(&t->refs, 1) != 1) return;
  pthread_mutex_destroy(&t->lock);
  pthread_cond_destroy(&t->cond);
  free(t);
}

int kd_ticket_arm(kd_ticket *t, void (*notify)(void *arg), void *arg) {
  pthread_mutex_lock(&t->lock);
  const int done = t->done;
  if (!done) {
    t->notify = notify;
    t->notify_arg = arg;
  }
  pthread_mutex_unlock(&t->lock);
  return done;
}

int kd_ticket_wait(kd_ticket *t) {
  pthread_mutex_lock(&t->lock);
  while (!t->done) pthread_cond_wait(&t->cond, &t->lock);
  const int ok = t->ok;
  pthread_mutex_unlock(&t->lock);
  return ok;
}

/* The callback runs after the lock is released: it may resume a connection
 * whose request then frees the ticket. */
void kd_ticket_complete(kd_ticket *t, int ok) {
  pthread_mutex_lock(&t->lock);
  t->done = 1;
  t->ok = ok;
  void (*notify)(void *) = t->notify;
  void *arg = t->notify_arg;
  pthread_cond_broadcast(&t->cond);
  pthread_mutex_unlock(&t->lock);
  if (notify) notify(arg);
  kd_ticket_release(t);
}

void kd_claim_end(kd_claim *claim) {
  if (!claim) return;
  kd_ticket_release(claim->ticket);
  claim->ticket = NULL;
}
