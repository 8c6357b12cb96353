package fmc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx"
)

var (
	// ErrAuthentication means the management center refused the username
	// and password.
	ErrAuthentication = errors.New("fmc: authentication failed")

	// ErrAmbiguous means a state-changing request failed in a way that
	// leaves unknown whether the management center acted on it (the
	// connection dropped after the request was sent, or a 5xx answer). The
	// client does not send it again; see IdempotencyCheck.
	ErrAmbiguous = errors.New("fmc: outcome of the request is unknown")

	// ErrPackageRegistrationUnsupported means the management center offers no
	// API to register an upgrade package by URL.
	ErrPackageRegistrationUnsupported = errors.New("fmc: registering an upgrade package by URL is not supported by this management center's API")

	// ErrTaskFailed is matched by the error WaitTask returns for a task that
	// ended in failure or was cancelled.
	ErrTaskFailed = errors.New("fmc: task failed")

	// ErrTaskTimeout is matched by the error WaitTask returns when its
	// timeout passes before the task ends.
	ErrTaskTimeout = errors.New("fmc: timed out waiting for task")
)

// APIError is an answer the management center gave with an error status (or
// a 2xx answer carrying an error body). Messages keeps its own words.
type APIError struct {
	Status   int
	Method   string
	Path     string
	Category string
	Severity string
	Messages []string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fmc: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if len(e.Messages) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	}
	return b.String()
}

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// StatusCode returns the HTTP status of an *APIError in err's chain, or 0.
func StatusCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// AuthError is a refused login or refresh. It never holds the credentials.
type AuthError struct {
	Username string
	Cause    *APIError
}

func (e *AuthError) Error() string {
	msg := fmt.Sprintf("fmc: the management center refused the login of user %q", e.Username)
	if e.Cause != nil {
		msg += fmt.Sprintf(" (%d", e.Cause.Status)
		if len(e.Cause.Messages) > 0 {
			msg += ": " + strings.Join(e.Cause.Messages, "; ")
		}
		msg += ")"
	}
	return msg + "; check username and password, and use an account that is not also logged in to the web interface, which would end this session"
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
	Method string
	Path   string
	// Cause is the transport error or the *APIError of the 5xx answer.
	Cause error
	// CheckErr is set when the caller's IdempotencyCheck itself failed.
	CheckErr error
}

func (e *AmbiguousError) Error() string {
	msg := fmt.Sprintf("fmc: %s %s: %v; the management center may or may not have acted on it, so it was not sent again", e.Method, e.Path, e.Cause)
	if e.CheckErr != nil {
		msg += fmt.Sprintf("; checking its state also failed: %v", e.CheckErr)
	}
	return msg + "; check the management center's task list before retrying"
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

// DomainError means Config.Domain names no domain the user can reach.
type DomainError struct {
	Wanted    string
	Available []Domain
}

func (e *DomainError) Error() string {
	names := make([]string, 0, len(e.Available))
	for _, d := range e.Available {
		names = append(names, fmt.Sprintf("%s (%s)", d.Name, d.UUID))
	}
	if len(names) == 0 {
		return fmt.Sprintf("fmc: domain %q not found: the management center listed no domains for this user", e.Wanted)
	}
	return fmt.Sprintf("fmc: domain %q not found; this user can reach: %s", e.Wanted, strings.Join(names, ", "))
}

// errorDetail is the body of {"error": {...}}; the specification's
// ErrorResponse has the same fields without the wrapper.
type errorDetail struct {
	Category string         `json:"category"`
	Severity string         `json:"severity"`
	Messages []errorMessage `json:"messages"`
}

type errorMessage struct {
	Description string `json:"description"`
	Details     string `json:"details"`
	Code        string `json:"code"`
}

func (m *errorMessage) UnmarshalJSON(data []byte) error {
	// A message is sometimes a bare string rather than an object.
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		*m = errorMessage{Description: s}
		return nil
	}
	var raw struct {
		Description json.RawMessage `json:"description"`
		Details     json.RawMessage `json:"details"`
		Code        json.RawMessage `json:"code"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*m = errorMessage{Description: httpx.JSONScalar(raw.Description), Details: httpx.JSONScalar(raw.Details), Code: httpx.JSONScalar(raw.Code)}
	return nil
}

func (d *errorDetail) texts() []string {
	var out []string
	for _, m := range d.Messages {
		s := strings.TrimSpace(m.Description)
		if s == "" {
			s = strings.TrimSpace(m.Details)
		}
		if s == "" && m.Code != "" {
			s = "code " + m.Code
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ErrorBody is what ParseErrorBody extracts from an error answer.
type ErrorBody struct {
	Category string
	Severity string
	Messages []string
}

// ParseErrorBody reads a management center error body. It accepts the wire
// form {"error":{...}}, the unwrapped form of the specification, and any
// other text (an HTML page from a proxy, say), of which it keeps a short plain
// excerpt. ok is false when the body says nothing useful.
func ParseErrorBody(body []byte) (eb ErrorBody, ok bool) {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return ErrorBody{}, false
	}
	if t[0] == '{' {
		var wrapped struct {
			Error *errorDetail `json:"error"`
		}
		if err := json.Unmarshal(t, &wrapped); err == nil && wrapped.Error != nil {
			eb = ErrorBody{Category: wrapped.Error.Category, Severity: wrapped.Error.Severity, Messages: wrapped.Error.texts()}
			return eb, len(eb.Messages) > 0 || eb.Category != ""
		}
		var bare errorDetail
		if err := json.Unmarshal(t, &bare); err == nil && (len(bare.Messages) > 0 || bare.Category != "") {
			eb = ErrorBody{Category: bare.Category, Severity: bare.Severity, Messages: bare.texts()}
			return eb, true
		}
		// Other JSON (an object we do not know) says nothing we can show.
		if json.Valid(t) {
			return ErrorBody{}, false
		}
	}
	if ex := excerpt(t); ex != "" {
		return ErrorBody{Messages: []string{ex}}, true
	}
	return ErrorBody{}, false
}

// embeddedError finds an error object in a 2xx body: the management center
// sometimes answers 200 and reports the failure in the body.
func embeddedError(body []byte) *errorDetail {
	if !bytes.Contains(body, []byte(`"error"`)) {
		return nil
	}
	var wrapped struct {
		Error *errorDetail `json:"error"`
	}
	if json.Unmarshal(body, &wrapped) != nil || wrapped.Error == nil || len(wrapped.Error.texts()) == 0 {
		return nil
	}
	return wrapped.Error
}

// excerpt strips markup from a non-JSON body and keeps the first words.
func excerpt(b []byte) string {
	const maxLen = 200
	if !utf8.Valid(b) {
		return ""
	}
	var out strings.Builder
	inTag := false
	space := false
	for _, r := range string(b) {
		switch {
		case r == '<':
			inTag = true
			continue
		case r == '>' && inTag:
			inTag = false
			space = true
			continue
		case inTag:
			continue
		case unicode.IsSpace(r) || !unicode.IsPrint(r):
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

// pleaseTryAgain recognises the transient 400s the management center sends
// while a service is busy ("Search Service n.a. Please try again.").
func pleaseTryAgain(msgs []string) bool {
	for _, m := range msgs {
		l := strings.ToLower(m)
		if strings.Contains(l, "please try again") || strings.Contains(l, "retry the operation after sometime") || strings.Contains(l, "try again later") {
			return true
		}
	}
	return false
}
