/* audit.h: the audit trail of an event. Every call that an organizer, the
 * admin or a kiosk makes on an event, successful or not, becomes one entry
 * of the capped stream em:{E}:audit (config audit-maxlen): when, which
 * token (its id, never the token), its role, the method, its target, the
 * outcome, the participant it acted for and the peer address. Entries
 * never hold tokens, badges, contacts, notes or profile text. audit.list
 * (m_audit.c) reads them back. */
#ifndef EM_AUDIT_H
#define EM_AUDIT_H

#include <msgpack.h>

#include "conn.h"
#include "err.h"

/* Called by the dispatcher before any check of a request: when the
 * connection's role is audited and the method concerns an event, notes
 * what the entry will say (r->audit). params: the request's params. */
void audit_begin(struct req *r, const msgpack_object *params);

/* Called once the reply to r is complete (code ERR_NONE for a result):
 * sends the entry to Redis and forgets it. Does nothing for requests that
 * are not audited. */
void audit_finish(struct req *r, enum errcode code);

/* Lets a handler name a target known only once the call has worked (the
 * id of a token just created), e.g. audit_set_target(r, "token", id). */
void audit_set_target(struct req *r, const char *kind, const char *id);

#endif
