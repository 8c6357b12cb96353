package fmcsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Error categories of the management center's error body.
const (
	catFramework  = "FRAMEWORK"
	catValidation = "VALIDATION"
	catOther      = "OTHER"
)

// errorBody is the management center's error envelope:
// {"error":{"category":…,"messages":[{"description":…}],"severity":"ERROR"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Category string         `json:"category"`
	Messages []errorMessage `json:"messages"`
	Severity string         `json:"severity"`
}

type errorMessage struct {
	Description string `json:"description"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: errorDetail{Category: catOther, Severity: "ERROR",
			Messages: []errorMessage{{Description: "response encoding failed: " + err.Error()}}}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, category, format string, args ...any) {
	writeJSON(w, status, errorBody{Error: errorDetail{
		Category: category,
		Messages: []errorMessage{{Description: fmt.Sprintf(format, args...)}},
		Severity: "ERROR",
	}})
}

// maxBodyBytes is the payload limit the management center is reported to
// enforce (fmcapi and fireREST both use 2,048,000 bytes).
const maxBodyBytes = 2048000

// decodeBody reads a JSON request body into v, answering 400 or 422 itself
// when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	b, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusUnprocessableEntity, catValidation, "Payload too large: the limit is %d bytes.", maxBodyBytes)
			return false
		}
		writeError(w, http.StatusBadRequest, catValidation, "Could not read the request body: %v", err)
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		writeError(w, http.StatusBadRequest, catValidation, "Request body is missing.")
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, catValidation, "Invalid JSON in request body: %v", err)
		return false
	}
	return true
}

// failure is a message for the client, worded as the API words its
// messages (capitalised, with a full stop), carried as an error.
type failure string

func (f failure) Error() string { return string(f) }

func failf(format string, args ...any) error { return failure(fmt.Sprintf(format, args...)) }

// flexBool decodes a boolean sent as true/false or, as the management
// center's own examples do, as the strings "true"/"false".
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	s := strings.Trim(strings.TrimSpace(string(data)), `"`)
	switch strings.ToLower(s) {
	case "true":
		*b = true
	case "false", "", "null":
		*b = false
	default:
		return fmt.Errorf("%s is not a boolean", data)
	}
	return nil
}

// links is the links object of every management center resource.
type links struct {
	Self   string `json:"self"`
	Parent string `json:"parent,omitempty"`
}

type paging struct {
	Offset int      `json:"offset"`
	Limit  int      `json:"limit"`
	Count  int      `json:"count"`
	Pages  int      `json:"pages"`
	Next   []string `json:"next,omitempty"`
}

type listEnvelope struct {
	Links  links  `json:"links"`
	Items  []any  `json:"items"`
	Paging paging `json:"paging"`
}

// Paging limits: the management center returns 25 items unless asked and
// silently caps limit at 1000.
const (
	defaultLimit = 25
	maxLimit     = 1000
)

type listQuery struct {
	offset, limit int
	expanded      bool
	filter        map[string]string
}

// parseListQuery reads offset, limit, expanded and filter. A filter is
// "key:value;key2:value2".
func parseListQuery(r *http.Request) (listQuery, error) {
	q := queryValues(r)
	lq := listQuery{limit: defaultLimit, filter: map[string]string{}}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return lq, failf("Invalid value %q for offset: expected a non-negative integer.", s)
		}
		lq.offset = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return lq, failf("Invalid value %q for limit: expected a positive integer.", s)
		}
		lq.limit = min(n, maxLimit)
	}
	if s := q.Get("expanded"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return lq, failf("Invalid value %q for expanded: expected true or false.", s)
		}
		lq.expanded = b
	}
	if s := q.Get("filter"); s != "" {
		for _, part := range strings.Split(s, ";") {
			if part == "" {
				continue
			}
			k, v, ok := strings.Cut(part, ":")
			if !ok {
				lq.filter[part] = ""
				continue
			}
			lq.filter[k] = v
		}
	}
	return lq, nil
}

// queryValues parses the query string splitting on "&" only: filters such
// as filter=name:x;hostName:y carry raw semicolons, which net/url no longer
// treats as part of a value.
func queryValues(r *http.Request) url.Values {
	v := url.Values{}
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			continue
		}
		v.Add(k, val)
	}
	return v
}

// baseURL is the scheme and host the client used, so links point back at
// the listener the client reached.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// pageURL renders the URL of a page of the current list, keeping every
// other query parameter the client sent.
func pageURL(r *http.Request, offset, limit int) string {
	q := queryValues(r)
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(limit))
	return baseURL(r) + r.URL.Path + "?" + q.Encode()
}

// listQueryOf is parseListQuery for a handler: a malformed query is
// answered 400 here, so the handler only returns.
func listQueryOf(w http.ResponseWriter, r *http.Request) (listQuery, bool) {
	lq, err := parseListQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, catValidation, "%v", err)
		return lq, false
	}
	return lq, true
}

// writeList pages total items. item(i, expanded) renders item i.
func writeList(w http.ResponseWriter, r *http.Request, lq listQuery, total int, item func(i int, expanded bool) any) {
	env := listEnvelope{Links: links{Self: pageURL(r, lq.offset, lq.limit)}, Items: []any{}}
	end := min(lq.offset+lq.limit, total)
	for i := lq.offset; i < end; i++ {
		env.Items = append(env.Items, item(i, lq.expanded))
	}
	pages := (total + lq.limit - 1) / lq.limit
	env.Paging = paging{Offset: lq.offset, Limit: lq.limit, Count: total, Pages: pages}
	if end < total {
		env.Paging.Next = []string{pageURL(r, end, lq.limit)}
	}
	writeJSON(w, http.StatusOK, env)
}

// ref is the {id, type, name} reference the API nests everywhere.
type ref struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Name  string `json:"name,omitempty"`
	Links *links `json:"links,omitempty"`
}
