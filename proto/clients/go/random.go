package keyfold

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// RandomParam is a parameter of a jax.random operation, as GET /v1/random lists it.
type RandomParam struct {
	Name        string          `json:"name"`
	Kind        string          `json:"kind"`
	Required    bool            `json:"required"`
	Default     json.RawMessage `json:"default"` // JAX's default; null when required or derived
	DType       *string         `json:"dtype"`
	Array       bool            `json:"array"`
	Infinite    bool            `json:"infinite,omitempty"`
	Min         *int64          `json:"min,omitempty"`
	Max         *int64          `json:"max,omitempty"`
	Values      []interface{}   `json:"values,omitempty"`
	Description string          `json:"description"`
}

// RandomOperation is one jax.random operation of the daemon: where it is offered (Random:
// POST /v1/random/{name}; SessionSample: a distribution of /sample), whether it answers one
// tensor, its output dtype, how its shape follows from the parameters, and its parameters.
type RandomOperation struct {
	Name          string        `json:"name"`
	Summary       string        `json:"summary"`
	Random        bool          `json:"random"`
	SessionSample bool          `json:"session_sample"`
	Tensor        bool          `json:"tensor"`
	DType         *DType        `json:"dtype"`
	Shape         string        `json:"shape"`
	Params        []RandomParam `json:"params"`
}

// RandomOperations is GET /v1/random, in JAX's order.
func (c *Client) RandomOperations(ctx context.Context) ([]RandomOperation, error) {
	var out struct {
		Operations []RandomOperation `json:"operations"`
	}
	if err := c.call(ctx, "GET", "/v1/random", nil, &out); err != nil {
		return nil, err
	}
	return out.Operations, nil
}

// RandomResult is the answer of POST /v1/random/{op}: Key for key and fold_in, Keys (and
// KeysShape, the num given) for split, Tensor for every sampler.
type RandomResult struct {
	Key       *Key
	Keys      []Key
	KeysShape []int
	Tensor    *Tensor
}

// keyOps answer keys, not one tensor (and only as JSON).
var keyOps = map[string]bool{"key": true, "fold_in": true, "split": true}

// Random is POST /v1/random/{op} with body as the request object, JAX's parameter names
// ({"key": Key{0, 42}, "shape": []int{2, 3}, "minval": ...}); array parameters may be
// *Tensor or nested slices. Use RandomNpy for a sampler's tensor as .npy.
func (c *Client) Random(ctx context.Context, op string, body map[string]interface{}) (*RandomResult, error) {
	if body == nil {
		body = map[string]interface{}{}
	}
	rep, err := c.do(ctx, request{method: "POST", path: "/v1/random/" + url.PathEscape(op), body: body})
	if err != nil {
		return nil, err
	}
	r := &RandomResult{}
	if keyOps[op] {
		var w struct {
			Key   *Key  `json:"key"`
			Keys  []Key `json:"keys"`
			Shape []int `json:"shape"`
		}
		if err := json.Unmarshal(rep.body, &w); err != nil {
			return nil, fmt.Errorf("keyfold: %s reply: %w", op, err)
		}
		r.Key, r.Keys, r.KeysShape = w.Key, w.Keys, w.Shape
		return r, nil
	}
	r.Tensor = &Tensor{}
	if err := json.Unmarshal(rep.body, r.Tensor); err != nil {
		return nil, fmt.Errorf("keyfold: %s reply: %w", op, err)
	}
	return r, nil
}

// RandomNpy is Random for a sampler, the tensor answered as .npy (bit for bit the data of the
// JSON reply, without float text).
func (c *Client) RandomNpy(ctx context.Context, op string, body map[string]interface{}) (*Tensor, error) {
	if body == nil {
		body = map[string]interface{}{}
	}
	rep, err := c.do(ctx, request{method: "POST", path: "/v1/random/" + url.PathEscape(op), body: body, accept: NpyMediaType})
	if err != nil {
		return nil, err
	}
	return npyReply(rep)
}

// RandomKey is jax.random.key(seed) as key data: [0, seed mod 2^32].
func (c *Client) RandomKey(ctx context.Context, seed int64) (Key, error) {
	r, err := c.Random(ctx, "key", map[string]interface{}{"seed": seed})
	if err != nil {
		return Key{}, err
	}
	return derefKey(r.Key)
}

// FoldIn is jax.random.fold_in(key, data).
func (c *Client) FoldIn(ctx context.Context, key Key, data uint32) (Key, error) {
	r, err := c.Random(ctx, "fold_in", map[string]interface{}{"key": key, "data": data})
	if err != nil {
		return Key{}, err
	}
	return derefKey(r.Key)
}

func derefKey(k *Key) (Key, error) {
	if k == nil {
		return Key{}, fmt.Errorf("keyfold: reply without a key")
	}
	return *k, nil
}

// Split is jax.random.split(key, num): the keys flat in row-major order.
func (c *Client) Split(ctx context.Context, key Key, num int) ([]Key, error) {
	r, err := c.Random(ctx, "split", map[string]interface{}{"key": key, "num": num})
	if err != nil {
		return nil, err
	}
	return r.Keys, nil
}

// sampler calls a tensor operation with key and shape.
func (c *Client) sampler(ctx context.Context, op string, key Key, shape []int) (*Tensor, error) {
	if shape == nil {
		shape = []int{}
	}
	r, err := c.Random(ctx, op, map[string]interface{}{"key": key, "shape": shape})
	if err != nil {
		return nil, err
	}
	return r.Tensor, nil
}

// Uniform is jax.random.uniform(key, shape) on [0, 1) (other bounds: Random with minval and
// maxval).
func (c *Client) Uniform(ctx context.Context, key Key, shape []int) (*Tensor, error) {
	return c.sampler(ctx, "uniform", key, shape)
}

// Normal is jax.random.normal(key, shape).
func (c *Client) Normal(ctx context.Context, key Key, shape []int) (*Tensor, error) {
	return c.sampler(ctx, "normal", key, shape)
}
