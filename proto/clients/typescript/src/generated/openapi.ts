// Generated from proto/openapi.yaml by scripts/gen-types.mjs (openapi-typescript); do not edit.
export interface paths {
    "/v1/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List session names, a page at a time, in name order
         * @description A walk: the first request without `page_token`, then each next one with the
         *     `next_page_token` of the reply before (and the same `prefix`) until a reply has none.
         *     The token is opaque and stays valid while sessions are created and deleted (and across
         *     restarts): the next page starts after the last name of the previous one, so a name is
         *     listed at most once per walk; a session created behind the walk's position is not seen
         *     by it. Each page costs one pass over the session table, not a sort of it.
         */
        get: operations["listSessions"];
        put?: never;
        /**
         * Create a session (an nnx.Rngs plus an optional model)
         * @description Streams start at count 0; building the model then draws from them in Flax's order, so
         *     the counts in the response already reflect construction. Creation validates the whole
         *     model (widths, rates, sizes, initializers against parameter shapes) and creates nothing
         *     on failure.
         */
        post: operations["createSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        /** Read a session */
        get: operations["getSession"];
        put?: never;
        post?: never;
        /**
         * Delete a session
         * @description Requests already running on the session finish normally.
         */
        delete: operations["deleteSession"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{name}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Draw n keys from a stream (rngs.<stream>() n times)
         * @description Key i is `fold_in(stream_key, count + i)`; the count then advances by n. An unknown
         *     stream falls back to `default` and shares its counter (`source: "default"`); without a
         *     `default` stream it is 404. A draw that would take the count past 4294967295 is 409
         *     `failed_precondition`, as is any draw from a session fenced after a restore from a
         *     snapshot (see Durability). `n` above `--max-elements` is 413.
         */
        post: operations["drawKeys"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{name}/sample": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * rngs.<stream>.<distribution>(shape, ...) — draw one key and sample with it
         * @description Draws one key from `stream` (default `"default"`, with the fallback of `/keys`) and
         *     samples with it exactly as the stateless `/v1/random/{distribution}` would with that
         *     key, in the session's threefry mode. Parameters are validated before the key is drawn.
         *     409 `failed_precondition` as for `/keys` (a count past 4294967295, a fenced session).
         */
        post: operations["sampleSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{name}/forward": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run the session's model on x
         * @description Each `dropout` layer that is not deterministic draws one key from its `rng_collection`
         *     (falling back to `default`) per call. `deterministic` overrides every dropout layer
         *     (true: `model.eval()`, false: `model.train()`); absent, each layer uses its own
         *     `deterministic` attribute. Leading dimensions of x are batch dimensions. A shape that
         *     does not fit is 400 and draws nothing; a session without a model is 409
         *     `failed_precondition`, and so is a pass that would draw a dropout key from a session
         *     fenced after a restore from a snapshot (a deterministic pass runs); a dropout stream
         *     missing with no `default` is 404.
         *
         *     With `Content-Type: application/x-npy` the body is x itself as a `.npy` file, and
         *     `deterministic` moves to the query (`?deterministic=true`). A bad `.npy` body is 400
         *     (413 beyond `--max-elements`) and draws nothing. With `Accept: application/x-npy` the
         *     reply is `y` as `.npy`.
         */
        post: operations["forward"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{name}/reseed": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * nnx.reseed — give streams new keys with count 0
         * @description Flax 0.9–0.10 sessions: every named stream gets `key := key(seed)` (or the given Key)
         *     and `count := 0`; the model shares the session's streams, so every `target` is the
         *     same operation, and `policy` is 400.
         *
         *     Flax 0.11/0.12 sessions: `nnx.reseed` of Flax ≥ 0.11 on `target`: `"model"` reaches the
         *     streams the model's dropouts hold (matched by their tag), `"rngs"` the session's own
         *     streams (by name), `"all"` (the default) both, as two calls, model first. The n-th
         *     stream of a tag, in layer order, gets `key := fold_in(key(seed), n)` (or
         *     `fold_in(Key, n)`) and `count := 0`; the session's own stream of that name, in its own
         *     call, `fold_in(key(seed), 0)`.
         *
         *     A name that reaches no stream of the target is 400 (Flax ignores it; keyfold refuses,
         *     and reseeds nothing). A reseed replacing every stream of a fenced session (restored
         *     from a snapshot) unfences it.
         */
        post: operations["reseed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{name}/fork": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rngs.fork() — a new session whose streams are forks of this one's
         * @description Creates the session `name` whose streams are `stream.fork()` of the parent's streams
         *     listed in `streams` (default: every stream of the parent, in its order): each child key
         *     is `fold_in(parent key, parent count)` with count 0, and each forked parent stream's
         *     count moves on by one — the parent never hands that key out itself. A name in `streams`
         *     that the parent does not have is 400 (no fallback to `default`: Flax forks real streams
         *     only). `model` (optional) is built from the child's streams as at creation; `options`
         *     default to the parent's. Atomic and durable like a creation: the parent's advanced
         *     counts are recorded before the child, and the 201 waits for both in `strict` mode.
         *     409 `already_exists` when the name is taken, `failed_precondition` when a forked stream
         *     is at count 4294967295 or the parent is fenced after a restore from a snapshot. Both
         *     sessions are independent afterwards: deleting one leaves the other.
         */
        post: operations["forkSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{name}/params": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        /** The model's parameters, by layer, as nnx.state, or as a safetensors file */
        get: operations["getParams"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every jax.random operation with its parameters
         * @description The daemon's operation table (`server/ops.c`), as `keyfoldd --dump-tables` prints it under
         *     `operations`: for each operation JAX's name, where it is offered (`random`:
         *     `POST /v1/random/{op}`; `session_sample`: a `distribution` of
         *     `POST /v1/sessions/{name}/sample`), whether it answers a tensor, the output's dtype, what an
         *     absent `shape` means, and its parameters in JAX's order with their kind, default, whether
         *     required, element dtype, whether an array is accepted (broadcast against `shape`) and a
         *     description. The request schemas below are generated from the same table
         *     (`scripts/gen-openapi-random.py`).
         */
        get: operations["listRandomOperations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** jax.random.key(seed): a key from a seed */
        post: operations["randomKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/fold_in": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** jax.random.fold_in(key, data) */
        post: operations["randomFoldIn"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/split": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** jax.random.split(key, num) */
        post: operations["randomSplit"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/bits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.bits(key, shape, dtype)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomBits"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/uniform": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.uniform(key, shape, dtype, minval, maxval)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` defaults to `[]` (JAX's `()`); array parameters must broadcast to it.
         */
        post: operations["randomUniform"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/normal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.normal(key, shape, dtype)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomNormal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/truncated_normal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.truncated_normal(key, lower, upper, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400).
         */
        post: operations["randomTruncatedNormal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/bernoulli": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.bernoulli(key, p, shape, mode)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400).
         */
        post: operations["randomBernoulli"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/randint": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.randint(key, shape, minval, maxval, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400).
         */
        post: operations["randomRandint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/permutation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** jax.random.permutation(key, n) */
        post: operations["randomPermutation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/exponential": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.exponential(key, shape, dtype)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomExponential"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/gumbel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.gumbel(key, shape, dtype, mode)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomGumbel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/laplace": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.laplace(key, shape, dtype)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomLaplace"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/logistic": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.logistic(key, shape, dtype)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomLogistic"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/cauchy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.cauchy(key, shape, dtype)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomCauchy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/pareto": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.pareto(key, b, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400).
         */
        post: operations["randomPareto"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/weibull_min": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.weibull_min(key, scale, concentration, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). The draw has `shape` (default `[]`), which JAX does not check against the parameters: the output is the broadcast of `shape` and the array parameters' shapes, and elements along dimensions where `shape` is 1 share a draw.
         */
        post: operations["randomWeibullMin"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/rayleigh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.rayleigh(key, scale, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400).
         */
        post: operations["randomRayleigh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/geometric": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.geometric(key, p, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400).
         */
        post: operations["randomGeometric"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/triangular": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.triangular(key, left, mode, right, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400).
         */
        post: operations["randomTriangular"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/lognormal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.lognormal(key, sigma, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400).
         */
        post: operations["randomLognormal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/maxwell": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.maxwell(key, shape, dtype)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomMaxwell"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/double_sided_maxwell": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.double_sided_maxwell(key, loc, scale, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). The output's shape is `shape` followed by the broadcast of the array parameters' shapes (JAX's `shape + params_shapes`; an empty `shape` counts as those shapes).
         */
        post: operations["randomDoubleSidedMaxwell"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/rademacher": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.rademacher(key, shape, dtype)
         * @description `shape` defaults to `[]` (JAX's `()`).
         */
        post: operations["randomRademacher"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/gamma": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.gamma(key, a, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400). Bit-identical to jax.random.gamma of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws.
         */
        post: operations["randomGamma"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/loggamma": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.loggamma(key, a, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400). Bit-identical to jax.random.loggamma of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws.
         */
        post: operations["randomLoggamma"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/beta": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.beta(key, a, b, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400). Bit-identical to jax.random.beta of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws.
         */
        post: operations["randomBeta"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/chisquare": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.chisquare(key, df, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400). Bit-identical to jax.random.chisquare of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws.
         */
        post: operations["randomChisquare"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/t": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.t(key, df, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400). Bit-identical to jax.random.t of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws.
         */
        post: operations["randomT"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/f": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.f(key, dfnum, dfden, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400). Bit-identical to jax.random.f of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws.
         */
        post: operations["randomF"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/generalized_normal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.generalized_normal(key, p, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` defaults to `[]` (JAX's `()`); array parameters must broadcast to it. Bit-identical to jax.random.generalized_normal of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws.
         */
        post: operations["randomGeneralizedNormal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/dirichlet": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.dirichlet(key, alpha, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). Bit-identical to jax.random.dirichlet of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws. From 4096 output elements on, jaxlib 0.10.2 hands the kernels to YNNPACK: keyfold follows its 16-lane row sum (ball) but not its softmax (dirichlet, whose exp and division YNNPACK computes itself), so dirichlet may differ there by a few ulps.
         */
        post: operations["randomDirichlet"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/ball": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.ball(key, d, p, shape, dtype)
         * @description Bit-identical to jax.random.ball of jaxlib 0.10.2 on Intel x86-64 (rsqrt 'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of arguments, and one different normal can change a whole draw. AMD's rsqrt estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own rejection loop: the run time depends on the draws. From 4096 output elements on, jaxlib 0.10.2 hands the kernels to YNNPACK: keyfold follows its 16-lane row sum (ball) but not its softmax (dirichlet, whose exp and division YNNPACK computes itself), so dirichlet may differ there by a few ulps.
         */
        post: operations["randomBall"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/wald": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.wald(key, mean, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400). jax 0.10.2's algorithm (a normal and a uniform from split(key)), bit-identical to jaxlib 0.10.2 (the oracle's sample cases, and every measured draw: docs/libkeyfold.md); jaxlib 0.6.2's log1p may differ by an ulp or change a loop's step.
         */
        post: operations["randomWald"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/poisson": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.poisson(key, lam, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the array parameters' shape; given, each must broadcast to it (jnp.broadcast_to, with its messages, 400). jax 0.10.2's algorithm (Knuth's loop below lam = 10, Hörmann's PTRS above; threefry keys only, as in JAX), bit-identical to jaxlib 0.10.2 (the oracle's sample cases, and every measured draw: docs/libkeyfold.md); jaxlib 0.6.2's log1p may differ by an ulp or change a loop's step.
         */
        post: operations["randomPoisson"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/binomial": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.binomial(key, n, p, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). `shape` absent (JAX's None) is the broadcast of the array parameters' shapes; given, they must broadcast to exactly it (JAX's check and message, 400). jax 0.10.2's algorithm (inversion for n * min(p, 1 - p) <= 10, BTRS above), bit-identical to jaxlib 0.10.2 (the oracle's sample cases, and every measured draw: docs/libkeyfold.md); jaxlib 0.6.2's log1p may differ by an ulp or change a loop's step.
         */
        post: operations["randomBinomial"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/categorical": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.categorical(key, logits, axis, shape, replace, mode)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). jax 0.10.2's algorithm (argmax of gumbel + logits; gumbel top-k without replacement), bit-identical to jaxlib 0.10.2 (the oracle's sample cases, and every measured draw: docs/libkeyfold.md); jaxlib 0.6.2's log1p may differ by an ulp or change a loop's step.
         */
        post: operations["randomCategorical"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/choice": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.choice(key, a, shape, replace, p, axis, mode)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). jax 0.10.2's algorithm (randint, permutation, a cumsum search with p, gumbel top-k with p and without replacement), bit-identical to jaxlib 0.10.2 (the oracle's sample cases, and every measured draw: docs/libkeyfold.md); jaxlib 0.6.2's log1p may differ by an ulp or change a loop's step.
         */
        post: operations["randomChoice"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/multinomial": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.multinomial(key, n, p, shape, dtype)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). jax 0.10.2's algorithm (binomial counts category by category, as JAX's scan draws them), bit-identical to jaxlib 0.10.2 (the oracle's sample cases, and every measured draw: docs/libkeyfold.md); jaxlib 0.6.2's log1p may differ by an ulp or change a loop's step.
         */
        post: operations["randomMultinomial"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/multivariate_normal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.multivariate_normal(key, mean, cov, shape, dtype, method)
         * @description Array parameters are numbers, nested lists or Tensor objects, broadcast as in JAX (NumPy's rules). Cholesky (method 'cholesky', JAX's default; 'svd' and 'eigh' are 400: their eigenvector signs are LAPACK's) as SciPy's OpenBLAS factors and XLA's dot sums: bit-identical to jaxlib 0.10.2 for n = 2..5 (measured on 2*10^5 draws); n = 1 and n >= 8 differ from it in the last bits (83% identical at n = 8, at most ~1e-6 absolute; docs/libkeyfold.md).
         */
        post: operations["randomMultivariateNormal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/random/orthogonal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.random.orthogonal(key, n, shape, dtype, m)
         * @description Householder QR of a normal draw, signs by diag(r), as LAPACK and JAX: bit-identical to jaxlib 0.10.2 for 1 x 1 and 2 x 2; larger matrices differ in the last bits where OpenBLAS's matrix-vector kernels sum in another order (87% identical at 3 x 3, 36% at 8 x 8, at most ~1e-5 absolute; docs/libkeyfold.md).
         */
        post: operations["randomOrthogonal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/init/{initializer}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description An initializer without parameters. `xavier_*` and `kaiming_*` are JAX's aliases of
                 *     `glorot_*` and `he_*`. Any name that is neither this list nor one of the
                 *     initializers with their own path is 404.
                 */
                initializer: components["schemas"]["PlainInitializerName"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.nn.initializers.<initializer>()(key, shape, float32)
         * @description The variance-scaling initializers (lecun/glorot/he normal and uniform) need a shape of
         *     rank >= 2 and no zero dimension (they compute fans from the last two axes); otherwise
         *     400. `zeros` and `ones` ignore the key.
         */
        post: operations["initPlain"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/init/normal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** jax.nn.initializers.normal(stddev)(key, shape) = normal(key, shape) * stddev */
        post: operations["initNormal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/init/uniform": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** jax.nn.initializers.uniform(scale)(key, shape) = U[0, scale) */
        post: operations["initUniform"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/init/truncated_normal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** jax.nn.initializers.truncated_normal(stddev, lower, upper) (no 0.8796 correction) */
        post: operations["initTruncatedNormal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/init/constant": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** jax.nn.initializers.constant(value) (ignores the key) */
        post: operations["initConstant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/init/variance_scaling": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * jax.nn.initializers.variance_scaling(scale, mode, distribution, in_axis, out_axis)
         * @description Fans come from `in_axis` and `out_axis` (negative from the end) of a shape of rank >= 2;
         *     an axis outside the shape, a zero fan or a non-positive scale is 400.
         */
        post: operations["initVarianceScaling"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness (Open Inference Protocol) */
        get: operations["healthLive"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness (Open Inference Protocol) */
        get: operations["healthReady"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (text exposition format 0.0.4)
         * @description The counter `keyfold_requests_total{method, route, status}` (route is the route pattern,
         *     e.g. `/v1/sessions/{name}/keys`; requests that match no route count as
         *     `method="", route="unmatched"`), the histogram
         *     `keyfold_request_duration_seconds{method, route}`, the gauge `keyfold_sessions` (sessions
         *     held), the counter `keyfold_keys_drawn_total` (keys drawn from session streams by
         *     `/keys`, `/sample` and `/forward`), and for the store (strict/lease) the histogram
         *     `keyfold_store_commit_seconds` (one group commit, one fsync), the counters
         *     `keyfold_store_commits_total{result="ok"|"failed"}` and `keyfold_store_changes_total`.
         */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/snapshot": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Write an online backup of the session store
         * @description Copies the store with SQLite's online backup API (the daemon keeps serving) to
         *     `--snapshot-dir` (default `<data-dir>/snapshots`) as `keyfold-<UTC time>-<n>.db`.
         *     `SIGUSR1` does the same. To restore, stop the daemon, copy a snapshot to
         *     `<data-dir>/keyfold.db`, start it and call `POST /v1/admin/restore`.
         */
        post: operations["adminSnapshot"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/restore": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End the fence of a store restored from a snapshot
         * @description A daemon started on a copy of a snapshot fences every session of it: draws answer 409
         *     `failed_precondition`, since the original may have handed out keys after the snapshot
         *     was taken. This call advances every stream of every fenced session by `advance` counts
         *     (choose more than the original can have drawn since the snapshot), records that, removes
         *     the store's snapshot marker and lifts the fence. All or nothing: if one stream would
         *     pass count 4294967295 it is 409 and nothing is advanced (reseed that stream first).
         *     On a store that is not fenced (never restored, already restored, or `--durability
         *     memory`) it is 409.
         */
        post: operations["adminRestore"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description A key's raw data [hi, lo] (jax.random.key_data).
         * @example [
         *       0,
         *       42
         *     ]
         */
        Key: number[];
        /** @description A seed; becomes key(seed) = [0, seed mod 2^32] (JAX with x64 off). */
        Seed: number;
        SeedOrKey: components["schemas"]["Seed"] | components["schemas"]["Key"];
        /** @description A stream's uint32 counter. */
        Count: number;
        /** @description Dimensions, at most 8, each >= 0; the product is limited by --max-elements (413). */
        Shape: number[];
        /**
         * @description JAX's threefry mode.
         * @default partitionable
         * @enum {string}
         */
        Threefry: "partitionable" | "legacy";
        SessionName: string;
        StreamName: string;
        /** @enum {string} */
        DType: "float32" | "int32" | "uint32" | "bool" | "uint8" | "uint16" | "uint64";
        /** @description A float32 in its shortest round-trip form; non-finite values as strings. */
        Float32Value: number | ("NaN" | "Infinity" | "-Infinity");
        Empty: Record<string, never>;
        /** @description The dtype decides the JSON type of the elements (each branch requires both, so exactly one matches). */
        TensorFields: {
            /** @constant */
            dtype: "float32";
            data: components["schemas"]["Float32Value"][];
        } | {
            /** @constant */
            dtype: "int32";
            data: number[];
        } | {
            /** @constant */
            dtype: "uint32";
            data: number[];
        } | {
            /** @constant */
            dtype: "uint16";
            data: number[];
        } | {
            /** @constant */
            dtype: "uint8";
            data: number[];
        } | {
            /** @constant */
            dtype: "uint64";
            data: string[];
        } | {
            /** @constant */
            dtype: "bool";
            data: boolean[];
        };
        /** @description {"shape", "dtype", "data": flat row-major}; len(data) = product of shape (1 for []). */
        Tensor: {
            shape: components["schemas"]["Shape"];
            dtype: components["schemas"]["DType"];
            data: unknown[];
        } & components["schemas"]["TensorFields"];
        Float32Tensor: components["schemas"]["Tensor"] & {
            /** @constant */
            dtype?: "float32";
        };
        Int32Tensor: components["schemas"]["Tensor"] & {
            /** @constant */
            dtype?: "int32";
        };
        BoolTensor: components["schemas"]["Tensor"] & {
            /** @constant */
            dtype?: "bool";
        };
        /** @description bit_width 8 -> uint8, 16 -> uint16, 32 -> uint32, 64 -> uint64 (decimal strings). */
        BitsTensor: components["schemas"]["Tensor"] & {
            /** @enum {unknown} */
            dtype?: "uint8" | "uint16" | "uint32" | "uint64";
        };
        /** @description A number or a rectangular nested list of numbers (row-major). */
        NestedNumbers: number | number[] | number[][] | number[][][] | number[][][][] | number[][][][][] | number[][][][][][] | number[][][][][][][] | number[][][][][][][][];
        /**
         * @description An input: a nested JSON array, or a tensor object. Elements are float32 (finite) for a
         *     model that starts with a non-embed layer, int32 indices for one that starts with
         *     `embed` (negative indices count from the end; others out of range are 400).
         */
        InputTensor: components["schemas"]["NestedNumbers"] | {
            shape: components["schemas"]["Shape"];
            /**
             * @description float32 (default for float inputs; int32 data is also accepted) or int32 (embed).
             * @enum {string}
             */
            dtype?: "float32" | "int32";
            data: number[];
        };
        /**
         * @description One tensor as a NumPy `.npy` file (binary; `numpy.load` reads it). Replies are format
         *     1.0 in C order, exactly what `numpy.save` writes; request bodies may be format 1.0, 2.0
         *     or 3.0, C or Fortran order.
         */
        NpyTensor: string;
        /** @description A parameter's shape and dtype (without its values). */
        ParamSpec: {
            shape: components["schemas"]["Shape"];
            /** @constant */
            dtype: "float32";
        };
        /**
         * @description A parameter's name within its layer; sub-modules' parameters are dotted (`query.kernel`, `query_ln.scale`).
         * @example kernel
         * @example bias
         * @example embedding
         * @example scale
         * @example query.kernel
         */
        ParamName: string;
        /** @description A variable of nnx.state(model): its kind (`params` for nnx.Param, `batch_stats` for nnx.BatchStat), shape and dtype. */
        VariableSpec: {
            /** @enum {string} */
            kind: "params" | "batch_stats";
            shape: components["schemas"]["Shape"];
            /** @constant */
            dtype: "float32";
        };
        AdminRestoreRequest: {
            /** @description Counts to move every stream of every fenced session forward. */
            advance: number;
        };
        AdminRestoreResponse: {
            advanced_sessions: number;
            advance: number;
        };
        /** @enum {string} */
        ErrorCode: "invalid_argument" | "unauthenticated" | "not_found" | "method_not_allowed" | "not_acceptable" | "already_exists" | "failed_precondition" | "payload_too_large" | "unsupported_media_type" | "resource_exhausted" | "internal" | "unavailable";
        /** @description The body of every 4xx/5xx response. */
        Error: {
            error: {
                code: components["schemas"]["ErrorCode"];
                message: string;
            };
        };
        InvalidArgumentError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "invalid_argument";
            };
        };
        NotFoundError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "not_found";
            };
        };
        MethodNotAllowedError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "method_not_allowed";
            };
        };
        NotAcceptableError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "not_acceptable";
            };
        };
        AlreadyExistsError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "already_exists";
            };
        };
        FailedPreconditionError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "failed_precondition";
            };
        };
        PayloadTooLargeError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "payload_too_large";
            };
        };
        UnsupportedMediaTypeError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "unsupported_media_type";
            };
        };
        ResourceExhaustedError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "resource_exhausted";
            };
        };
        InternalError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "internal";
            };
        };
        UnavailableError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "unavailable";
            };
        };
        UnauthenticatedError: components["schemas"]["Error"] & {
            error?: {
                /** @constant */
                code?: "unauthenticated";
            };
        };
        /**
         * @description Initializers without parameters (xavier_* / kaiming_* are aliases of glorot_* / he_*).
         * @enum {string}
         */
        PlainInitializerName: "zeros" | "ones" | "lecun_normal" | "lecun_uniform" | "glorot_normal" | "glorot_uniform" | "he_normal" | "he_uniform" | "xavier_normal" | "xavier_uniform" | "kaiming_normal" | "kaiming_uniform";
        /**
         * @description Every initializer name the daemon knows.
         * @enum {string}
         */
        InitializerName: "zeros" | "ones" | "constant" | "normal" | "uniform" | "truncated_normal" | "variance_scaling" | "lecun_normal" | "lecun_uniform" | "glorot_normal" | "glorot_uniform" | "he_normal" | "he_uniform" | "xavier_normal" | "xavier_uniform" | "kaiming_normal" | "kaiming_uniform";
        /** @enum {string} */
        FanMode: "fan_in" | "fan_out" | "fan_avg";
        /** @enum {string} */
        Distribution: "truncated_normal" | "normal" | "uniform";
        Axis: number;
        /**
         * @description Must be finite as a float32.
         * @default 0.01
         */
        StddevParam: number;
        /**
         * @description Must be finite as a float32.
         * @default 0.01
         */
        ScaleParam: number;
        /**
         * @description A layer's initializer: a name (`"he_uniform"`; parameterised ones with their defaults)
         *     or an object `{"name": ..., parameters}`. The daemon echoes initializers in canonical
         *     form: a bare canonical name when the kind takes no parameters (aliases resolved),
         *     otherwise an object with every parameter.
         */
        Initializer: components["schemas"]["InitializerName"] | {
            name: components["schemas"]["PlainInitializerName"];
        } | {
            /** @constant */
            name: "normal";
            stddev?: components["schemas"]["StddevParam"];
        } | {
            /** @constant */
            name: "uniform";
            scale?: components["schemas"]["ScaleParam"];
        } | {
            /** @constant */
            name: "truncated_normal";
            stddev?: components["schemas"]["StddevParam"];
            /** @default -2 */
            lower?: number;
            /** @default 2 */
            upper?: number;
        } | {
            /** @constant */
            name: "constant";
            /** @default 0 */
            value?: number;
        } | {
            /** @constant */
            name: "variance_scaling";
            /** @default 1 */
            scale?: number;
            /** @default fan_in */
            mode?: components["schemas"]["FanMode"];
            /** @default truncated_normal */
            distribution?: components["schemas"]["Distribution"];
            /** @default -2 */
            in_axis?: components["schemas"]["Axis"];
            /** @default -1 */
            out_axis?: components["schemas"]["Axis"];
        };
        /**
         * @description The layer's attribute name in the user's Flax module (a Python identifier other than
         *     `layers`). Paths (`model.variables`, `?format=state`, safetensors names, held streams)
         *     use it in place of the list index: `{"type": "linear", "name": "head", ...}` at the top
         *     level has the parameters `head.kernel` and `head.bias` instead of `layers.3.kernel`.
         *     The echo carries it only when given.
         */
        LayerName: string;
        /** @description A positive integer or a list of them (a tuple in Flax); echoed as a list. */
        Sizes: number | number[];
        /**
         * @description One positive integer per spatial axis, or one integer for all of them (as Flax
         *     takes it); echoed as a list with one entry per spatial axis (1 to 3 axes).
         */
        SpatialSizes: number | number[];
        /** @description An axis or a list of axes; echoed as a list. */
        Axes: components["schemas"]["Axis"] | components["schemas"]["Axis"][];
        /**
         * @description `"SAME"` (output size ceil(in / stride)), `"VALID"` (no padding), `"CIRCULAR"` (SAME's
         *     amounts, wrapped around periodically), `"CAUSAL"` (1-d only: all the padding on the
         *     left), an integer k (k on both sides of every spatial axis), or one `[low, high]` pair
         *     (or an integer k for `[k, k]`) per spatial axis. Explicit forms are echoed as the list
         *     of pairs.
         */
        Padding: ("SAME" | "VALID" | "CIRCULAR" | "CAUSAL") | number | (number | number[])[];
        /** @description nnx.Linear: y = x @ kernel + bias over the last axis. Draws: kernel (in_features, out_features), then bias (out_features,) if use_bias. */
        LinearLayer: {
            /** @constant */
            type: "linear";
            name?: components["schemas"]["LayerName"];
            /** @description Must equal the width the layers before produce. */
            in_features: number;
            out_features: number;
            /** @default true */
            use_bias?: boolean;
            /** @default lecun_normal */
            kernel_init?: components["schemas"]["Initializer"];
            /** @default zeros */
            bias_init?: components["schemas"]["Initializer"];
        };
        /**
         * @description nnx.LinearGeneral: a linear map contracting the input axes `axis` (sizes `in_features`)
         *     into the output axes `out_features`, which replace them at the end. Draws: kernel
         *     (in_features + out_features), then bias (out_features) if use_bias.
         */
        LinearGeneralLayer: {
            /** @constant */
            type: "linear_general";
            name?: components["schemas"]["LayerName"];
            /** @description The sizes of the contracted axes. */
            in_features: components["schemas"]["Sizes"];
            /** @description The sizes of the new output axes. */
            out_features: components["schemas"]["Sizes"];
            /**
             * @description The input axes to contract, one per entry of in_features (default the last len(in_features) axes).
             * @default -1
             */
            axis?: components["schemas"]["Axes"];
            /** @default true */
            use_bias?: boolean;
            /** @default lecun_normal */
            kernel_init?: components["schemas"]["Initializer"];
            /** @default zeros */
            bias_init?: components["schemas"]["Initializer"];
        };
        /**
         * @description nnx.Einsum: y = jnp.einsum(einsum_str, x, kernel) (+ bias, broadcast at the end).
         *     Draws: kernel (kernel_shape), then bias (bias_shape) if bias_shape is given.
         */
        EinsumLayer: {
            /** @constant */
            type: "einsum";
            name?: components["schemas"]["LayerName"];
            /**
             * @description Two operands (the input, then the kernel) and an output; spaces are ignored, as in Flax.
             * @example bi,io->bo
             */
            einsum_str: string;
            kernel_shape: components["schemas"]["Sizes"];
            /**
             * @description The bias's shape; null (Flax's None, the default) for no bias.
             * @default null
             */
            bias_shape?: null | number | number[];
            /** @default lecun_normal */
            kernel_init?: components["schemas"]["Initializer"];
            /** @default zeros */
            bias_init?: components["schemas"]["Initializer"];
        };
        /** @description nnx.Embed: integer input (indices; negative ones count from the end), only as the first layer. Draws: embedding (num_embeddings, features). */
        EmbedLayer: {
            /** @constant */
            type: "embed";
            name?: components["schemas"]["LayerName"];
            num_embeddings: number;
            features: number;
            /**
             * @default {
             *       "name": "variance_scaling",
             *       "scale": 1,
             *       "mode": "fan_in",
             *       "distribution": "normal",
             *       "in_axis": -2,
             *       "out_axis": 0
             *     }
             */
            embedding_init?: components["schemas"]["Initializer"];
        };
        /**
         * @description nnx.Conv over channels-last input (batch, *spatial, in_features), 1 to 3 spatial axes
         *     (as many as kernel_size has). Draws: kernel (*kernel_size, in_features //
         *     feature_group_count, out_features), then bias (out_features,) if use_bias.
         */
        ConvLayer: {
            /** @constant */
            type: "conv";
            name?: components["schemas"]["LayerName"];
            in_features: number;
            out_features: number;
            /** @description The window; its length is the number of spatial axes. */
            kernel_size: components["schemas"]["SpatialSizes"];
            /** @default 1 */
            strides?: components["schemas"]["SpatialSizes"];
            /** @default SAME */
            padding?: components["schemas"]["Padding"];
            /**
             * @description Dilation of the input (a transposed convolution's stride).
             * @default 1
             */
            input_dilation?: components["schemas"]["SpatialSizes"];
            /**
             * @description Dilation of the kernel (atrous convolution).
             * @default 1
             */
            kernel_dilation?: components["schemas"]["SpatialSizes"];
            /**
             * @description Grouped convolution: must divide in_features and out_features.
             * @default 1
             */
            feature_group_count?: number;
            /** @default true */
            use_bias?: boolean;
            /** @default lecun_normal */
            kernel_init?: components["schemas"]["Initializer"];
            /** @default zeros */
            bias_init?: components["schemas"]["Initializer"];
        };
        /**
         * @description nnx.ConvTranspose (as jax.lax.conv_transpose, kernel not flipped), channels-last.
         *     Draws: kernel (*kernel_size, in_features, out_features), then bias (out_features,) if
         *     use_bias.
         */
        ConvTransposeLayer: {
            /** @constant */
            type: "conv_transpose";
            name?: components["schemas"]["LayerName"];
            in_features: number;
            out_features: number;
            kernel_size: components["schemas"]["SpatialSizes"];
            /**
             * @description The upsampling factor.
             * @default 1
             */
            strides?: components["schemas"]["SpatialSizes"];
            /** @default SAME */
            padding?: components["schemas"]["Padding"];
            /** @default 1 */
            kernel_dilation?: components["schemas"]["SpatialSizes"];
            /** @default true */
            use_bias?: boolean;
            /** @default lecun_normal */
            kernel_init?: components["schemas"]["Initializer"];
            /** @default zeros */
            bias_init?: components["schemas"]["Initializer"];
        };
        /**
         * @description nnx.LayerNorm over the last axis. Draws: one key for scale (ones) if use_scale, then
         *     one for bias (zeros) if use_bias; the keys are consumed although the initializers
         *     ignore them.
         */
        LayerNormLayer: {
            /** @constant */
            type: "layer_norm";
            name?: components["schemas"]["LayerName"];
            /** @description The size of the last axis. */
            num_features: number;
            /**
             * @description Added to the variance.
             * @default 0.000001
             */
            epsilon?: number;
            /** @default true */
            use_bias?: boolean;
            /** @default true */
            use_scale?: boolean;
            /**
             * @description Initializer of scale (nnx.initializers.ones); its key is drawn whatever it is.
             * @default ones
             */
            scale_init?: components["schemas"]["Initializer"];
            /**
             * @description Initializer of bias.
             * @default zeros
             */
            bias_init?: components["schemas"]["Initializer"];
        };
        /** @description nnx.RMSNorm over the last axis (no mean subtracted, no bias). Draws: one key for scale (ones) if use_scale. */
        RMSNormLayer: {
            /** @constant */
            type: "rms_norm";
            name?: components["schemas"]["LayerName"];
            num_features: number;
            /** @default 0.000001 */
            epsilon?: number;
            /** @default true */
            use_scale?: boolean;
            /**
             * @description Initializer of scale (nnx.initializers.ones); its key is drawn whatever it is.
             * @default ones
             */
            scale_init?: components["schemas"]["Initializer"];
        };
        /**
         * @description nnx.BatchNorm over every axis but the last. Draws: one key for scale if use_scale,
         *     then one for bias if use_bias (as LayerNorm). Its batch statistics `mean` (zeros) and
         *     `var` (ones) are BatchStat variables, no keys: a forward pass with
         *     use_running_average false and deterministic false normalises with the batch's
         *     statistics and updates them (`ra = momentum * ra + (1 - momentum) * batch`), a state
         *     change stored like counts; otherwise it uses them.
         */
        BatchNormLayer: {
            /** @constant */
            type: "batch_norm";
            name?: components["schemas"]["LayerName"];
            num_features: number;
            /**
             * @description Decay of the running averages.
             * @default 0.99
             */
            momentum?: number;
            /** @default 0.00001 */
            epsilon?: number;
            /** @default true */
            use_bias?: boolean;
            /** @default true */
            use_scale?: boolean;
            /**
             * @description Normalise with the stored statistics (eval mode), as does a deterministic forward.
             * @default false
             */
            use_running_average?: boolean;
            /**
             * @description Initializer of scale (nnx.initializers.ones); its key is drawn whatever it is.
             * @default ones
             */
            scale_init?: components["schemas"]["Initializer"];
            /**
             * @description Initializer of bias.
             * @default zeros
             */
            bias_init?: components["schemas"]["Initializer"];
        };
        /**
         * @description nnx.GroupNorm: the features split into groups, each normalised over it and every
         *     non-batch axis. Give num_groups or group_size (group_size alone sets num_groups to
         *     null). Draws: scale then bias keys, as LayerNorm.
         */
        GroupNormLayer: {
            /** @constant */
            type: "group_norm";
            name?: components["schemas"]["LayerName"];
            num_features: number;
            /**
             * @description The number of groups; must divide num_features.
             * @default 32
             */
            num_groups?: number | null;
            /**
             * @description Features per group (instead of num_groups).
             * @default null
             */
            group_size?: number | null;
            /** @default 0.000001 */
            epsilon?: number;
            /** @default true */
            use_bias?: boolean;
            /** @default true */
            use_scale?: boolean;
            /**
             * @description Initializer of scale (nnx.initializers.ones); its key is drawn whatever it is.
             * @default ones
             */
            scale_init?: components["schemas"]["Initializer"];
            /**
             * @description Initializer of bias.
             * @default zeros
             */
            bias_init?: components["schemas"]["Initializer"];
        };
        /**
         * @description nnx.MultiHeadAttention, self-attention (inputs_q = inputs_k = inputs_v = x, shape
         *     (..., length, in_features)). Draws: the `query`, `key` and `value` LinearGenerals
         *     (kernel (in_features, num_heads, head_dim), then bias (num_heads, head_dim) if use_bias,
         *     each; head_dim = qkv_features / num_heads), the `query_ln` and `key_ln` LayerNorms'
         *     scales (one key each) when normalize_qk, then `out` (kernel (num_heads, head_dim,
         *     out_features), then bias (out_features,)). With
         *     dropout_rate > 0 the attention weights get dropout: in Flax 0.11+ it holds
         *     `rngs.dropout.fork()`, forked after the parameter draws (see `rngs` in the echo); in
         *     0.10 it draws from `dropout` per pass. Parameter names are dotted: `query.kernel`.
         */
        MultiHeadAttentionLayer: {
            /** @constant */
            type: "multi_head_attention";
            name?: components["schemas"]["LayerName"];
            num_heads: number;
            in_features: number;
            /** @description Width of query, key and value (divisible by num_heads); default in_features. */
            qkv_features?: number | null;
            /** @description Output width; default in_features. */
            out_features?: number | null;
            /** @default 0 */
            dropout_rate?: number;
            /**
             * @description LayerNorm (scale only, no bias) of queries and keys per head.
             * @default false
             */
            normalize_qk?: boolean;
            /**
             * @description keyfold's shorthand for mask=nnx.make_causal_mask(x): position i attends to positions <= i.
             * @default false
             */
            causal?: boolean;
            /** @default true */
            use_bias?: boolean;
            /**
             * @description No attention dropout; a forward's `deterministic` overrides it.
             * @default false
             */
            deterministic?: boolean;
            /** @default lecun_normal */
            kernel_init?: components["schemas"]["Initializer"];
            /** @default zeros */
            bias_init?: components["schemas"]["Initializer"];
            /**
             * @description The out projection's kernel initializer; null means kernel_init (Flax's None).
             * @default null
             */
            out_kernel_init?: components["schemas"]["Initializer"] | null;
            /**
             * @description The out projection's bias initializer; null means bias_init.
             * @default null
             */
            out_bias_init?: components["schemas"]["Initializer"] | null;
            /**
             * @description Flax 0.11+: false forks no stream at construction (no key drawn); the attention dropout then draws from the session's `dropout` stream (else `default`) at each call, as `model(x, rngs=rngs)` does.
             * @default true
             */
            keep_rngs?: boolean;
        };
        /** @description nnx.Dropout: one key per non-deterministic call, from rng_collection (falling back to default) in Flax 0.10; from the stream it forked from there at construction in Flax 0.11+. */
        DropoutLayer: {
            /** @constant */
            type: "dropout";
            name?: components["schemas"]["LayerName"];
            rate: number;
            /** @default dropout */
            rng_collection?: components["schemas"]["StreamName"];
            /** @default [] */
            broadcast_dims?: components["schemas"]["Axis"][];
            /** @default false */
            deterministic?: boolean;
        };
        /** @description relu, tanh, sigmoid, silu, softplus (jax.nn / jnp functions, elementwise); no parameters, no keys. */
        ActivationLayer: {
            /** @enum {unknown} */
            type: "relu" | "tanh" | "sigmoid" | "silu" | "softplus";
            name?: components["schemas"]["LayerName"];
        };
        /** @description jax.nn.gelu; no parameters, no keys. */
        GeluLayer: {
            /** @constant */
            type: "gelu";
            name?: components["schemas"]["LayerName"];
            /**
             * @description The tanh approximation (Flax's default); false: the exact erf form.
             * @default true
             */
            approximate?: boolean;
        };
        /** @description jax.nn.softmax / jax.nn.log_softmax along axis; no parameters, no keys. */
        SoftmaxLayer: {
            /** @enum {unknown} */
            type: "softmax" | "log_softmax";
            name?: components["schemas"]["LayerName"];
            /** @default -1 */
            axis?: components["schemas"]["Axis"];
        };
        /** @description jax.nn.elu: x if x > 0 else alpha * (exp(x) - 1). */
        EluLayer: {
            /** @constant */
            type: "elu";
            name?: components["schemas"]["LayerName"];
            /** @default 1 */
            alpha?: number;
        };
        /** @description jax.nn.leaky_relu: x if x >= 0 else negative_slope * x. */
        LeakyReluLayer: {
            /** @constant */
            type: "leaky_relu";
            name?: components["schemas"]["LayerName"];
            /** @default 0.01 */
            negative_slope?: number;
        };
        /**
         * @description flax.linen's avg_pool / max_pool over the spatial axes of channels-last input (batch,
         *     *spatial, features); avg_pool counts padded cells (count_include_pad, Flax's default).
         *     No parameters, no keys.
         */
        PoolLayer: {
            /** @enum {unknown} */
            type: "avg_pool" | "max_pool";
            name?: components["schemas"]["LayerName"];
            /** @description The window; its length is the number of spatial axes. */
            window_shape: components["schemas"]["SpatialSizes"];
            /** @default 1 */
            strides?: components["schemas"]["SpatialSizes"];
            /** @default VALID */
            padding?: components["schemas"]["Padding"];
        };
        /** @description x.reshape(x.shape[0], -1): every axis but the batch axis into one. */
        FlattenLayer: {
            /** @constant */
            type: "flatten";
            name?: components["schemas"]["LayerName"];
        };
        /** @description x.reshape(x.shape[0], *shape): the batch axis is kept; one entry may be -1. */
        ReshapeLayer: {
            /** @constant */
            type: "reshape";
            name?: components["schemas"]["LayerName"];
            shape: number | number[];
        };
        /**
         * @description nnx.Sequential(*layers): each output feeds the next layer; no RNG of its own. Paths:
         *     `<name or index>.layers.<i or child name>`. `model.layers` itself is one.
         */
        SequentialLayer: {
            /** @constant */
            type: "sequential";
            name?: components["schemas"]["LayerName"];
            layers: components["schemas"]["Layer"][];
        };
        /** @description x + f(x) with f the layers in sequence (the output must have the input's shape); no RNG of its own. */
        ResidualLayer: {
            /** @constant */
            type: "residual";
            name?: components["schemas"]["LayerName"];
            layers: components["schemas"]["Layer"][];
        };
        /**
         * @description `count` blocks of `layers` built one after another, as a Python loop would (block 0's
         *     draws first), and applied in sequence. Each block has its own parameters; paths are
         *     `<name or index>.layers.<block>.<child>`, and a stream held by a child is listed once
         *     per block (`rngs` as a list). The echo shows `layers` once.
         */
        RepeatLayer: {
            /** @constant */
            type: "repeat";
            name?: components["schemas"]["LayerName"];
            count: number;
            layers: components["schemas"]["Layer"][];
        };
        /** @description A layer spec, by `type`; containers nest (at most 32 deep, 1024 layers in all). */
        Layer: components["schemas"]["LinearLayer"] | components["schemas"]["LinearGeneralLayer"] | components["schemas"]["EinsumLayer"] | components["schemas"]["EmbedLayer"] | components["schemas"]["ConvLayer"] | components["schemas"]["ConvTransposeLayer"] | components["schemas"]["LayerNormLayer"] | components["schemas"]["RMSNormLayer"] | components["schemas"]["BatchNormLayer"] | components["schemas"]["GroupNormLayer"] | components["schemas"]["MultiHeadAttentionLayer"] | components["schemas"]["DropoutLayer"] | components["schemas"]["ActivationLayer"] | components["schemas"]["GeluLayer"] | components["schemas"]["SoftmaxLayer"] | components["schemas"]["EluLayer"] | components["schemas"]["LeakyReluLayer"] | components["schemas"]["PoolLayer"] | components["schemas"]["FlattenLayer"] | components["schemas"]["ReshapeLayer"] | components["schemas"]["SequentialLayer"] | components["schemas"]["ResidualLayer"] | components["schemas"]["RepeatLayer"];
        /**
         * @description A layer as the daemon echoes it, every default filled in: sizes, axes and windows as
         *     lists, explicit padding as `[low, high]` pairs, qkv_features / out_features resolved,
         *     `name` only when given. Layers that hold a stream (Flax 0.11+) carry `rngs`.
         */
        ResolvedLayer: WithRequired<components["schemas"]["LinearLayer"], "use_bias" | "kernel_init" | "bias_init"> | WithRequired<components["schemas"]["LinearGeneralLayer"], "axis" | "use_bias" | "kernel_init" | "bias_init"> | WithRequired<components["schemas"]["EinsumLayer"], "bias_shape" | "kernel_init" | "bias_init"> | WithRequired<components["schemas"]["EmbedLayer"], "embedding_init"> | WithRequired<components["schemas"]["ConvLayer"], "strides" | "padding" | "input_dilation" | "kernel_dilation" | "feature_group_count" | "use_bias" | "kernel_init" | "bias_init"> | WithRequired<components["schemas"]["ConvTransposeLayer"], "strides" | "padding" | "kernel_dilation" | "use_bias" | "kernel_init" | "bias_init"> | WithRequired<components["schemas"]["LayerNormLayer"], "epsilon" | "use_bias" | "use_scale" | "scale_init" | "bias_init"> | WithRequired<components["schemas"]["RMSNormLayer"], "epsilon" | "use_scale" | "scale_init"> | WithRequired<components["schemas"]["BatchNormLayer"], "momentum" | "epsilon" | "use_bias" | "use_scale" | "use_running_average" | "scale_init" | "bias_init"> | WithRequired<components["schemas"]["GroupNormLayer"], "num_groups" | "group_size" | "epsilon" | "use_bias" | "use_scale" | "scale_init" | "bias_init"> | components["schemas"]["ResolvedMultiHeadAttentionLayer"] | components["schemas"]["ResolvedDropoutLayer"] | components["schemas"]["ActivationLayer"] | WithRequired<components["schemas"]["GeluLayer"], "approximate"> | WithRequired<components["schemas"]["SoftmaxLayer"], "axis"> | WithRequired<components["schemas"]["EluLayer"], "alpha"> | WithRequired<components["schemas"]["LeakyReluLayer"], "negative_slope"> | WithRequired<components["schemas"]["PoolLayer"], "strides" | "padding"> | components["schemas"]["FlattenLayer"] | components["schemas"]["ReshapeLayer"] | components["schemas"]["ResolvedContainerLayer"] | components["schemas"]["ResolvedRepeatLayer"];
        /** @description A dropout as the daemon echoes it; in a Flax 0.11+ session, with the stream it holds. */
        ResolvedDropoutLayer: {
            /** @constant */
            type: "dropout";
            name?: components["schemas"]["LayerName"];
            rate: number;
            rng_collection: components["schemas"]["StreamName"];
            broadcast_dims: components["schemas"]["Axis"][];
            deterministic: boolean;
            rngs?: components["schemas"]["HeldStreams"];
        };
        /** @description A multi_head_attention as the daemon echoes it; in a Flax 0.11+ session with dropout_rate > 0, with the stream it holds. */
        ResolvedMultiHeadAttentionLayer: {
            /** @constant */
            type: "multi_head_attention";
            name?: components["schemas"]["LayerName"];
            num_heads: number;
            in_features: number;
            qkv_features: number;
            out_features: number;
            dropout_rate: number;
            normalize_qk: boolean;
            causal: boolean;
            use_bias: boolean;
            deterministic: boolean;
            kernel_init: components["schemas"]["Initializer"];
            bias_init: components["schemas"]["Initializer"];
            out_kernel_init: components["schemas"]["Initializer"] | null;
            out_bias_init: components["schemas"]["Initializer"] | null;
            keep_rngs: boolean;
            rngs?: components["schemas"]["HeldStreams"];
        };
        /** @description A sequential or residual as the daemon echoes it, its layers echoed in turn. */
        ResolvedContainerLayer: {
            /** @enum {unknown} */
            type: "sequential" | "residual";
            name?: components["schemas"]["LayerName"];
            layers: components["schemas"]["ResolvedLayer"][];
        };
        /** @description A repeat as the daemon echoes it; `layers` once (held streams listed per block inside). */
        ResolvedRepeatLayer: {
            /** @constant */
            type: "repeat";
            name?: components["schemas"]["LayerName"];
            count: number;
            layers: components["schemas"]["ResolvedLayer"][];
        };
        /**
         * @description Flax 0.11+: the RngStream a layer forked at construction and draws from. `tag` is the
         *     name of the session stream it was forked from (`default` when rng_collection fell back
         *     to it); reseed matches it. `path` is its place in `nnx.state(model)`.
         */
        HeldStream: {
            key: components["schemas"]["Key"];
            count: components["schemas"]["Count"];
            tag: components["schemas"]["StreamName"];
            /**
             * @example layers.1.rngs
             * @example blocks.layers.0.attn.rngs
             */
            path: string;
        };
        /**
         * @description The stream(s) a layer holds: one HeldStream, or, for a layer inside a `repeat`, a
         *     list with one per block in block order (nested repeats: the blocks of the inner ones
         *     within each outer block), each with its own `path`.
         */
        HeldStreams: components["schemas"]["HeldStream"] | components["schemas"]["HeldStream"][];
        SessionOptions: {
            threefry?: components["schemas"]["Threefry"];
            /**
             * @description Flax semantics: "0.10" (Flax 0.9–0.10, the default), "0.11" or "0.12" (Flax ≥ 0.11:
             *     forked dropout streams, fold_in reseed; the two draw alike). A fork defaults to its
             *     parent's.
             * @default 0.10
             * @enum {string}
             */
            flax?: "0.10" | "0.11" | "0.12";
        };
        /**
         * @description Stream name -> seed or key, as `nnx.Rngs(default, **streams)`; `default` is the
         *     positional seed. At most 64 streams. Keyword streams keep the given order, `default`
         *     comes last.
         */
        RngsSeeds: {
            [key: string]: components["schemas"]["SeedOrKey"];
        };
        SessionCreate: {
            name: components["schemas"]["SessionName"];
            rngs?: components["schemas"]["RngsSeeds"];
            model?: {
                layers: components["schemas"]["Layer"][];
            };
            options?: components["schemas"]["SessionOptions"];
        };
        StreamState: {
            key: components["schemas"]["Key"];
            count: components["schemas"]["Count"];
        };
        Session: {
            name: components["schemas"]["SessionName"];
            /** @description Every real stream (fallback names are not streams) with its key and count. */
            rngs: {
                [key: string]: components["schemas"]["StreamState"];
            };
            model: null | {
                /**
                 * @description The tree as given, every default filled in (ResolvedLayer); in a Flax 0.11+
                 *     session each layer that holds a stream carries it as `rngs`.
                 */
                layers: components["schemas"]["ResolvedLayer"][];
                /**
                 * @description One entry per node of the expanded tree in preorder (a container, then its
                 *     children; a `repeat`'s children once per block): parameter name -> shape
                 *     and dtype, `{}` for nodes without parameters. Names of sub-modules' parameters
                 *     are dotted (`query.kernel`); batch statistics are not here (see `variables`).
                 */
                params: {
                    [key: string]: components["schemas"]["ParamSpec"];
                }[];
                /**
                 * @description Every variable of `nnx.state(model)` by dotted path (`layers.0.kernel`,
                 *     `blocks.layers.1.attn.query.kernel`, `layers.2.mean`): the Params first, in
                 *     the order of `params`, then the BatchStats (`batch_norm`'s `mean` and `var`).
                 *     These paths are the keys of `GET .../params?format=state` (nested) and the
                 *     tensor names of `?format=safetensors`. Held RNG streams are not variables
                 *     here; they are in `layers` (`rngs`).
                 */
                variables: {
                    [key: string]: components["schemas"]["VariableSpec"];
                };
            };
            options: {
                threefry: components["schemas"]["Threefry"];
                /** @enum {string} */
                flax: "0.10" | "0.11" | "0.12";
            };
        };
        SessionList: {
            sessions: components["schemas"]["SessionName"][];
            /** @description Present when names follow this page; pass it as page_token. */
            next_page_token?: string;
        };
        KeysRequest: {
            /** @default default */
            stream?: components["schemas"]["StreamName"];
            /**
             * @description At most --max-elements (413).
             * @default 1
             */
            n?: number;
        };
        KeysResponse: {
            stream: components["schemas"]["StreamName"];
            /** @description The stream that served the draw (`default` on fallback). */
            source: components["schemas"]["StreamName"];
            counts: components["schemas"]["Count"][];
            keys: components["schemas"]["Key"][];
        };
        /**
         * @description `distribution` selects the sampler (every operation `GET /v1/random` lists with
         *     `session_sample`; `permutation` is stateless only); its parameters are those of the
         *     stateless operation of that name (without `key` and `threefry`: the key comes from the
         *     stream, the mode from the session), with the same broadcasting. Or `initializer` (instead of `distribution`): Flax 0.12's
         *     keyless initializers, `rngs.params.lecun_normal()(shape)` — one key is drawn from the
         *     stream when called and the initializer of that name (aliases allowed, with the
         *     parameters of `POST /v1/init/{initializer}` and `shape` required) is applied with it;
         *     `variance_scaling`'s own `distribution` parameter keeps its meaning there.
         */
        SampleRequest: {
            stream?: components["schemas"]["StreamName"];
            initializer: components["schemas"]["PlainInitializerName"];
            shape: components["schemas"]["Shape"];
        } | {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            initializer: "normal";
            shape: components["schemas"]["Shape"];
            stddev?: components["schemas"]["StddevParam"];
        } | {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            initializer: "uniform";
            shape: components["schemas"]["Shape"];
            scale?: components["schemas"]["ScaleParam"];
        } | {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            initializer: "truncated_normal";
            shape: components["schemas"]["Shape"];
            stddev?: components["schemas"]["StddevParam"];
            /** @default -2 */
            lower?: number;
            /** @default 2 */
            upper?: number;
        } | {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            initializer: "constant";
            shape: components["schemas"]["Shape"];
            /** @default 0 */
            value?: number;
        } | {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            initializer: "variance_scaling";
            shape: components["schemas"]["Shape"];
            /** @default 1 */
            scale?: number;
            /** @default fan_in */
            mode?: components["schemas"]["FanMode"];
            /** @default truncated_normal */
            distribution?: components["schemas"]["Distribution"];
            /** @default -2 */
            in_axis?: components["schemas"]["Axis"];
            /** @default -1 */
            out_axis?: components["schemas"]["Axis"];
        } | components["schemas"]["SampleDistribution"];
        /** @description The sample's Tensor members plus the key used, the count it was drawn at, the stream asked for and the serving stream. */
        SampleResponse: {
            shape: components["schemas"]["Shape"];
            dtype: components["schemas"]["DType"];
            data: unknown[];
            key: components["schemas"]["Key"];
            count: components["schemas"]["Count"];
            stream: components["schemas"]["StreamName"];
            source: components["schemas"]["StreamName"];
        } & components["schemas"]["TensorFields"];
        ForwardRequest: {
            x: components["schemas"]["InputTensor"];
            /** @description Overrides every dropout layer (true = eval, false = train); absent, each layer's own attribute. */
            deterministic?: boolean;
        };
        ForwardResponse: {
            y: components["schemas"]["Float32Tensor"];
        };
        ReseedRequest: {
            /** @description Stream name (0.11+ model streams, by tag) -> seed or key (non-empty). */
            streams: {
                [key: string]: components["schemas"]["SeedOrKey"];
            };
            /**
             * @description What nnx.reseed is applied to: the model, the session's own Rngs, or both (model first). The same in a 0.10 session.
             * @default all
             * @enum {string}
             */
            target?: "all" | "model" | "rngs";
            /**
             * @description Flax 0.11+ reseed policy (400 in a 0.10 session); every key keyfold holds is a scalar, so both act alike.
             * @default scalars_only
             * @enum {string}
             */
            policy?: "scalars_only" | "match_shape";
        };
        ForkRequest: {
            name: components["schemas"]["SessionName"];
            /** @description The parent's streams to fork, each once (absent or empty - every stream). */
            streams?: components["schemas"]["StreamName"][];
            model?: {
                layers: components["schemas"]["Layer"][];
            };
            options?: components["schemas"]["SessionOptions"];
        };
        /**
         * @description nnx.state(model): every Param and BatchStat nested by path (`{"layers": {"0": {"kernel":
         *     Tensor, "bias": Tensor}}, "head": {...}}`: list indices as strings, names where the
         *     layers have them, sub-modules as further objects, e.g. `attn` → `query` → `kernel`);
         *     layers without variables are absent. The leaves are the entries of the Session's
         *     `model.variables`.
         */
        ParamsState: {
            [key: string]: components["schemas"]["ParamsStateNode"];
        };
        /** @description A tensor (a leaf) or an object of further nodes. */
        ParamsStateNode: components["schemas"]["Float32Tensor"] | {
            [key: string]: components["schemas"]["ParamsStateNode"];
        };
        ParamsResponse: {
            /** @description One object per node of the expanded tree in preorder, as the Session's `model.params`. */
            params: {
                [key: string]: components["schemas"]["Float32Tensor"];
            }[];
        };
        KeyResponse: {
            key: components["schemas"]["Key"];
        };
        SplitResponse: {
            keys: components["schemas"]["Key"][];
            shape: components["schemas"]["Shape"];
        };
        /**
         * @description A float parameter: a number, or an array broadcast against the shape as in JAX (NumPy's
         *     rules): a rectangular nested list of numbers or a Tensor object. Values are rounded to
         *     float32 and must be finite then, unless the parameter says otherwise.
         */
        FloatParam: number | components["schemas"]["NestedNumbers"][] | {
            shape: components["schemas"]["Shape"];
            /**
             * @default float32
             * @enum {string}
             */
            dtype?: "float32" | "int32";
            data: number[];
        };
        /** @description An integer parameter in int32, or an array of them broadcast against the shape. */
        Int32Param: components["schemas"]["Int32"] | components["schemas"]["NestedInt32"][] | {
            shape: components["schemas"]["Shape"];
            /**
             * @default int32
             * @constant
             */
            dtype?: "int32";
            data: components["schemas"]["Int32"][];
        };
        NestedInt32: number | number[] | number[][] | number[][][] | number[][][][] | number[][][][][] | number[][][][][][] | number[][][][][][][] | number[][][][][][][][];
        Int32: number;
        /** @description A parameter of an operation, as `GET /v1/random` lists it. */
        RandomParam: {
            /** @description JAX's name (the body member). */
            name: string;
            /** @enum {string} */
            kind: "key" | "seed" | "shape" | "int_or_shape" | "float" | "int" | "enum" | "dtype" | "bool" | "axis";
            required: boolean;
            /** @description JAX's default; null when required or when JAX's default is None (derived: see the description). */
            default: unknown;
            /**
             * @description The element dtype of float and int parameters, else null.
             * @enum {unknown}
             */
            dtype: "float32" | "int32" | "uint32" | "int64" | null;
            /** @description An array is accepted and broadcast against the shape. */
            array: boolean;
            /** @description float: values may round to an infinity. */
            infinite?: boolean;
            min?: number;
            max?: number;
            /** @description enum, dtype: the accepted names; int: the only values accepted. */
            values?: (string | number)[];
            description: string;
        };
        RandomOperation: {
            name: string;
            /** @description The JAX call it computes. */
            summary: string;
            /** @description Offered as POST /v1/random/{name}. */
            random: boolean;
            /** @description Offered as a distribution of POST /v1/sessions/{name}/sample. */
            session_sample: boolean;
            /** @description Answers one tensor (JSON or .npy). */
            tensor: boolean;
            /** @description The output's dtype with the default parameters (null for the key operations). */
            dtype: components["schemas"]["DType"] | null;
            /**
             * @description How the output's shape follows from `shape` and the array parameters (P, the
             *     broadcast of their shapes), as the sampler's code in JAX has it: `scalar` (`shape`,
             *     default `()`, P must broadcast to it), `broadcast` (likewise, absent it is P: JAX's
             *     None), `concat` (`shape` + P), `outer` (the draw has `shape`; the output is the
             *     broadcast of `shape` and P), `to` (absent it is P; given, each array parameter must
             *     broadcast to it one way, jnp.broadcast_to: poisson) or `own` (no shape parameter).
             * @enum {string}
             */
            shape: "scalar" | "broadcast" | "concat" | "outer" | "to" | "own";
            params: components["schemas"]["RandomParam"][];
        };
        RandomOperationList: {
            operations: components["schemas"]["RandomOperation"][];
        };
        RandomKeyRequest: {
            /** @description An integer (signed 64-bit; key(seed) = [0, seed mod 2^32] as JAX with x64 off) or a key's data [hi, lo], returned as is. */
            seed: components["schemas"]["SeedOrKey"];
            threefry?: components["schemas"]["Threefry"];
        };
        RandomFoldInRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The integer folded into the key (uint32). */
            data: number;
            threefry?: components["schemas"]["Threefry"];
        };
        RandomSplitRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The number of keys, or a shape of keys (at most --max-elements).
             * @default 2
             */
            num?: number | components["schemas"]["Shape"];
            threefry?: components["schemas"]["Threefry"];
        };
        RandomBitsRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype; uint64 draws 64 bits per element as JAX does with x64 on (elements written as decimal strings).
             * @default uint32
             * @enum {string}
             */
            dtype?: "uint8" | "uint16" | "uint32" | "uint64";
            /**
             * @description keyfold's spelling of the dtype: 8, 16, 32 or 64 (uint8 ... uint64); with dtype it must agree.
             * @default 32
             * @enum {integer}
             */
            bit_width?: 8 | 16 | 32 | 64;
            threefry?: components["schemas"]["Threefry"];
        };
        RandomUniformRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description The inclusive lower bound, a number or an array broadcast to the shape; finite as float32.
             * @default 0
             */
            minval?: components["schemas"]["FloatParam"];
            /**
             * @description The exclusive upper bound, likewise. Where minval >= maxval the element is minval, as in JAX.
             * @default 1
             */
            maxval?: components["schemas"]["FloatParam"];
            threefry?: components["schemas"]["Threefry"];
        };
        RandomNormalRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomTruncatedNormalRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The lower bound, a number or an array; a value beyond the float32 range rounds to an infinity (a one-sided truncation). */
            lower: components["schemas"]["FloatParam"];
            /** @description The upper bound, likewise. Where lower >= upper JAX does not raise: the element is nextafter(upper, -inf). */
            upper: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomBernoulliRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The probability of true, a number or an array; values outside [0, 1] give all false or all true. An integer is taken as a float (JAX raises TypeError for a Python int).
             * @default 0.5
             */
            p?: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description 'low': uniform < p; 'high': two uniform draws, u2 * 2^-23 < p - u1, correct for p below ~1e-7 (twice the bits).
             * @default low
             * @enum {string}
             */
            mode?: "low" | "high";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomRandintRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The output shape; minval and maxval must broadcast to exactly it. JAX requires it; absent, keyfold uses the broadcast of the bounds' shapes. */
            shape?: components["schemas"]["Shape"];
            /** @description The inclusive lower bound, an integer or an array of them, in int32 (JAX with x64 off raises OverflowError beyond it). */
            minval: components["schemas"]["Int32Param"];
            /** @description The exclusive upper bound, likewise. Where minval >= maxval the element is minval, as in JAX. */
            maxval: components["schemas"]["Int32Param"];
            /**
             * @description The output dtype: int32 (JAX's default with x64 off).
             * @default int32
             * @enum {string}
             */
            dtype?: "int32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomPermutationRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description jax.random.permutation(key, n) for an integer n (JAX's `x`): a permutation of 0..n-1, shape [n]; at most --max-elements (413) and 2147483647 (400: JAX sorts int32 indices). */
            n: number;
            threefry?: components["schemas"]["Threefry"];
        };
        RandomExponentialRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomGumbelRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description JAX's None is 'low' (jax_high_dynamic_range_gumbel off): -log(-log(u)); 'high': two uniforms for ~46 bits near 0; 'highest': 64 random bits as a float in (0, 1). 'high' and 'highest' draw twice the bits.
             * @default low
             * @enum {string}
             */
            mode?: "low" | "high" | "highest";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomLaplaceRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomLogisticRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomCauchyRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomParetoRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The shape parameter b (> 0 for a Pareto distribution; JAX does not check), a number or an array; finite as float32. */
            b: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomWeibullMinRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The scale, a number or an array; finite as float32. */
            scale: components["schemas"]["FloatParam"];
            /** @description The concentration (shape) parameter, likewise. */
            concentration: components["schemas"]["FloatParam"];
            /**
             * @description The shape of the uniform draw (default (), a scalar). JAX does not check it: the output is its broadcast with the parameters' shapes, elements that differ only along dimensions where it is 1 (or absent) sharing a draw.
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomRayleighRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The scale, a number or an array; finite as float32. */
            scale: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomGeometricRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The probability of success of one trial, a number or an array; finite as float32 (JAX does not check 0 < p < 1). */
            p: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: int32 (JAX's default with x64 off).
             * @default int32
             * @enum {string}
             */
            dtype?: "int32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomTriangularRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The lower limit, a number or an array; finite as float32. */
            left: components["schemas"]["FloatParam"];
            /** @description The peak (left <= mode <= right; JAX does not check), likewise. */
            mode: components["schemas"]["FloatParam"];
            /** @description The upper limit, likewise. */
            right: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomLognormalRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The standard deviation of the underlying normal, a number or an array; finite as float32.
             * @default 1
             */
            sigma?: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomMaxwellRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomDoubleSidedMaxwellRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The location, a number or an array; finite as float32. */
            loc: components["schemas"]["FloatParam"];
            /** @description The scale, likewise. */
            scale: components["schemas"]["FloatParam"];
            /**
             * @description The leading dimensions (default ()): the output's shape is shape + the broadcast of the parameters' shapes, () counting as that broadcast shape (so loc of shape (3,) gives (3, 3)), as JAX computes it.
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomRademacherRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: int32 (JAX's default with x64 off; JAX takes any dtype, keyfold computes int32).
             * @default int32
             * @enum {string}
             */
            dtype?: "int32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomGammaRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The shape parameter a, a number or an array; finite as float32 (a = 0 gives 0, a negative a NaN; JAX does not check). */
            a: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomLoggammaRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The shape parameter a, likewise (log(0) = -inf for a = 0). */
            a: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomBetaRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The first shape parameter, a number or an array; finite as float32. */
            a: components["schemas"]["FloatParam"];
            /** @description The second shape parameter, likewise. */
            b: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomChisquareRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The degrees of freedom, a number or an array; finite as float32. */
            df: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomTRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The degrees of freedom, a number or an array; finite as float32. */
            df: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomFRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The numerator's degrees of freedom, a number or an array; finite as float32. */
            dfnum: components["schemas"]["FloatParam"];
            /** @description The denominator's degrees of freedom, likewise. */
            dfden: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomGeneralizedNormalRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The exponent p of exp(-|x|^p) (p = 2: normal with variance 1/2), a number or an array broadcast to the shape; finite as float32. */
            p: components["schemas"]["FloatParam"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomDirichletRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The concentrations along the last axis (k of them; ndim >= 1), finite as float32. keyfold computes one vector for every row: the leading dimensions of alpha must be 1 (JAX also takes one vector per batch element). */
            alpha: components["schemas"]["FloatParam"];
            /** @description The batch shape; the output is shape + (k,). alpha's leading dimensions must broadcast to exactly it (JAX's check and text). Absent (JAX's None): alpha's leading dimensions. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomBallRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The dimension of the ball: the output's last axis. */
            d: number;
            /**
             * @description The p of the Lp ball, one number (finite as float32).
             * @default 2
             */
            p?: number;
            /**
             * @description The batch shape (default ()); the output is shape + (d,).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomWaldRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The mean, a number or an array; finite as float32 (JAX does not check > 0). */
            mean: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomPoissonRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The rate, a number or an array; finite as float32 (0 gives 0, a negative rate -1, as JAX's loops do). */
            lam: components["schemas"]["FloatParam"];
            /** @description The output shape; lam must broadcast to it. Absent (JAX's None): lam's shape. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: int32 (JAX's default with x64 off).
             * @default int32
             * @enum {string}
             */
            dtype?: "int32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomBinomialRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The number of trials, a number or an array; finite as float32, floored (NaN for a negative count). */
            n: components["schemas"]["FloatParam"];
            /** @description The probability of success, likewise (NaN outside [0, 1]). */
            p: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomCategoricalRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description Unnormalized log probabilities, an array (at least one dimension) with the categories along `axis`; a value beyond the float32 range is an infinity (-1e39 masks a category). */
            logits: components["schemas"]["FloatParam"];
            /**
             * @description The axis of the categories (negative counts from the end).
             * @default -1
             */
            axis?: number;
            /** @description The output shape: leading sample dimensions followed by the logits' batch shape (logits without `axis`), to which it must broadcast. Absent (JAX's None): the batch shape. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description false: the leading sample dimensions (their product at most the number of categories) are drawn without replacement (gumbel top-k); the rest of the shape must then be the batch shape itself.
             * @default true
             */
            replace?: boolean;
            /**
             * @description The gumbel draws' mode (see gumbel): JAX's None is 'low'.
             * @default low
             * @enum {string}
             */
            mode?: "low" | "high" | "highest";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomChoiceRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description A number n (choose from 0..int(n)-1; int32 indices) or an array whose slices along `axis` are chosen: int32 when every element is an integer (or an int32 Tensor), float32 otherwise, as jnp.asarray types it. */
            a: components["schemas"]["FloatParam"];
            /**
             * @description The number of draws as a shape (default (), one draw). The output is shape for an integer a, a.shape[:axis] + shape + a.shape[axis+1:] for an array.
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description false: no element drawn twice (at most as many draws as inputs).
             * @default true
             */
            replace?: boolean;
            /** @description Probabilities of the inputs, a vector of a.shape[axis] values (need not sum to 1). Absent (JAX's None): uniform. */
            p?: components["schemas"]["FloatParam"];
            /**
             * @description The axis of an array a along which to choose.
             * @default 0
             */
            axis?: number;
            /**
             * @description The gumbel draws' mode (see gumbel): JAX's None is 'low'.
             * @default low
             * @enum {string}
             */
            mode?: "low" | "high" | "highest";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomMultinomialRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The number of trials, a number or an array broadcast to shape[:-1] (jnp.broadcast_to); finite as float32. */
            n: components["schemas"]["FloatParam"];
            /** @description The category probabilities along the last axis (need not sum to 1), broadcast to shape. */
            p: components["schemas"]["FloatParam"];
            /** @description The output shape (batch..., categories). Absent (JAX's None): p's shape. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomMultivariateNormalRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The mean vector, an array of shape (..., n): its leading axes are a batch shape broadcast with cov's and shape. */
            mean: components["schemas"]["FloatParam"];
            /** @description The covariance matrix, an array of shape (..., n, n), positive definite (JAX factors (cov + cov^T) / 2; one that is not gives NaN rows, as JAX does). */
            cov: components["schemas"]["FloatParam"];
            /** @description The batch shape (the output is shape + (n,)); mean's and cov's batch shapes must broadcast to it. Absent (JAX's None): their broadcast. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description The factorisation of cov: keyfold computes 'cholesky' (JAX's default) only; 'svd' and 'eigh' are 400.
             * @default cholesky
             * @enum {string}
             */
            method?: "cholesky" | "svd" | "eigh";
            threefry?: components["schemas"]["Threefry"];
        };
        RandomOrthogonalRequest: {
            /** @description The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the stream instead. */
            key: components["schemas"]["Key"];
            /** @description The number of rows. */
            n: number;
            /**
             * @description The batch shape (default ()): the output is shape + (n, m).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /** @description The number of columns. Absent (JAX's None): n. Rows are orthonormal when n < m, columns otherwise. */
            m?: number;
            threefry?: components["schemas"]["Threefry"];
        };
        SampleBitsRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "bits";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype; uint64 draws 64 bits per element as JAX does with x64 on (elements written as decimal strings).
             * @default uint32
             * @enum {string}
             */
            dtype?: "uint8" | "uint16" | "uint32" | "uint64";
            /**
             * @description keyfold's spelling of the dtype: 8, 16, 32 or 64 (uint8 ... uint64); with dtype it must agree.
             * @default 32
             * @enum {integer}
             */
            bit_width?: 8 | 16 | 32 | 64;
        };
        SampleUniformRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "uniform";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description The inclusive lower bound, a number or an array broadcast to the shape; finite as float32.
             * @default 0
             */
            minval?: components["schemas"]["FloatParam"];
            /**
             * @description The exclusive upper bound, likewise. Where minval >= maxval the element is minval, as in JAX.
             * @default 1
             */
            maxval?: components["schemas"]["FloatParam"];
        };
        SampleNormalRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "normal";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleTruncatedNormalRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "truncated_normal";
            /** @description The lower bound, a number or an array; a value beyond the float32 range rounds to an infinity (a one-sided truncation). */
            lower: components["schemas"]["FloatParam"];
            /** @description The upper bound, likewise. Where lower >= upper JAX does not raise: the element is nextafter(upper, -inf). */
            upper: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleBernoulliRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "bernoulli";
            /**
             * @description The probability of true, a number or an array; values outside [0, 1] give all false or all true. An integer is taken as a float (JAX raises TypeError for a Python int).
             * @default 0.5
             */
            p?: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description 'low': uniform < p; 'high': two uniform draws, u2 * 2^-23 < p - u1, correct for p below ~1e-7 (twice the bits).
             * @default low
             * @enum {string}
             */
            mode?: "low" | "high";
        };
        SampleRandintRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "randint";
            /** @description The output shape; minval and maxval must broadcast to exactly it. JAX requires it; absent, keyfold uses the broadcast of the bounds' shapes. */
            shape?: components["schemas"]["Shape"];
            /** @description The inclusive lower bound, an integer or an array of them, in int32 (JAX with x64 off raises OverflowError beyond it). */
            minval: components["schemas"]["Int32Param"];
            /** @description The exclusive upper bound, likewise. Where minval >= maxval the element is minval, as in JAX. */
            maxval: components["schemas"]["Int32Param"];
            /**
             * @description The output dtype: int32 (JAX's default with x64 off).
             * @default int32
             * @enum {string}
             */
            dtype?: "int32";
        };
        SamplePermutationRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "permutation";
            /** @description jax.random.permutation(key, n) for an integer n (JAX's `x`): a permutation of 0..n-1, shape [n]; at most --max-elements (413) and 2147483647 (400: JAX sorts int32 indices). */
            n: number;
        };
        SampleExponentialRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "exponential";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleGumbelRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "gumbel";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description JAX's None is 'low' (jax_high_dynamic_range_gumbel off): -log(-log(u)); 'high': two uniforms for ~46 bits near 0; 'highest': 64 random bits as a float in (0, 1). 'high' and 'highest' draw twice the bits.
             * @default low
             * @enum {string}
             */
            mode?: "low" | "high" | "highest";
        };
        SampleLaplaceRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "laplace";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleLogisticRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "logistic";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleCauchyRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "cauchy";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleParetoRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "pareto";
            /** @description The shape parameter b (> 0 for a Pareto distribution; JAX does not check), a number or an array; finite as float32. */
            b: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleWeibullMinRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "weibull_min";
            /** @description The scale, a number or an array; finite as float32. */
            scale: components["schemas"]["FloatParam"];
            /** @description The concentration (shape) parameter, likewise. */
            concentration: components["schemas"]["FloatParam"];
            /**
             * @description The shape of the uniform draw (default (), a scalar). JAX does not check it: the output is its broadcast with the parameters' shapes, elements that differ only along dimensions where it is 1 (or absent) sharing a draw.
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleRayleighRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "rayleigh";
            /** @description The scale, a number or an array; finite as float32. */
            scale: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleGeometricRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "geometric";
            /** @description The probability of success of one trial, a number or an array; finite as float32 (JAX does not check 0 < p < 1). */
            p: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: int32 (JAX's default with x64 off).
             * @default int32
             * @enum {string}
             */
            dtype?: "int32";
        };
        SampleTriangularRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "triangular";
            /** @description The lower limit, a number or an array; finite as float32. */
            left: components["schemas"]["FloatParam"];
            /** @description The peak (left <= mode <= right; JAX does not check), likewise. */
            mode: components["schemas"]["FloatParam"];
            /** @description The upper limit, likewise. */
            right: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleLognormalRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "lognormal";
            /**
             * @description The standard deviation of the underlying normal, a number or an array; finite as float32.
             * @default 1
             */
            sigma?: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleMaxwellRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "maxwell";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleDoubleSidedMaxwellRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "double_sided_maxwell";
            /** @description The location, a number or an array; finite as float32. */
            loc: components["schemas"]["FloatParam"];
            /** @description The scale, likewise. */
            scale: components["schemas"]["FloatParam"];
            /**
             * @description The leading dimensions (default ()): the output's shape is shape + the broadcast of the parameters' shapes, () counting as that broadcast shape (so loc of shape (3,) gives (3, 3)), as JAX computes it.
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleRademacherRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "rademacher";
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: int32 (JAX's default with x64 off; JAX takes any dtype, keyfold computes int32).
             * @default int32
             * @enum {string}
             */
            dtype?: "int32";
        };
        SampleGammaRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "gamma";
            /** @description The shape parameter a, a number or an array; finite as float32 (a = 0 gives 0, a negative a NaN; JAX does not check). */
            a: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleLoggammaRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "loggamma";
            /** @description The shape parameter a, likewise (log(0) = -inf for a = 0). */
            a: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleBetaRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "beta";
            /** @description The first shape parameter, a number or an array; finite as float32. */
            a: components["schemas"]["FloatParam"];
            /** @description The second shape parameter, likewise. */
            b: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleChisquareRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "chisquare";
            /** @description The degrees of freedom, a number or an array; finite as float32. */
            df: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleTRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "t";
            /** @description The degrees of freedom, a number or an array; finite as float32. */
            df: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleFRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "f";
            /** @description The numerator's degrees of freedom, a number or an array; finite as float32. */
            dfnum: components["schemas"]["FloatParam"];
            /** @description The denominator's degrees of freedom, likewise. */
            dfden: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleGeneralizedNormalRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "generalized_normal";
            /** @description The exponent p of exp(-|x|^p) (p = 2: normal with variance 1/2), a number or an array broadcast to the shape; finite as float32. */
            p: components["schemas"]["FloatParam"];
            /**
             * @description The output shape (default (), a scalar). Array parameters must broadcast to it (NumPy's rules).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleDirichletRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "dirichlet";
            /** @description The concentrations along the last axis (k of them; ndim >= 1), finite as float32. keyfold computes one vector for every row: the leading dimensions of alpha must be 1 (JAX also takes one vector per batch element). */
            alpha: components["schemas"]["FloatParam"];
            /** @description The batch shape; the output is shape + (k,). alpha's leading dimensions must broadcast to exactly it (JAX's check and text). Absent (JAX's None): alpha's leading dimensions. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleBallRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "ball";
            /** @description The dimension of the ball: the output's last axis. */
            d: number;
            /**
             * @description The p of the Lp ball, one number (finite as float32).
             * @default 2
             */
            p?: number;
            /**
             * @description The batch shape (default ()); the output is shape + (d,).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax 0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax 0.10, 'intel-nr2' for 0.11 and 0.12).
             * @default intel-nr2
             * @enum {string}
             */
            rsqrt?: "intel-nr2" | "sqrt-div";
        };
        SampleWaldRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "wald";
            /** @description The mean, a number or an array; finite as float32 (JAX does not check > 0). */
            mean: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SamplePoissonRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "poisson";
            /** @description The rate, a number or an array; finite as float32 (0 gives 0, a negative rate -1, as JAX's loops do). */
            lam: components["schemas"]["FloatParam"];
            /** @description The output shape; lam must broadcast to it. Absent (JAX's None): lam's shape. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: int32 (JAX's default with x64 off).
             * @default int32
             * @enum {string}
             */
            dtype?: "int32";
        };
        SampleBinomialRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "binomial";
            /** @description The number of trials, a number or an array; finite as float32, floored (NaN for a negative count). */
            n: components["schemas"]["FloatParam"];
            /** @description The probability of success, likewise (NaN outside [0, 1]). */
            p: components["schemas"]["FloatParam"];
            /** @description The output shape; the array parameters must broadcast to exactly it. Absent (JAX's None): the broadcast of their shapes. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleCategoricalRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "categorical";
            /** @description Unnormalized log probabilities, an array (at least one dimension) with the categories along `axis`; a value beyond the float32 range is an infinity (-1e39 masks a category). */
            logits: components["schemas"]["FloatParam"];
            /**
             * @description The axis of the categories (negative counts from the end).
             * @default -1
             */
            axis?: number;
            /** @description The output shape: leading sample dimensions followed by the logits' batch shape (logits without `axis`), to which it must broadcast. Absent (JAX's None): the batch shape. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description false: the leading sample dimensions (their product at most the number of categories) are drawn without replacement (gumbel top-k); the rest of the shape must then be the batch shape itself.
             * @default true
             */
            replace?: boolean;
            /**
             * @description The gumbel draws' mode (see gumbel): JAX's None is 'low'.
             * @default low
             * @enum {string}
             */
            mode?: "low" | "high" | "highest";
        };
        SampleChoiceRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "choice";
            /** @description A number n (choose from 0..int(n)-1; int32 indices) or an array whose slices along `axis` are chosen: int32 when every element is an integer (or an int32 Tensor), float32 otherwise, as jnp.asarray types it. */
            a: components["schemas"]["FloatParam"];
            /**
             * @description The number of draws as a shape (default (), one draw). The output is shape for an integer a, a.shape[:axis] + shape + a.shape[axis+1:] for an array.
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description false: no element drawn twice (at most as many draws as inputs).
             * @default true
             */
            replace?: boolean;
            /** @description Probabilities of the inputs, a vector of a.shape[axis] values (need not sum to 1). Absent (JAX's None): uniform. */
            p?: components["schemas"]["FloatParam"];
            /**
             * @description The axis of an array a along which to choose.
             * @default 0
             */
            axis?: number;
            /**
             * @description The gumbel draws' mode (see gumbel): JAX's None is 'low'.
             * @default low
             * @enum {string}
             */
            mode?: "low" | "high" | "highest";
        };
        SampleMultinomialRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "multinomial";
            /** @description The number of trials, a number or an array broadcast to shape[:-1] (jnp.broadcast_to); finite as float32. */
            n: components["schemas"]["FloatParam"];
            /** @description The category probabilities along the last axis (need not sum to 1), broadcast to shape. */
            p: components["schemas"]["FloatParam"];
            /** @description The output shape (batch..., categories). Absent (JAX's None): p's shape. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
        };
        SampleMultivariateNormalRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "multivariate_normal";
            /** @description The mean vector, an array of shape (..., n): its leading axes are a batch shape broadcast with cov's and shape. */
            mean: components["schemas"]["FloatParam"];
            /** @description The covariance matrix, an array of shape (..., n, n), positive definite (JAX factors (cov + cov^T) / 2; one that is not gives NaN rows, as JAX does). */
            cov: components["schemas"]["FloatParam"];
            /** @description The batch shape (the output is shape + (n,)); mean's and cov's batch shapes must broadcast to it. Absent (JAX's None): their broadcast. */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /**
             * @description The factorisation of cov: keyfold computes 'cholesky' (JAX's default) only; 'svd' and 'eigh' are 400.
             * @default cholesky
             * @enum {string}
             */
            method?: "cholesky" | "svd" | "eigh";
        };
        SampleOrthogonalRequest: {
            stream?: components["schemas"]["StreamName"];
            /** @constant */
            distribution: "orthogonal";
            /** @description The number of rows. */
            n: number;
            /**
             * @description The batch shape (default ()): the output is shape + (n, m).
             * @default []
             */
            shape?: components["schemas"]["Shape"];
            /**
             * @description The output dtype: float32 (JAX's default with x64 off).
             * @default float32
             * @enum {string}
             */
            dtype?: "float32";
            /** @description The number of columns. Absent (JAX's None): n. Rows are orthonormal when n < m, columns otherwise. */
            m?: number;
        };
        /** @description A `distribution` of POST /v1/sessions/{name}/sample with its parameters: those of POST /v1/random/{distribution} but the key, which is drawn from the stream. */
        SampleDistribution: components["schemas"]["SampleBitsRequest"] | components["schemas"]["SampleUniformRequest"] | components["schemas"]["SampleNormalRequest"] | components["schemas"]["SampleTruncatedNormalRequest"] | components["schemas"]["SampleBernoulliRequest"] | components["schemas"]["SampleRandintRequest"] | components["schemas"]["SamplePermutationRequest"] | components["schemas"]["SampleExponentialRequest"] | components["schemas"]["SampleGumbelRequest"] | components["schemas"]["SampleLaplaceRequest"] | components["schemas"]["SampleLogisticRequest"] | components["schemas"]["SampleCauchyRequest"] | components["schemas"]["SampleParetoRequest"] | components["schemas"]["SampleWeibullMinRequest"] | components["schemas"]["SampleRayleighRequest"] | components["schemas"]["SampleGeometricRequest"] | components["schemas"]["SampleTriangularRequest"] | components["schemas"]["SampleLognormalRequest"] | components["schemas"]["SampleMaxwellRequest"] | components["schemas"]["SampleDoubleSidedMaxwellRequest"] | components["schemas"]["SampleRademacherRequest"] | components["schemas"]["SampleGammaRequest"] | components["schemas"]["SampleLoggammaRequest"] | components["schemas"]["SampleBetaRequest"] | components["schemas"]["SampleChisquareRequest"] | components["schemas"]["SampleTRequest"] | components["schemas"]["SampleFRequest"] | components["schemas"]["SampleGeneralizedNormalRequest"] | components["schemas"]["SampleDirichletRequest"] | components["schemas"]["SampleBallRequest"] | components["schemas"]["SampleWaldRequest"] | components["schemas"]["SamplePoissonRequest"] | components["schemas"]["SampleBinomialRequest"] | components["schemas"]["SampleCategoricalRequest"] | components["schemas"]["SampleChoiceRequest"] | components["schemas"]["SampleMultinomialRequest"] | components["schemas"]["SampleMultivariateNormalRequest"] | components["schemas"]["SampleOrthogonalRequest"];
        InitRequest: {
            key: components["schemas"]["Key"];
            shape: components["schemas"]["Shape"];
            threefry?: components["schemas"]["Threefry"];
        };
        InitNormalRequest: {
            key: components["schemas"]["Key"];
            shape: components["schemas"]["Shape"];
            threefry?: components["schemas"]["Threefry"];
            stddev?: components["schemas"]["StddevParam"];
        };
        InitUniformRequest: {
            key: components["schemas"]["Key"];
            shape: components["schemas"]["Shape"];
            threefry?: components["schemas"]["Threefry"];
            scale?: components["schemas"]["ScaleParam"];
        };
        InitTruncatedNormalRequest: {
            key: components["schemas"]["Key"];
            shape: components["schemas"]["Shape"];
            threefry?: components["schemas"]["Threefry"];
            stddev?: components["schemas"]["StddevParam"];
            /** @default -2 */
            lower?: number;
            /** @default 2 */
            upper?: number;
        };
        InitConstantRequest: {
            key: components["schemas"]["Key"];
            shape: components["schemas"]["Shape"];
            threefry?: components["schemas"]["Threefry"];
            /**
             * @description Finite as a float32.
             * @default 0
             */
            value?: number;
        };
        InitVarianceScalingRequest: {
            key: components["schemas"]["Key"];
            shape: components["schemas"]["Shape"];
            threefry?: components["schemas"]["Threefry"];
            /** @default 1 */
            scale?: number;
            /** @default fan_in */
            mode?: components["schemas"]["FanMode"];
            /** @default truncated_normal */
            distribution?: components["schemas"]["Distribution"];
            /** @default -2 */
            in_axis?: components["schemas"]["Axis"];
            /** @default -1 */
            out_axis?: components["schemas"]["Axis"];
        };
    };
    responses: {
        /** @description `invalid_argument`: malformed JSON, an unknown member, a wrong type or value; the message names the field. */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "invalid_argument",
                 *         "message": "body.shape[0] must be a non-negative integer"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["InvalidArgumentError"];
            };
        };
        /** @description `not_found`: no such session, path, operation or initializer, or a stream with no `default` to fall back to. */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "not_found",
                 *         "message": "session 'exp1' not found"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["NotFoundError"];
            };
        };
        /** @description `method_not_allowed`: the path exists but not with this method. Returned for any method a path item does not define. */
        MethodNotAllowed: {
            headers: {
                /** @description The methods of the path, e.g. `POST, GET`. */
                Allow: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["MethodNotAllowedError"];
            };
        };
        /** @description `not_acceptable`: the Accept header allows neither `application/json` nor `application/x-npy` (on `key`, `fold_in` and `split`: refuses `application/json`, their only type). */
        NotAcceptable: {
            headers: {
                Vary: components["headers"]["VaryAccept"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": {
                 *         "code": "not_acceptable",
                 *         "message": "Accept 'text/html' allows neither application/json nor application/x-npy, the media types of this route (errors are always application/json)"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["NotAcceptableError"];
            };
        };
        /** @description `already_exists`: a session with this name exists. */
        AlreadyExists: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["AlreadyExistsError"];
            };
        };
        /** @description `failed_precondition`: the draw would take the stream's count past 4294967295 (reseed the stream first), or the session comes from a store restored from a snapshot and is fenced until `POST /v1/admin/restore`. */
        Exhausted: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["FailedPreconditionError"];
            };
        };
        /** @description `already_exists`: a session with the child's name exists; or `failed_precondition`: a forked stream is at count 4294967295, or the parent is fenced after a restore from a snapshot (until `POST /v1/admin/restore`). */
        ForkConflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["AlreadyExistsError"] | components["schemas"]["FailedPreconditionError"];
            };
        };
        /** @description `failed_precondition`: the session has no model, a dropout stream's count would pass 4294967295, or the pass would draw a dropout key from a session fenced after a restore from a snapshot (until `POST /v1/admin/restore`). */
        NoModelOrExhausted: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["FailedPreconditionError"];
            };
        };
        /** @description `payload_too_large`: the body exceeds `--max-body`, a tensor or draw exceeds `--max-elements`, or a model `--max-model-params`. */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["PayloadTooLargeError"];
            };
        };
        /** @description `unsupported_media_type`: a non-empty body that is not `application/json` (nor `application/x-npy` where the operation takes it). */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["UnsupportedMediaTypeError"];
            };
        };
        /** @description `resource_exhausted`: `--max-sessions` sessions exist already. */
        TooManySessions: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ResourceExhaustedError"];
            };
        };
        /** @description `internal`: a bug. */
        Internal: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["InternalError"];
            };
        };
        /** @description `unavailable`: out of memory, starting up, or the store is failing to write (retry later). */
        Unavailable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["UnavailableError"];
            };
        };
        /** @description `unauthenticated`: `--auth-token-file` is set and the bearer token is missing or wrong. */
        Unauthenticated: {
            headers: {
                /** @description Always `Bearer`. */
                "WWW-Authenticate": "Bearer";
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["UnauthenticatedError"];
            };
        };
    };
    parameters: {
        /** @description The session's name; a name not matching the pattern is 400. */
        SessionName: components["schemas"]["SessionName"];
    };
    requestBodies: never;
    headers: {
        /** @description The reply depends on the Accept header (JSON or `.npy`). */
        VaryAccept: "Accept";
        /** @description On `.npy` replies: the key the sample was drawn with, `hi,lo` (the JSON reply's `key`). */
        KeyfoldKey: string;
        /** @description On `.npy` replies: the count the key was drawn at (the JSON reply's `count`). */
        KeyfoldCount: string;
        /** @description On `.npy` replies: the stream asked for (the JSON reply's `stream`). */
        KeyfoldStream: string;
        /** @description On `.npy` replies: the stream that served the draw (the JSON reply's `source`). */
        KeyfoldSource: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listSessions: {
        parameters: {
            query?: {
                /** @description At most this many names (1..10000). */
                limit?: number;
                /** @description The previous reply's `next_page_token`; a token keyfoldd did not issue for this prefix is 400. */
                page_token?: string;
                /** @description Only names that start with this string. */
                prefix?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of names in byte order; `next_page_token` when more follow. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "sessions": [
                     *         "exp1",
                     *         "flax-doc"
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["SessionList"];
                };
            };
            400: components["responses"]["BadRequest"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    createSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SessionCreate"];
            };
        };
        responses: {
            /** @description Created; the new Session. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            409: components["responses"]["AlreadyExists"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManySessions"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Session (current keys and counts). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted; no body. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    drawKeys: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["KeysRequest"];
            };
        };
        responses: {
            /** @description The keys and the counts they were drawn at. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeysResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Exhausted"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    sampleSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SampleRequest"];
            };
        };
        responses: {
            /** @description The sample (a Tensor) plus the key, the count it was drawn at, the stream asked for and the stream that served it. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    "Keyfold-Key": components["headers"]["KeyfoldKey"];
                    "Keyfold-Count": components["headers"]["KeyfoldCount"];
                    "Keyfold-Stream": components["headers"]["KeyfoldStream"];
                    "Keyfold-Source": components["headers"]["KeyfoldSource"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SampleResponse"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            409: components["responses"]["Exhausted"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    forward: {
        parameters: {
            query?: {
                /**
                 * @description Only with an `application/x-npy` body (a JSON body gives `deterministic` as a member;
                 *     the parameter there is 400, as is any other query parameter): `true` or `false`,
                 *     as the JSON member; absent, each dropout layer's own attribute.
                 */
                deterministic?: "true" | "false";
            };
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ForwardRequest"];
                "application/x-npy": components["schemas"]["NpyTensor"];
            };
        };
        responses: {
            /** @description The output, a float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ForwardResponse"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            409: components["responses"]["NoModelOrExhausted"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    reseed: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReseedRequest"];
            };
        };
        responses: {
            /** @description The Session after the reseed. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    forkSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ForkRequest"];
            };
        };
        responses: {
            /** @description The child Session, as created. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["ForkConflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["TooManySessions"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    getParams: {
        parameters: {
            query?: {
                /**
                 * @description `layers` (the default): `{"params": [...]}`, one object per node of the expanded
                 *     tree in preorder (as the Session's `model.params`; Params only). `state`: every
                 *     variable — Params and `batch_norm`'s BatchStats `mean` and `var` — nested by path
                 *     as `nnx.state(model)` holds them (`{"layers": {"0": {"kernel": Tensor, "bias":
                 *     Tensor}}}`, names where the layers have them: `{"blocks": {"layers": {"0": {"attn":
                 *     {"query": {"kernel": ...}}}}}}`; layers without variables are absent; RNG streams
                 *     are in the Session, not here). `safetensors`: the same variables as a safetensors
                 *     file (`application/octet-stream`; tensor names are the dotted paths of the
                 *     Session's `model.variables`, `layers.0.kernel`, `blocks.layers.0.attn.query.kernel`;
                 *     `__metadata__` holds `format: keyfold`, the session's name and its Flax era). Any
                 *     other value or query parameter is 400.
                 */
                format?: "layers" | "state" | "safetensors";
            };
            header?: never;
            path: {
                /** @description The session's name; a name not matching the pattern is 400. */
                name: components["parameters"]["SessionName"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /**
             * @description `format=layers`: one object per node: `{}` for layers without parameters (and
             *     containers), `{"kernel", "bias"}` for `linear`, `linear_general`, `einsum`, `conv`,
             *     `conv_transpose` (`{"kernel"}` without a bias), `{"embedding"}` for `embed`,
             *     `{"scale", "bias"}` for the norms (as use_scale / use_bias say),
             *     `{"query.kernel", "query.bias", ...}` for `multi_head_attention`; a session without
             *     a model gives `{"params": []}`.
             *     `format=state`: the nested object (`{}` without parameters). `format=safetensors`:
             *     an 8-byte little-endian header length, the JSON header (padded with spaces to a
             *     multiple of 8 bytes), then the tensors' little-endian data.
             */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ParamsResponse"] | components["schemas"]["ParamsState"];
                    "application/octet-stream": string;
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    listRandomOperations: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The operations. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RandomOperationList"];
                };
            };
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomKeyRequest"];
            };
        };
        responses: {
            /** @description The key. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomFoldIn: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomFoldInRequest"];
            };
        };
        responses: {
            /** @description The key. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomSplit: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomSplitRequest"];
            };
        };
        responses: {
            /** @description The keys and their shape. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SplitResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomBits: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomBitsRequest"];
            };
        };
        responses: {
            /** @description A Tensor of the dtype asked for (uint8, uint16, uint32, uint64; uint64 elements as decimal strings). */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BitsTensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomUniform: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomUniformRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomNormal: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomNormalRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomTruncatedNormal: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomTruncatedNormalRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomBernoulli: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomBernoulliRequest"];
            };
        };
        responses: {
            /** @description A bool Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BoolTensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomRandint: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomRandintRequest"];
            };
        };
        responses: {
            /** @description A int32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Int32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomPermutation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomPermutationRequest"];
            };
        };
        responses: {
            /** @description A int32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Int32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomExponential: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomExponentialRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomGumbel: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomGumbelRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomLaplace: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomLaplaceRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomLogistic: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomLogisticRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomCauchy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomCauchyRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomPareto: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomParetoRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomWeibullMin: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomWeibullMinRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomRayleigh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomRayleighRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomGeometric: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomGeometricRequest"];
            };
        };
        responses: {
            /** @description A int32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Int32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomTriangular: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomTriangularRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomLognormal: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomLognormalRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomMaxwell: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomMaxwellRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomDoubleSidedMaxwell: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomDoubleSidedMaxwellRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomRademacher: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomRademacherRequest"];
            };
        };
        responses: {
            /** @description A int32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Int32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomGamma: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomGammaRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomLoggamma: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomLoggammaRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomBeta: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomBetaRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomChisquare: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomChisquareRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomT: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomTRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomF: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomFRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomGeneralizedNormal: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomGeneralizedNormalRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomDirichlet: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomDirichletRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomBall: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomBallRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomWald: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomWaldRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomPoisson: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomPoissonRequest"];
            };
        };
        responses: {
            /** @description A int32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Int32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomBinomial: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomBinomialRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomCategorical: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomCategoricalRequest"];
            };
        };
        responses: {
            /** @description A int32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Int32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomChoice: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomChoiceRequest"];
            };
        };
        responses: {
            /** @description A int32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Int32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomMultinomial: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomMultinomialRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomMultivariateNormal: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomMultivariateNormalRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    randomOrthogonal: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RandomOrthogonalRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    initPlain: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description An initializer without parameters. `xavier_*` and `kaiming_*` are JAX's aliases of
                 *     `glorot_*` and `he_*`. Any name that is neither this list nor one of the
                 *     initializers with their own path is 404.
                 */
                initializer: components["schemas"]["PlainInitializerName"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InitRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            404: components["responses"]["NotFound"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    initNormal: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InitNormalRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    initUniform: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InitUniformRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    initTruncatedNormal: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InitTruncatedNormalRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    initConstant: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InitConstantRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    initVarianceScaling: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InitVarianceScalingRequest"];
            };
        };
        responses: {
            /** @description A float32 Tensor. */
            200: {
                headers: {
                    Vary: components["headers"]["VaryAccept"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Float32Tensor"];
                    "application/x-npy": components["schemas"]["NpyTensor"];
                };
            };
            400: components["responses"]["BadRequest"];
            406: components["responses"]["NotAcceptable"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            500: components["responses"]["Internal"];
            503: components["responses"]["Unavailable"];
        };
    };
    healthLive: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is serving. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Empty"];
                };
            };
            503: components["responses"]["Unavailable"];
        };
    };
    healthReady: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready to serve requests. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Empty"];
                };
            };
            /** @description Starting up (recovering sessions), shutting down, or the store is failing to write (`unavailable`). */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UnavailableError"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Metrics in Prometheus text format. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string & (unknown & unknown & unknown & unknown);
                };
            };
            503: components["responses"]["Unavailable"];
        };
    };
    adminSnapshot: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": Record<string, never>;
            };
        };
        responses: {
            /** @description The snapshot's path. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        path: string;
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            /** @description `failed_precondition`: the daemon runs with `--durability memory` and has no store, or with `--store postgres`, which is backed up with PostgreSQL's own tools (`pg_dump`). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FailedPreconditionError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["Unavailable"];
        };
    };
    adminRestore: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AdminRestoreRequest"];
            };
        };
        responses: {
            /** @description The fence is lifted; how many sessions were advanced, and by how much. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminRestoreResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            /** @description `failed_precondition`: the store is not fenced, or advancing would take a stream past count 4294967295 (nothing was advanced). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FailedPreconditionError"];
                };
            };
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            503: components["responses"]["Unavailable"];
        };
    };
}
type WithRequired<T, K extends keyof T> = T & {
    [P in K]-?: T[P];
};
