/* The model as a tree (keyfold/nn.h): containers, names, paths, repeats,
 * the construction order of their draws, the graph order of held streams,
 * and every error of the tree's structure. The layers' numbers against
 * Flax are tests/api/test_layers_flax.py's and test_layers_numeric's. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"
#include "spec_helpers.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static kf_layer_spec named(kf_layer_spec s, const char *name) {
  strcpy(s.name, name);
  return s;
}

static kf_layer_spec container(kf_layer_type type, size_t n_children) {
  kf_layer_spec s = layer(type);
  s.n_children = n_children;
  return s;
}

static kf_layer_spec repeat(int64_t count, size_t n_children) {
  kf_layer_spec s = container(KF_LAYER_REPEAT, n_children);
  s.count = count;
  return s;
}

static kf_rngs *rngs(kf_flax_era era, int64_t params_seed) {
  kf_rngs *r = NULL;
  ck_assert_int_eq(kf_rngs_new_era(KF_THREEFRY_PARTITIONABLE, era, &r), KF_OK);
  ck_assert_int_eq(kf_rngs_add_stream(r, "params", kf_key_from_seed(params_seed, 0), 0), KF_OK);
  ck_assert_int_eq(kf_rngs_add_stream(r, "dropout", kf_key_from_seed(1, 0), 0), KF_OK);
  return r;
}

/* The lecun_normal kernel a (in, out) linear gets from params count c. */
static void expected_kernel(int64_t seed, uint32_t c, int64_t in, int64_t out, float *dst) {
  kf_init init;
  kf_init_make(KF_INIT_LECUN_NORMAL, &init);
  const int64_t dims[2] = {in, out};
  kf_shape s;
  kf_shape_make(&s, 2, dims);
  const kf_key key = kf_fold_in(kf_key_from_seed(seed, 0), c);
  ck_assert_int_eq(kf_init_apply(&init, key, KF_THREEFRY_PARTITIONABLE, &s, dst), KF_OK);
}

static const float *param(const kf_model *m, size_t node, size_t j, const char *name) {
  const char *got;
  kf_tensor view;
  ck_assert_int_eq(kf_model_param(m, node, j, &got, &view), KF_OK);
  ck_assert_str_eq(got, name);
  return view.data;
}

/* [enc: linear, sequential[linear, res: residual[linear]], repeat 2 [dropout]] */
START_TEST(paths_parents_and_draw_order) {
  const kf_layer_spec specs[] = {
    named(linear(4, 4), "enc"),
    container(KF_LAYER_SEQUENTIAL, 2), linear(4, 4), named(container(KF_LAYER_RESIDUAL, 1), "res"), linear(4, 4),
    repeat(2, 1), dropout(0.5),
  };
  kf_rngs *r = rngs(KF_FLAX_0_10, 7);
  kf_model *m = NULL;
  ck_assert_int_eq(kf_model_new(specs, COUNT_OF(specs), r, &m, NULL), KF_OK);
  static const char *const paths[] = {
    "enc", "layers.0", "layers.0.layers.0", "layers.0.res", "layers.0.res.layers.0",
    "layers.1", "layers.1.layers.0", "layers.1.layers.0.layers.0", "layers.1.layers.1",
    "layers.1.layers.1.layers.0",
  };
  static const size_t parents[] = {SIZE_MAX, SIZE_MAX, 1, 1, 3, SIZE_MAX, 5, 6, 5, 8};
  static const size_t spec_index[] = {0, 1, 2, 3, 4, 5, 5, 6, 5, 6};
  ck_assert_uint_eq(kf_model_layer_count(m), COUNT_OF(paths));
  for (size_t i = 0; i < COUNT_OF(paths); i++) {
    ck_assert_str_eq(kf_model_layer_path(m, i), paths[i]);
    ck_assert_uint_eq(kf_model_layer_parent(m, i), parents[i]);
    ck_assert_uint_eq(kf_model_layer_spec_index(m, i), spec_index[i]);
  }
  ck_assert_str_eq(kf_model_layer_path(m, 99), "");
  ck_assert_uint_eq(kf_model_layer_parent(m, 99), SIZE_MAX);
  /* Constructors run in preorder: kernel, bias of each linear in turn. */
  float want[16];
  const size_t linears[] = {0, 2, 4};
  for (size_t k = 0; k < 3; k++) {
    expected_kernel(7, (uint32_t)(2 * k), 4, 4, want);
    ck_assert_mem_eq(param(m, linears[k], 0, "kernel"), want, sizeof want);
  }
  kf_stream_state st;
  ck_assert(kf_rngs_has_stream(r, "params", &st));
  ck_assert_uint_eq(st.count, 6);
  /* The spec array comes back as given, with defaults filled in. */
  ck_assert_uint_eq(kf_model_spec_count(m), COUNT_OF(specs));
  for (size_t i = 0; i < COUNT_OF(specs); i++) {
    kf_layer_spec back = {.struct_size = sizeof back};
    ck_assert_int_eq(kf_model_spec(m, i, &back), KF_OK);
    ck_assert_int_eq(back.type, specs[i].type);
    ck_assert_uint_eq(back.n_children, specs[i].n_children);
    ck_assert_str_eq(back.name, specs[i].name);
  }
  kf_layer_spec back = {.struct_size = sizeof back};
  ck_assert_int_eq(kf_model_spec(m, COUNT_OF(specs), &back), KF_ERANGE);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* x + f(x) for a residual around a linear, and a repeat running its blocks in turn. */
START_TEST(residual_adds_its_input) {
  const kf_layer_spec specs[] = {container(KF_LAYER_RESIDUAL, 1), linear(3, 3), repeat(2, 1), linear(3, 3)};
  kf_rngs *r = rngs(KF_FLAX_0_10, 3);
  kf_model *m = NULL;
  ck_assert_int_eq(kf_model_new(specs, COUNT_OF(specs), r, &m, NULL), KF_OK);
  const float x[6] = {1.0f, -2.0f, 0.5f, 0.25f, 3.0f, -1.5f};
  float y[6];
  kf_tensor xt = {KF_FLOAT32, {2, {2, 3}}, (void *)x}, yt = {KF_FLOAT32, {0, {0}}, y};
  ck_assert_int_eq(kf_model_forward(m, r, &xt, KF_DET_TRUE, &yt, NULL), KF_OK);
  /* By hand: h = x + x W0 (zero bias), then h W1, then (h W1) W2. */
  const float *w[3] = {param(m, 1, 0, "kernel"), param(m, 4, 0, "kernel"), param(m, 6, 0, "kernel")};
  ck_assert_str_eq(kf_model_layer_path(m, 6), "layers.1.layers.1.layers.0");
  for (size_t row = 0; row < 2; row++) {
    float h[3], t[3];
    for (int j = 0; j < 3; j++) {
      float acc = 0.0f;
      for (int k = 0; k < 3; k++) acc = fmaf(x[row * 3 + k], w[0][k * 3 + j], acc);
      h[j] = x[row * 3 + j] + (acc + 0.0f);
    }
    for (int layer = 1; layer < 3; layer++) {
      for (int j = 0; j < 3; j++) {
        float acc = 0.0f;
        for (int k = 0; k < 3; k++) acc = fmaf(h[k], w[layer][k * 3 + j], acc);
        t[j] = acc + 0.0f;
      }
      memcpy(h, t, sizeof h);
    }
    for (int j = 0; j < 3; j++) ck_assert_float_eq(y[row * 3 + j], h[j]);
  }
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* Flax >= 0.11: forks in construction order, held (and reseeded) in
 * nnx's graph order, which sorts attribute names and list indices. */
START_TEST(held_streams_in_graph_order) {
  const kf_layer_spec specs[] = {named(dropout(0.5), "zeta"), dropout(0.5), named(dropout(0.5), "alpha"),
                                 named(dropout(0.5), "Beta"), repeat(2, 1), dropout(0.5)};
  kf_rngs *r = rngs(KF_FLAX_0_11, 0);
  kf_model *m = NULL;
  ck_assert_int_eq(kf_model_new(specs, COUNT_OF(specs), r, &m, NULL), KF_OK);
  static const char *const order[] = {"Beta", "alpha", "layers.0", "layers.1.layers.0.layers.0",
                                      "layers.1.layers.1.layers.0", "zeta"};
  /* Forks in construction order: zeta took dropout count 0, layers.0 count 1, ... */
  static const uint32_t forked_at[] = {3, 2, 1, 4, 5, 0};
  ck_assert_uint_eq(kf_model_stream_count(m), COUNT_OF(order));
  for (size_t i = 0; i < COUNT_OF(order); i++) {
    kf_model_stream h;
    ck_assert_int_eq(kf_model_stream_at(m, i, &h), KF_OK);
    ck_assert_str_eq(kf_model_layer_path(m, h.layer), order[i]);
    const kf_key want = kf_fold_in(kf_key_from_seed(1, 0), forked_at[i]);
    ck_assert(h.state.key.hi == want.hi && h.state.key.lo == want.lo);
  }
  size_t held = 0;
  ck_assert_int_eq(kf_layers_held_streams(specs, COUNT_OF(specs), KF_FLAX_0_11, &held), KF_OK);
  ck_assert_uint_eq(held, 6);
  ck_assert_int_eq(kf_layers_held_streams(specs, COUNT_OF(specs), KF_FLAX_0_10, &held), KF_OK);
  ck_assert_uint_eq(held, 0);
  size_t matched = 0;
  ck_assert_int_eq(kf_model_reseed(m, "dropout", kf_key_from_seed(42, 0), &matched), KF_OK);
  ck_assert_uint_eq(matched, 6);
  for (size_t i = 0; i < COUNT_OF(order); i++) {
    kf_model_stream h;
    kf_model_stream_at(m, i, &h);
    const kf_key want = kf_fold_in(kf_key_from_seed(42, 0), (uint32_t)i);
    ck_assert(h.state.key.hi == want.hi && h.state.key.lo == want.lo);
  }
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

static void expect_fault(const kf_layer_spec *specs, size_t n, int rc, kf_diag_reason reason,
                         size_t at, const char *path) {
  kf_model_diag d = KF_MODEL_DIAG_INIT;
  ck_assert_int_eq(kf_model_check(specs, n, NULL, &d), rc);
  ck_assert_int_eq(d.reason, reason);
  ck_assert_uint_eq(d.layer, at);
  if (path) ck_assert_str_eq(d.path, path);
  /* kf_model_new says the same and draws nothing. */
  kf_rngs *r = rngs(KF_FLAX_0_11, 0);
  kf_model *m = NULL;
  kf_model_diag d2 = KF_MODEL_DIAG_INIT;
  ck_assert_int_eq(kf_model_new(specs, n, r, &m, &d2), rc);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(d2.reason, reason);
  kf_stream_state st;
  kf_rngs_has_stream(r, "params", &st);
  ck_assert_uint_eq(st.count, 0);
  kf_rngs_free(r);
}

START_TEST(structure_errors) {
  {  /* two siblings of one name */
    const kf_layer_spec s[] = {named(linear(2, 2), "a"), named(linear(2, 2), "a")};
    expect_fault(s, 2, KF_EEXIST, KF_DIAG_NAME, 1, "a");
  }
  {  /* the same name in different containers is fine */
    const kf_layer_spec s[] = {named(linear(2, 2), "a"), container(KF_LAYER_SEQUENTIAL, 1), named(linear(2, 2), "a")};
    ck_assert_int_eq(kf_model_check(s, 3, NULL, NULL), KF_OK);
  }
  {  /* "layers" is the list of the unnamed; not an identifier; too long */
    const kf_layer_spec s1[] = {named(linear(2, 2), "layers")};
    expect_fault(s1, 1, KF_EINVAL, KF_DIAG_NAME, 0, NULL);
    const kf_layer_spec s2[] = {named(linear(2, 2), "9lives")};
    expect_fault(s2, 1, KF_EINVAL, KF_DIAG_NAME, 0, NULL);
    kf_layer_spec s3[] = {linear(2, 2)};
    memset(s3[0].name, 'x', sizeof s3[0].name); /* no terminating NUL */
    expect_fault(s3, 1, KF_EINVAL, KF_DIAG_NAME, 0, NULL);
  }
  {  /* children past the end; a leaf with children */
    const kf_layer_spec s1[] = {linear(2, 2), container(KF_LAYER_SEQUENTIAL, 2), linear(2, 2)};
    expect_fault(s1, 3, KF_EINVAL, KF_DIAG_CHILDREN, 1, "layers.1");
    kf_layer_spec s2[] = {linear(2, 2)};
    s2[0].n_children = 1;
    expect_fault(s2, 1, KF_EINVAL, KF_DIAG_CHILDREN, 0, "layers.0");
  }
  {  /* an embed inside a residual, or in a repeat's second block */
    kf_layer_spec e = layer(KF_LAYER_EMBED);
    e.num_embeddings = 4;
    e.features = 2;
    const kf_layer_spec s1[] = {container(KF_LAYER_RESIDUAL, 1), e};
    expect_fault(s1, 2, KF_EMISMATCH, KF_DIAG_EMBED_NOT_FIRST, 1, "layers.0.layers.0");
    const kf_layer_spec s2[] = {repeat(2, 1), e};
    expect_fault(s2, 2, KF_EMISMATCH, KF_DIAG_EMBED_NOT_FIRST, 1, "layers.0.layers.1.layers.0");
    const kf_layer_spec s3[] = {repeat(1, 1), e, linear(2, 3)};
    ck_assert_int_eq(kf_model_check(s3, 3, NULL, NULL), KF_OK);
  }
  {  /* a residual whose branch changes the width; widths inside containers */
    const kf_layer_spec s1[] = {linear(2, 3), named(container(KF_LAYER_RESIDUAL, 1), "r"), linear(3, 4)};
    kf_model_diag d = KF_MODEL_DIAG_INIT;
    ck_assert_int_eq(kf_model_check(s1, 3, NULL, &d), KF_EMISMATCH);
    ck_assert_int_eq(d.reason, KF_DIAG_RESIDUAL);
    ck_assert_str_eq(d.path, "r");
    ck_assert_int_eq(d.expected, 3);
    ck_assert_int_eq(d.actual, 4);
    const kf_layer_spec s2[] = {linear(2, 3), repeat(3, 1), linear(2, 3)};
    expect_fault(s2, 3, KF_EMISMATCH, KF_DIAG_WIDTH, 2, "layers.1.layers.0.layers.0");
  }
  {  /* repeat counts */
    const kf_layer_spec s1[] = {repeat(0, 1), linear(2, 2)};
    kf_model_diag d = KF_MODEL_DIAG_INIT;
    ck_assert_int_eq(kf_model_check(s1, 2, NULL, &d), KF_ERANGE);
    ck_assert_str_eq(d.field, "count");
    const kf_layer_spec s2[] = {repeat(3000, 2), linear(2, 2), linear(2, 2)};
    ck_assert_int_eq(kf_model_check(s2, 3, NULL, &d), KF_EOVERFLOW);
    ck_assert_int_eq(d.reason, KF_DIAG_TOO_LARGE);
  }
  {  /* layer-type fields */
    kf_layer_spec c = layer(KF_LAYER_CONV);
    c.in_features = 3;
    c.out_features = 4;
    c.n_spatial = 2;
    c.kernel_size[0] = c.kernel_size[1] = 3;
    c.feature_group_count = 2;
    kf_model_diag d = KF_MODEL_DIAG_INIT;
    ck_assert_int_eq(kf_model_check(&c, 1, NULL, &d), KF_ERANGE);
    ck_assert_str_eq(d.field, "feature_group_count");
    c.feature_group_count = 1;
    c.input_dilation[0] = 2; /* lax refuses string padding with it */
    ck_assert_int_eq(kf_model_check(&c, 1, NULL, &d), KF_EINVAL);
    ck_assert_str_eq(d.field, "padding");
    c.padding = KF_PADDING_EXPLICIT;
    ck_assert_int_eq(kf_model_check(&c, 1, NULL, NULL), KF_OK);
    c.padding = KF_PADDING_CAUSAL; /* 1-D only */
    ck_assert_int_eq(kf_model_check(&c, 1, NULL, &d), KF_EINVAL);
    kf_layer_spec a = layer(KF_LAYER_MULTI_HEAD_ATTENTION);
    a.in_features = 6;
    a.num_heads = 4;
    ck_assert_int_eq(kf_model_check(&a, 1, NULL, &d), KF_ERANGE);
    ck_assert_str_eq(d.field, "qkv_features");
    a.num_heads = 3;
    uint64_t n = 0;
    ck_assert_int_eq(kf_model_check(&a, 1, &n, NULL), KF_OK);
    ck_assert_uint_eq(n, 4 * (6 * 6 + 6));
    kf_layer_spec g = layer(KF_LAYER_GROUP_NORM);
    g.num_features = 6;
    g.num_groups = 4;
    ck_assert_int_eq(kf_model_check(&g, 1, NULL, &d), KF_ERANGE);
    ck_assert_str_eq(d.field, "num_groups");
    g.group_size = 3; /* both given */
    ck_assert_int_eq(kf_model_check(&g, 1, NULL, &d), KF_EINVAL);
    g.num_groups = 0;
    ck_assert_int_eq(kf_model_check(&g, 1, NULL, NULL), KF_OK);
    kf_layer_spec e = layer(KF_LAYER_EINSUM);
    strcpy(e.einsum_str, "ab,bc->ad");
    e.n_kernel_shape = 2;
    e.kernel_shape[0] = 2;
    e.kernel_shape[1] = 3;
    ck_assert_int_eq(kf_model_check(&e, 1, NULL, &d), KF_EINVAL);
    ck_assert_str_eq(d.field, "einsum_str");
    strcpy(e.einsum_str, "ab,bc->ac");
    ck_assert_int_eq(kf_model_check(&e, 1, NULL, NULL), KF_OK);
  }
}
END_TEST

/* Forward faults name the node by path, with the shape reaching it. */
START_TEST(forward_faults_name_the_path) {
  const kf_layer_spec specs[] = {named(container(KF_LAYER_SEQUENTIAL, 1), "block"), layer(KF_LAYER_FLATTEN),
                                 named(container(KF_LAYER_RESIDUAL, 1), "skip"), linear(6, 2)};
  kf_rngs *r = rngs(KF_FLAX_0_10, 0);
  kf_model *m = NULL;
  ck_assert_int_eq(kf_model_new(specs, COUNT_OF(specs), r, &m, NULL), KF_OK);
  float x[6] = {0}, y[6];
  kf_tensor xt = {KF_FLOAT32, {3, {1, 2, 3}}, x}, yt = {KF_FLOAT32, {0, {0}}, y};
  kf_model_diag d = KF_MODEL_DIAG_INIT;
  /* flatten gives (1, 6); the residual's linear turns it into (1, 2). */
  ck_assert_int_eq(kf_model_forward(m, r, &xt, KF_DET_TRUE, &yt, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_RESIDUAL);
  ck_assert_str_eq(d.path, "skip");
  ck_assert(d.has_shape && d.shape.rank == 2 && d.shape.dim[1] == 6);
  ck_assert(d.has_expected_shape && d.expected_shape.dim[1] == 2);
  kf_shape at;
  ck_assert_int_eq(kf_model_layer_input_shape(m, &xt.shape, KF_FLOAT32, 3, &at, NULL), KF_OK);
  ck_assert(at.rank == 2 && at.dim[0] == 1 && at.dim[1] == 6);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* An einsum input with more letters than any input has axes is refused
 * whole: read only up to KF_MAX_RANK letters, a rank-8 input passed the
 * shape check and the product wrote past its shapes. */
START_TEST(einsum_letters_past_max_rank) {
  kf_layer_spec e = layer(KF_LAYER_EINSUM);
  strcpy(e.einsum_str, "abcdefghi,ij->abcdefghj");
  e.n_kernel_shape = 2;
  e.kernel_shape[0] = 3;
  e.kernel_shape[1] = 4;
  kf_rngs *r = rngs(KF_FLAX_0_10, 0);
  kf_model *m = NULL;
  ck_assert_int_eq(kf_model_new(&e, 1, r, &m, NULL), KF_OK);
  const kf_shape in = {8, {1, 1, 1, 1, 1, 1, 1, 3}};
  kf_shape out;
  kf_model_diag d = KF_MODEL_DIAG_INIT;
  ck_assert_int_eq(kf_model_output_shape(m, &in, KF_FLOAT32, &out, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_FEATURES);
  ck_assert_int_eq(d.expected, 9);
  ck_assert_int_eq(d.actual, 8);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* A caller built against the first kf_layer_spec (no tree members) gets
 * Flax's defaults for them. */
START_TEST(version_1_specs_still_build) {
  const size_t v1 = (offsetof(kf_layer_spec, name) + 7) / 8 * 8;
  unsigned char *buf = calloc(2, v1);
  kf_layer_spec a = linear(2, 3), b = dropout(0.5);
  memset((unsigned char *)&a + offsetof(kf_layer_spec, name), 0xAB, v1 - offsetof(kf_layer_spec, name));
  a.struct_size = b.struct_size = v1;
  memcpy(buf, &a, v1);
  memcpy(buf + v1, &b, v1);
  kf_rngs *r = rngs(KF_FLAX_0_10, 0);
  kf_model *m = NULL;
  ck_assert_int_eq(kf_model_new((const kf_layer_spec *)buf, 2, r, &m, NULL), KF_OK);
  ck_assert_uint_eq(kf_model_layer_count(m), 2);
  ck_assert_str_eq(kf_model_layer_path(m, 0), "layers.0");
  kf_layer_spec back = {.struct_size = sizeof back};
  kf_model_layer_spec(m, 0, &back);
  ck_assert_str_eq(back.name, "");
  ck_assert_uint_eq(back.n_children, 0);
  kf_model_free(m);
  kf_rngs_free(r);
  free(buf);
}
END_TEST

static Suite *tree_suite(void) {
  Suite *s = suite_create("model_tree");
  TCase *t = tcase_create("tree");
  tcase_add_test(t, paths_parents_and_draw_order);
  tcase_add_test(t, residual_adds_its_input);
  tcase_add_test(t, held_streams_in_graph_order);
  tcase_add_test(t, structure_errors);
  tcase_add_test(t, forward_faults_name_the_path);
  tcase_add_test(t, einsum_letters_past_max_rank);
  tcase_add_test(t, version_1_specs_still_build);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(tree_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
