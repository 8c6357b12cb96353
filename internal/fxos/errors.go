package fxos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx"
)

// Error codes of the chassis manager's error body.
const (
	codeBackend       = "101" // "Error communicating with FX-OS API backend"
	codeAuthFailed    = "551" // "Authentication failed"
	codeAuthRequired  = "552" // "Authorization required": no or stale session
	codeUnknownLogout = "555" // logout of a session the chassis does not know
)

var (
	// ErrAuthentication means the chassis refused the username and password.
	ErrAuthentication = errors.New("fxos: authentication failed")

	// ErrAmbiguous means a state-changing request failed in a way that leaves
	// unknown whether the chassis acted on it, and checking its state did not
	// settle the question. It was not sent again.
	ErrAmbiguous = errors.New("fxos: outcome of the request is unknown")

	// ErrInstallFailed is matched by the error WaitInstall returns when the
	// platform bundle installation failed.
	ErrInstallFailed = errors.New("fxos: platform bundle installation failed")

	// ErrDownloadFailed is matched by the error WaitDownload returns when the
	// image download failed.
	ErrDownloadFailed = errors.New("fxos: image download failed")

	// ErrTimeout is matched by the errors of waits that ran out of time.
	ErrTimeout = errors.New("fxos: timed out")
)

// APIError is an error answer of the chassis manager, with its own code and
// words.
type APIError struct {
	Status      int
	Method      string
	Path        string
	Code        string // error-code: 551, 552, 555, 101, ...
	Description string // error-description
	Nr          string // error-nr
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("fxos: %s %s: %d", e.Method, e.Path, e.Status)
	if t := http.StatusText(e.Status); t != "" {
		msg += " " + t
	}
	if e.Code != "" {
		msg += " (error " + e.Code + ")"
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// AuthError is a refused login. It never holds the credentials.
type AuthError struct {
	Username string
	Cause    *APIError
}

func (e *AuthError) Error() string {
	msg := fmt.Sprintf("fxos: the chassis manager refused the login of user %q", e.Username)
	if e.Cause != nil && e.Cause.Description != "" {
		msg += " (" + e.Cause.Description + ")"
	}
	return msg + "; check username and password"
}

func (e *AuthError) Is(target error) bool { return target == ErrAuthentication }

func (e *AuthError) Unwrap() error {
	if e.Cause == nil {
		return nil
	}
	return e.Cause
}

// AmbiguousError is a state-changing request whose outcome is unknown.
type AmbiguousError struct {
	Method   string
	Path     string
	Cause    error
	CheckErr error
}

func (e *AmbiguousError) Error() string {
	msg := fmt.Sprintf("fxos: %s %s: %v; the chassis may or may not have acted on it, so it was not sent again", e.Method, e.Path, e.Cause)
	if e.CheckErr != nil {
		msg += fmt.Sprintf("; reading its state also failed: %v", e.CheckErr)
	}
	return msg
}

func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

func (e *AmbiguousError) Unwrap() []error {
	var errs []error
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	if e.CheckErr != nil {
		errs = append(errs, e.CheckErr)
	}
	return errs
}

// UnreachableError is a chassis that did not answer after the retries, as
// during a reboot.
type UnreachableError struct {
	Host     string
	Attempts int
	Cause    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("fxos: chassis manager %s unreachable after %d attempts: %s", e.Host, e.Attempts, httpx.ErrorText(e.Cause))
}

func (e *UnreachableError) Unwrap() error { return e.Cause }

// ErrorBody is the chassis manager's error object.
type ErrorBody struct {
	Code        string
	Description string
	Nr          string
}

// ParseErrorBody reads {"error-code","error-description","error-nr"},
// tolerating numbers for strings, a wrapping object and other text (of
// which it keeps a short excerpt as the description).
func ParseErrorBody(body []byte) ErrorBody {
	return parseErrorBody(body)
}

func parseErrorBody(body []byte) ErrorBody {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return ErrorBody{}
	}
	if t[0] == '{' {
		var m map[string]json.RawMessage
		if json.Unmarshal(t, &m) == nil {
			if eb := errorFromMap(m); eb != (ErrorBody{}) {
				return eb
			}
			// One level of wrapping: {"error": {...}} or {"<class>": [{...}]}.
			for _, v := range m {
				var inner map[string]json.RawMessage
				if json.Unmarshal(firstOf(v), &inner) == nil {
					if eb := errorFromMap(inner); eb != (ErrorBody{}) {
						return eb
					}
				}
			}
			return ErrorBody{}
		}
	}
	return ErrorBody{Description: excerpt(t)}
}

func errorFromMap(m map[string]json.RawMessage) ErrorBody {
	get := func(keys ...string) string {
		for k, v := range m {
			for _, want := range keys {
				if strings.EqualFold(k, want) {
					return httpx.JSONScalar(v)
				}
			}
		}
		return ""
	}
	return ErrorBody{
		Code:        get("error-code", "errorCode", "code"),
		Description: get("error-description", "errorDescription", "description", "message"),
		Nr:          get("error-nr", "errorNr"),
	}
}

// firstOf returns the first element of a JSON list, or v itself.
func firstOf(v json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(v)
	if len(t) > 0 && t[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(t, &list) == nil && len(list) > 0 {
			return list[0]
		}
	}
	return t
}

func excerpt(b []byte) string {
	const maxLen = 200
	var out strings.Builder
	inTag, space := false, false
	for _, r := range strings.ToValidUTF8(string(b), "") {
		switch {
		case r == '<':
			inTag = true
			continue
		case r == '>' && inTag:
			inTag, space = false, true
			continue
		case inTag:
			continue
		case r <= ' ' || r == 0x7f:
			space = true
			continue
		}
		if space && out.Len() > 0 {
			out.WriteByte(' ')
		}
		space = false
		out.WriteRune(r)
		if out.Len() >= maxLen {
			out.WriteString("…")
			break
		}
	}
	return out.String()
}

func (c *Client) apiError(cl *call, res *response) *APIError {
	eb := parseErrorBody(res.body)
	return &APIError{Status: res.status, Method: cl.method, Path: cl.path, Code: eb.Code, Description: c.scrub(eb.Description), Nr: eb.Nr}
}

// sessionLost recognises the answers to a request sent without a valid
// session: 552 (and 555 on logout), or a plain 401/403.
func sessionLost(res *response) bool {
	switch res.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusBadRequest, 555:
		code := parseErrorBody(res.body).Code
		return code == codeAuthRequired || code == codeUnknownLogout
	}
	return false
}
