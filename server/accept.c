/* keyfoldd — the Accept header (accept.h). */
#include "accept.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* The media types the daemon answers with, as type and subtype. */
static const char *const offered[2][2] = {{"application", "json"}, {"application", "x-npy"}};

static int is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ows(const char *p) {
  while (*p == ' ' || *p == '\t') p++;
  return p;
}

/* A token: sets *len (0 when there is none) and returns the end. */
static const char *token(const char *p, size_t *len) {
  const char *s = p;
  while (is_tchar(*p)) p++;
  *len = (size_t)(p - s);
  return p;
}

/* A quoted-string starting at p ('"'); returns its end or NULL if unterminated. */
static const char *quoted(const char *p) {
  for (p++; *p; p++) {
    if (*p == '\\') {
      if (!p[1]) return NULL;
      p++;
    } else if (*p == '"') {
      return p + 1;
    }
  }
  return NULL;
}

/* Skips the rest of a list element, up to (not past) its ',' or the end. */
static const char *skip_element(const char *p) {
  while (*p && *p != ',') {
    if (*p == '"') {
      const char *e = quoted(p);
      if (!e) return p + strlen(p);
      p = e;
    } else {
      p++;
    }
  }
  return p;
}

/* A qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3"0"], in thousandths;
 * -1 if invalid. */
static int qvalue(const char *s, size_t n) {
  if (n == 0 || (s[0] != '0' && s[0] != '1')) return -1;
  if (n > 1 && (s[1] != '.' || n > 5)) return -1;
  int q = (s[0] - '0') * 1000;
  int scale = 100;
  for (size_t i = 2; i < n; i++, scale /= 10) {
    if (s[i] < '0' || s[i] > '9') return -1;
    q += (s[i] - '0') * scale;
  }
  return q > 1000 ? -1 : q;
}

typedef struct best {
  int q;    /* thousandths */
  int spec; /* -1 no range matched, 0 full wildcard, 1 subtype wildcard, 2 exact */
} best;

/* Parses one element at p (after optional whitespace). Returns the end of
 * the element; *valid tells whether it was a media range, then type,
 * subtype and q describe it. */
static const char *element(const char *p, int *valid, const char **type, size_t *type_len,
                           const char **sub, size_t *sub_len, int *q) {
  *valid = 0;
  *q = 1000;
  *type = p;
  p = token(p, type_len);
  if (*type_len == 0 || *p != '/') return skip_element(p);
  *sub = ++p;
  p = token(p, sub_len);
  if (*sub_len == 0) return skip_element(p);
  const int type_star = *type_len == 1 && **type == '*';
  const int sub_star = *sub_len == 1 && **sub == '*';
  if (type_star && !sub_star) return skip_element(p);
  for (;;) {
    p = skip_ows(p);
    if (*p != ';') break;
    p = skip_ows(p + 1);
    if (*p == ';' || *p == ',' || *p == '\0') continue; /* an empty parameter */
    size_t name_len;
    const char *name = p;
    p = token(p, &name_len);
    if (name_len == 0 || *p != '=') return skip_element(p);
    p++;
    const char *value = p;
    size_t value_len;
    if (*p == '"') {
      const char *e = quoted(p);
      if (!e) return p + strlen(p);
      value_len = (size_t)(e - p);
      p = e;
    } else {
      p = token(p, &value_len);
      if (value_len == 0) return skip_element(p);
    }
    if (name_len == 1 && (*name == 'q' || *name == 'Q')) {
      *q = qvalue(value, value_len);
      if (*q < 0) return skip_element(p);
    }
  }
  if (*p != ',' && *p != '\0') return skip_element(p);
  *valid = 1;
  return p;
}

static int same(const char *s, size_t n, const char *want) {
  return strlen(want) == n && strncasecmp(s, want, n) == 0;
}

void kd_accept_parse(const char *header, kd_accept *out) {
  best b[2] = {{0, -1}, {0, -1}};
  int valid_elements = 0;
  const char *p = header ? header : "";
  while (*p) {
    p = skip_ows(p);
    if (*p == ',') {
      p++;
      continue;
    }
    if (!*p) break;
    int valid, q;
    const char *type = NULL, *sub = NULL;
    size_t type_len = 0, sub_len = 0;
    p = element(p, &valid, &type, &type_len, &sub, &sub_len, &q);
    if (!valid) continue;
    valid_elements++;
    for (int t = 0; t < 2; t++) {
      int spec = -1;
      if (same(type, type_len, "*"))
        spec = 0;
      else if (same(type, type_len, offered[t][0]) && same(sub, sub_len, "*"))
        spec = 1;
      else if (same(type, type_len, offered[t][0]) && same(sub, sub_len, offered[t][1]))
        spec = 2;
      if (spec > b[t].spec) {
        b[t].spec = spec;
        b[t].q = q;
      } else if (spec >= 0 && spec == b[t].spec && q > b[t].q) {
        b[t].q = q;
      }
    }
  }
  if (valid_elements == 0) {
    out->json_ok = out->npy_ok = 1;
    out->prefer_npy = 0;
    return;
  }
  out->json_ok = b[0].q > 0;
  out->npy_ok = b[1].q > 0;
  out->prefer_npy =
      out->npy_ok && (b[1].q > b[0].q || (b[1].q == b[0].q && b[1].spec > b[0].spec));
}
