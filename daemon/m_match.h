/* m_match.h: packing of match entries ({id, score, company, country,
 * reasons}) for match.top replies and match.new notifications. */
#ifndef EM_M_MATCH_H
#define EM_M_MATCH_H

#include <msgpack.h>

#include "match.h"

void pack_match_entry(msgpack_packer *pk, const struct match_entry *e);

#endif
