/* methods.c: the method table: name, handler, roles allowed besides admin,
 * flags, named arguments, and for kiosk calls which argument names the
 * participant whose badge must come along. The dispatcher (rpc.c) applies
 * all of it before a handler runs. */
#include "handlers.h"

#define R ARG_REQUIRED
#define ALL_STAFF (ROLE_ORGANIZER | ROLE_APP | ROLE_KIOSK)

/* Profile fields are checked in full by validate_profile; here they only
 * need to be known names. */
#define PROFILE_FIELDS                                                         \
    {"event", ARG_STR, R}, {"id", ARG_ANY, R}, {"side", ARG_ANY, R},           \
        {"company", ARG_ANY, R}, {"country", ARG_ANY, R},                      \
        {"languages", ARG_ANY, R}, {"sectors", ARG_ANY, 0},                    \
        {"offers", ARG_ANY, 0}, {"needs", ARG_ANY, 0},                         \
        {"cooperation", ARG_ANY, 0}, {"markets", ARG_ANY, 0},                  \
        {"size", ARG_ANY, 0}, {"slots", ARG_ANY, 0},                           \
        {"max_meetings", ARG_ANY, 0}, {"contact", ARG_ANY, 0},                 \
    {                                                                          \
        "badge", ARG_ANY, 0                                                    \
    }

struct method rpc_methods[] = {
    {.name = "ping", .handler = h_ping, .flags = M_PREAUTH},
    {.name = "server.info", .handler = h_server_info, .flags = M_PREAUTH},
    {.name = "auth",
     .handler = h_auth,
     .flags = M_PREAUTH,
     .args = {{"token", ARG_STR, R}},
     .nargs = 1},
    {.name = "token.create",
     .handler = h_token_create,
     .roles = ROLE_ORGANIZER,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R},
              {"role", ARG_STR, R},
              {"ttl_hours", ARG_INT, 0}},
     .nargs = 3},
    {.name = "token.revoke",
     .handler = h_token_revoke,
     .roles = ROLE_ORGANIZER,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R}, {"id", ARG_STR, R}},
     .nargs = 2},
    {.name = "event.put",
     .handler = h_event_put,
     .roles = ROLE_ORGANIZER,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R},
              {"name", ARG_ANY, R},
              {"slots", ARG_ANY, R},
              {"tables", ARG_ANY, R},
              {"interpreters", ARG_ANY, 0},
              {"meeting_minutes", ARG_ANY, 0},
              {"timezone", ARG_ANY, 0},
              {"max_pending_requests", ARG_ANY, 0},
              {"request_ttl_hours", ARG_ANY, 0}},
     .nargs = 9},
    {.name = "event.get",
     .handler = h_event_get,
     .roles = ALL_STAFF,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R}},
     .nargs = 1},
    {.name = "profile.put",
     .handler = h_profile_put,
     .roles = ROLE_ORGANIZER | ROLE_APP,
     .flags = M_EVENT,
     .args = {PROFILE_FIELDS, {"if_version", ARG_ANY, 0}},
     .nargs = 17},
    {.name = "profile.get",
     .handler = h_profile_get,
     .roles = ALL_STAFF,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R},
              {"id", ARG_STR, R},
              {"viewer", ARG_STR, 0},
              {"badge", ARG_STR, 0}},
     .nargs = 4,
     .actor = {"viewer", "id"}},
    {.name = "profile.list",
     .handler = h_profile_list,
     .roles = ROLE_ORGANIZER,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R},
              {"cursor", ARG_STR, 0},
              {"count", ARG_INT, 0}},
     .nargs = 3},
    {.name = "profile.delete",
     .handler = h_profile_delete,
     .roles = ROLE_ORGANIZER,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R}, {"id", ARG_STR, R}},
     .nargs = 2},
    {.name = "match.top",
     .handler = h_match_top,
     .roles = ALL_STAFF,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R},
              {"id", ARG_STR, R},
              {"k", ARG_ANY, 0},
              {"badge", ARG_STR, 0}},
     .nargs = 4,
     .actor = {"id"}},
    {.name = "subscribe",
     .handler = h_subscribe,
     .roles = ALL_STAFF,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R},
              {"topics", ARG_ANY, R},
              {"badge", ARG_STR, 0}},
     .nargs = 3,
     .actor_of = subscribe_actor},
    /* No badge needed: it only affects the caller's own connection; one
     * sent along (kiosk clients add it to every call) is ignored. */
    {.name = "unsubscribe",
     .handler = h_unsubscribe,
     .roles = ALL_STAFF,
     .flags = M_EVENT,
     .args = {{"event", ARG_STR, R},
              {"topics", ARG_ANY, R},
              {"badge", ARG_STR, 0}},
     .nargs = 3},
};

const size_t rpc_nmethods = sizeof rpc_methods / sizeof rpc_methods[0];
