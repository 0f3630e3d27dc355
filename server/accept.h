/* keyfoldd — content negotiation: which of the daemon's reply media types
 * (application/json, application/x-npy) an Accept header allows and prefers.
 *
 * The header is read as RFC 9110 section 12.5.1 defines it: comma-separated
 * media ranges with parameters, each weighted by an optional q (0 to 1, at
 * most three decimals; q=0 means "not acceptable"). A range is a
 * type/subtype, or uses the wildcard '*' for the subtype or for both. A
 * media type takes the q of the most specific range that matches it (an
 * exact match, then a subtype wildcard, then the full wildcard; the highest
 * q among equally specific ones); a type no range matches is not
 * acceptable. Elements that are not valid media ranges, or carry an invalid
 * q, are ignored; a header that is absent, empty or holds no valid element
 * accepts anything.
 */
#ifndef KEYFOLDD_ACCEPT_H
#define KEYFOLDD_ACCEPT_H

typedef struct kd_accept {
  int json_ok;    /* application/json is acceptable (q > 0) */
  int npy_ok;     /* application/x-npy is acceptable */
  int prefer_npy; /* .npy is acceptable and preferred over JSON: a higher q, or
                     the same q from a more specific range; a tie is JSON's */
} kd_accept;

/* Reads an Accept header value (NULL: no header) into *out. Borrows
 * header; never fails. */
void kd_accept_parse(const char *header, kd_accept *out);

#endif
