package keyfold

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Error is an error answered by keyfoldd: every 4xx/5xx reply becomes one. Status is the HTTP
// status, Code the API's error code ("not_found", ...), Message the daemon's text (it names the
// offending field as body.<field>), Header the reply's headers (Allow on a 405,
// WWW-Authenticate on a 401).
//
// errors.Is(err, ErrNotFound) (and every other Err* value below) matches an *Error by its
// code, so callers never compare strings.
type Error struct {
	Status  int
	Code    string
	Message string
	Header  http.Header
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("keyfold: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("keyfold: %d %s: %s", e.Status, e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code. The sentinels carry no message,
// so errors.Is(err, ErrAlreadyExists) holds for any already_exists reply, whatever its text.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The API's error codes, one per row of the daemon's table (server/apierr.c). Two codes share
// status 409: ErrAlreadyExists (the name is taken) and ErrFailedPrecondition (an exhausted
// stream, a forward pass without a model, a fenced store).
var (
	ErrInvalidArgument    = &Error{Status: 400, Code: "invalid_argument"}
	ErrUnauthenticated    = &Error{Status: 401, Code: "unauthenticated"}
	ErrNotFound           = &Error{Status: 404, Code: "not_found"}
	ErrMethodNotAllowed   = &Error{Status: 405, Code: "method_not_allowed"}
	ErrNotAcceptable      = &Error{Status: 406, Code: "not_acceptable"}
	ErrAlreadyExists      = &Error{Status: 409, Code: "already_exists"}
	ErrFailedPrecondition = &Error{Status: 409, Code: "failed_precondition"}
	ErrPayloadTooLarge    = &Error{Status: 413, Code: "payload_too_large"}
	ErrUnsupportedMedia   = &Error{Status: 415, Code: "unsupported_media_type"}
	ErrResourceExhausted  = &Error{Status: 429, Code: "resource_exhausted"}
	ErrInternal           = &Error{Status: 500, Code: "internal"}
	ErrUnavailable        = &Error{Status: 503, Code: "unavailable"}
)

// ErrorCodes lists every sentinel, in the order of the daemon's table.
var ErrorCodes = []*Error{
	ErrInvalidArgument, ErrUnauthenticated, ErrNotFound, ErrMethodNotAllowed, ErrNotAcceptable,
	ErrAlreadyExists, ErrFailedPrecondition, ErrPayloadTooLarge, ErrUnsupportedMedia,
	ErrResourceExhausted, ErrInternal, ErrUnavailable,
}

// SentinelFor returns the sentinel of an API error code, or nil for a code this client does not
// know.
func SentinelFor(code string) *Error {
	for _, e := range ErrorCodes {
		if e.Code == code {
			return e
		}
	}
	return nil
}

// errorFromResponse builds the *Error of a 4xx/5xx reply. It reads the API's body
// {"error": {"code", "message"}}, the Open Inference Protocol's {"error": "<text>"} and bodies
// that are not JSON at all (libmicrohttpd answers some malformed requests with a small HTML
// page before the daemon sees them): without a code, the code is the one of the status, except
// for 409, which has two codes and so gets "http_409".
func errorFromResponse(status int, header http.Header, body []byte) *Error {
	e := &Error{Status: status, Header: header}
	var api struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &api) == nil && len(api.Error) > 0 {
		var obj struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		var text string
		if json.Unmarshal(api.Error, &obj) == nil {
			e.Code, e.Message = obj.Code, obj.Message
		} else if json.Unmarshal(api.Error, &text) == nil {
			e.Message = text
		}
	}
	if e.Code == "" {
		e.Code = fmt.Sprintf("http_%d", status)
		if status != http.StatusConflict {
			for _, s := range ErrorCodes {
				if s.Status == status {
					e.Code = s.Code
					break
				}
			}
		}
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 500 {
			e.Message = e.Message[:500]
		}
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
	}
	return e
}
