/* keyfold — parsing an einsum layer's equation (einsum.h). */
#include <string.h>

#include "einsum.h"

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* One operand or the output, [from, to), into part: false unless it is
 * letters, none repeated. */
static bool take_part(const char *from, const char *to, char *part) {
  for (const char *c = from; c < to; c++)
    if (!is_letter(*c) || memchr(c + 1, *c, (size_t)(to - c - 1))) return false;
  memcpy(part, from, (size_t)(to - from));
  part[to - from] = '\0';
  return true;
}

bool kf__einsum_parse(const kf_layer_spec *spec, kf__einsum *e) {
  const char *s = spec->einsum_str;
  if (!memchr(s, '\0', sizeof spec->einsum_str)) return false;
  const char *comma = strchr(s, ',');
  const char *arrow = strstr(s, "->");
  if (!comma || !arrow || comma > arrow || strchr(comma + 1, ',')) return false;
  const char *lhs = s, *out = arrow + 2;
  e->ellipsis = strncmp(lhs, "...", 3) == 0;
  if (e->ellipsis != (strncmp(out, "...", 3) == 0)) return false;
  if (e->ellipsis) lhs += 3, out += 3;
  if (!take_part(lhs, comma, e->lhs) || !take_part(comma + 1, arrow, e->rhs) ||
      !take_part(out, out + strlen(out), e->out))
    return false;
  if ((int)strlen(e->rhs) != spec->n_kernel_shape) return false;
  for (const char *c = e->out; *c; c++)
    if (!strchr(e->lhs, *c) && !strchr(e->rhs, *c)) return false;
  /* A letter of one operand only that the output drops would be summed
   * over alone: Flax allows it, keyfold does not compute it. */
  for (const char *c = e->lhs; *c; c++)
    if (!strchr(e->rhs, *c) && !strchr(e->out, *c)) return false;
  for (const char *c = e->rhs; *c; c++)
    if (!strchr(e->lhs, *c) && !strchr(e->out, *c)) return false;
  return true;
}
