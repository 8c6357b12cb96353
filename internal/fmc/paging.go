package fmc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// PageLimit is the largest page the management center serves; it silently
// caps larger limits.
const PageLimit = 1000

// maxPages stops a server that keeps pointing at more pages.
const maxPages = 10000

// page is the list envelope:
// {"links":{...},"items":[...],"paging":{"offset","limit","count","pages","next":["<url>"]}}.
// Without expanded=true the items carry only id, name, type and links.
type page[T any] struct {
	Items  []T `json:"items"`
	Paging struct {
		Offset Int      `json:"offset"`
		Limit  Int      `json:"limit"`
		Count  Int      `json:"count"`
		Pages  Int      `json:"pages"`
		Next   []string `json:"next"`
	} `json:"paging"`
	Error *errorDetail `json:"error"`
}

// listAll reads every item of a collection, PageLimit at a time with
// expanded=true, following paging.next until the server gives none. It takes
// only the query of each next link and keeps its own host and path: the
// management center writes its own idea of its address there, which a client
// behind NAT or a proxy may not reach.
func listAll[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	query := url.Values{}
	for k, v := range q {
		query[k] = append([]string(nil), v...)
	}
	query.Set("offset", "0")
	query.Set("limit", strconv.Itoa(PageLimit))
	query.Set("expanded", "true")

	var all []T
	offset := 0
	for n := 0; ; n++ {
		if n >= maxPages {
			return nil, fmt.Errorf("fmc: GET %s: more than %d pages; stopping", path, maxPages)
		}
		cl := &call{method: http.MethodGet, path: path, query: query, noErrorProbe: true}
		var p page[T]
		if err := c.do(ctx, cl, &p); err != nil {
			return nil, err
		}
		if p.Error != nil && len(p.Error.texts()) > 0 {
			return nil, c.newAPIError(cl, http.StatusOK, ErrorBody{Category: p.Error.Category, Severity: p.Error.Severity, Messages: p.Error.texts()})
		}
		if all == nil {
			all = make([]T, 0, min(max(int(p.Paging.Count), len(p.Items)), 1<<20))
		}
		all = append(all, p.Items...)
		if len(p.Paging.Next) == 0 || p.Paging.Next[0] == "" || len(p.Items) == 0 {
			return all, nil
		}
		next, nextOffset, err := nextQuery(p.Paging.Next[0], query, offset+len(p.Items))
		if err != nil {
			return nil, fmt.Errorf("fmc: GET %s: %w", path, err)
		}
		if nextOffset <= offset {
			return nil, fmt.Errorf("fmc: GET %s: paging.next does not move past offset %d", path, offset)
		}
		query, offset = next, nextOffset
	}
}

// nextQuery builds the query for the page a next link points at. Parameters
// the link omits keep their current values; expanded stays on.
func nextQuery(link string, cur url.Values, fallbackOffset int) (url.Values, int, error) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, 0, fmt.Errorf("paging.next %q is not a URL: %v", link, err)
	}
	q := url.Values{}
	for k, v := range cur {
		q[k] = append([]string(nil), v...)
	}
	for k, v := range u.Query() {
		q[k] = v
	}
	q.Set("expanded", "true")
	if q.Get("limit") == "" {
		q.Set("limit", strconv.Itoa(PageLimit))
	}
	off := fallbackOffset
	if s := u.Query().Get("offset"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return nil, 0, fmt.Errorf("paging.next %q has a bad offset", link)
		}
		off = v
	}
	q.Set("offset", strconv.Itoa(off))
	return q, off, nil
}
