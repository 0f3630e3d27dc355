// Package keyfold is a Go client of keyfoldd, the keyfold daemon, which serves JAX's random
// keys, samplers and initializers and small Flax NNX models bit-exactly over HTTP/JSON.
//
// The contract it follows is proto/openapi.yaml (API version 1.1). Standard library only.
// Every call takes a context.Context; every 4xx/5xx reply is an *Error that errors.Is matches
// against the Err* sentinels (ErrNotFound, ErrAlreadyExists, ...). float32 tensors are carried
// exactly both ways (see ParseFloat32 and FormatFloat32), and tensors may travel as NumPy .npy
// (EncodeNpy, DecodeNpy).
package keyfold

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Version is this client's version. Its major and minor numbers follow the API version it
// implements (api.md "Version 1.1"); the patch number is the client's own.
const Version = "1.1.0"

// APIVersion is the version of the HTTP API contract this client implements.
const APIVersion = "1.1"

// DefaultURL is keyfoldd's default listen address.
const DefaultURL = "http://127.0.0.1:8470"

// Client talks to one keyfoldd. It is safe for concurrent use; its http.Client keeps
// connections alive between calls (one shared Transport), so reuse one Client.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends Authorization: Bearer <token> with every request (a daemon started with
// --auth-token-file requires it on every route but the health ones).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient uses hc instead of the default client (timeouts, TLS, proxies, a custom
// Transport). Requests are bounded by their context; give hc a Timeout for an overall bound.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// defaultHTTP is shared by every Client without WithHTTPClient: one Transport, so idle
// keep-alive connections are pooled across calls (and across Clients of the same daemon).
var defaultHTTP = &http.Client{Transport: defaultTransport()}

// defaultTransport is net/http's default (proxy from the environment, dial and idle timeouts)
// keeping more idle connections per host than its 2, for concurrent callers of one daemon.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}

// NewClient returns a client of the daemon at baseURL ("http://127.0.0.1:8470"; a path prefix
// such as "http://proxy/keyfold" is kept; "" means DefaultURL).
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("keyfold: bad URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("keyfold: URL %q is not http(s)://host[:port][/prefix]", baseURL)
	}
	c := &Client{base: u, http: defaultHTTP}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// request is one API call. body is sent as JSON unless it is npyBody ([]byte sent as
// application/x-npy); accept says which reply types the caller reads.
type request struct {
	method string
	path   string // already escaped, may carry a query
	body   interface{}
	npy    []byte // a .npy body instead of JSON
	accept string
}

// reply is a 2xx answer.
type reply struct {
	header http.Header
	body   []byte
}

func (c *Client) do(ctx context.Context, r request) (*reply, error) {
	var rd io.Reader
	ctype := ""
	switch {
	case r.npy != nil:
		rd, ctype = bytes.NewReader(r.npy), NpyMediaType
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("keyfold: encoding the request: %w", err)
		}
		rd, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base.String()+r.path, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "keyfold-client-go/"+Version)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("keyfold: %s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	// Read the whole body even on errors, so the connection goes back to the pool.
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("keyfold: %s %s: reading the reply: %w", r.method, r.path, err)
	}
	if resp.StatusCode >= 400 {
		return nil, errorFromResponse(resp.StatusCode, resp.Header, body)
	}
	return &reply{header: resp.Header, body: body}, nil
}

// call sends a JSON request and decodes a JSON reply into out (when out is not nil).
func (c *Client) call(ctx context.Context, method, path string, body, out interface{}) error {
	rep, err := c.do(ctx, request{method: method, path: path, body: body})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rep.body, out); err != nil {
		return fmt.Errorf("keyfold: %s %s: the reply is not the expected JSON: %w", method, path, err)
	}
	return nil
}

// npyReply decodes a .npy reply, refusing a JSON one (a daemon that did not negotiate).
func npyReply(rep *reply) (*Tensor, error) {
	if ct := rep.header.Get("Content-Type"); !strings.HasPrefix(ct, NpyMediaType) {
		return nil, fmt.Errorf("keyfold: expected a .npy reply, got Content-Type %q", ct)
	}
	return DecodeNpy(rep.body)
}

// sessionPath is /v1/sessions/{name}[/sub] with the name escaped.
func sessionPath(name, sub string) string {
	p := "/v1/sessions/" + url.PathEscape(name)
	if sub != "" {
		p += "/" + sub
	}
	return p
}

// ServerInfo is GET /v2: the Open Inference Protocol's server metadata.
type ServerInfo struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"` // the daemon's release (keyfoldd --version), not the API's
	Extensions []string `json:"extensions"`
}

// ServerInfo reads GET /v2.
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	var s ServerInfo
	if err := c.call(ctx, "GET", "/v2", nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Health is GET /v2/health/live: nil when the daemon serves (no token needed).
func (c *Client) Health(ctx context.Context) error {
	return c.call(ctx, "GET", "/v2/health/live", nil, nil)
}

// Ready is GET /v2/health/ready: true when ready, false while the daemon answers 503
// (recovering sessions at start-up, shutting down, a failing store); an error when it cannot
// be reached or answers anything else.
func (c *Client) Ready(ctx context.Context) (bool, error) {
	err := c.call(ctx, "GET", "/v2/health/ready", nil, nil)
	if err == nil {
		return true, nil
	}
	if isCode(err, ErrUnavailable) {
		return false, nil
	}
	return false, err
}

func isCode(err error, sentinel *Error) bool {
	e, ok := err.(*Error)
	return ok && e.Is(sentinel)
}
