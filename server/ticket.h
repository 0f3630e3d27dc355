/* keyfoldd — durability tickets: the promise that a recorded change will be
 * reported committed or failed.
 *
 * A change that must be durable before its client is answered comes back
 * from the store with a ticket. The waiter either blocks on it
 * (kd_ticket_wait) or arms a callback (kd_ticket_arm: the HTTP layer
 * resumes a suspended connection from it). Reference counted: the store
 * holds one reference until it completes the ticket, the waiter the other.
 */
#ifndef KEYFOLDD_TICKET_H
#define KEYFOLDD_TICKET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* What the store answered a claim (backend.h: KD_CHANGE_CLAIM). */
typedef enum kd_claim_result {
  KD_CLAIM_NONE,       /* not granted: the session's row was not there (a conflict) */
  KD_CLAIM_GRANTED,    /* the counts from claim_base, with the stream's key */
  KD_CLAIM_EXHAUSTED,  /* the stream cannot give that many counts (it is at claim_base) */
  KD_CLAIM_ALONE       /* merged with others the stream could not all give: claim again alone */
} kd_claim_result;

typedef struct kd_ticket {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  atomic_int refs;
  int done;
  int ok;                         /* 1 committed, 0 failed */
  int retry;                      /* failed changing nothing: the request may be replayed
                                     (a replica's stale cache, backend.h), set before completion */
  /* A claim (KD_CHANGE_CLAIM): the request runs again once it completes,
   * and finds what the store answered (set before completion). */
  int resume;
  kd_claim_result claimed;
  uint32_t claim_base, claim_hi, claim_lo;
  void (*notify)(void *arg);      /* armed by the waiter; called once when done */
  void *notify_arg;
} kd_ticket;

/* A new ticket with two references (the completer's and the waiter's), or
 * NULL on ENOMEM. */
kd_ticket *kd_ticket_new(void);

/* Completes t (ok: 1 committed, 0 failed), wakes its waiter or calls its
 * armed callback (outside t's lock), and drops the completer's reference.
 * Called once. */
void kd_ticket_complete(kd_ticket *t, int ok);

/* Arms `notify` to be called (from the completing thread) when t completes.
 * Returns 1 if t has already completed (notify will not be called), else 0. */
int kd_ticket_arm(kd_ticket *t, void (*notify)(void *arg), void *arg);

/* Takes one more reference (a waiter that keeps the ticket past its reply:
 * a claim's request, which runs again). */
void kd_ticket_retain(kd_ticket *t);

/* Blocks until t completes; returns its ok flag. */
int kd_ticket_wait(kd_ticket *t);

/* Drops a reference; the last one frees t. NULL is allowed. */
void kd_ticket_release(kd_ticket *t);

/* A request's claim (durability.h: kd_durable_claim), kept by the
 * transport across the request's runs: the first run claims counts and
 * waits; the store's answer (resume) runs the request again, which computes
 * its keys from what was granted (session.h: kd_session_draw_claimed).
 * Zeroed before the first run; kd_claim_end when the request is done. */
typedef struct kd_claim {
  kd_ticket *ticket; /* the claim in flight or answered, or NULL */
  int alone;         /* claim without merging (a merged claim was refused) */
  unsigned runs;     /* claims made for this request */
} kd_claim;

/* Drops the claim's ticket, if any. NULL is allowed. */
void kd_claim_end(kd_claim *claim);

#endif
