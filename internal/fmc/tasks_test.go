package fmc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fmcupgrade/terraform-provider-fmcupgrade/internal/httpx/httpxtest"
)

// taskScript serves a task whose status follows the fake clock: each step
// holds from its offset after the first poll.
type taskStep struct {
	after time.Duration
	body  map[string]any
}

func scriptTask(f *fakeFMC, id string, steps []taskStep) {
	var first time.Time
	f.handle("GET {domain}/job/taskstatuses/"+id, func(w http.ResponseWriter, r *http.Request) {
		now := f.now()
		if first.IsZero() {
			first = now
		}
		cur := steps[0].body
		for _, s := range steps {
			if now.Sub(first) >= s.after {
				cur = s.body
			}
		}
		writeJSON(w, http.StatusOK, cur)
	})
}

func status(s, msg string) map[string]any {
	return map[string]any{"id": "8589935884", "type": "TaskStatus", "status": s, "message": msg}
}

func TestTaskStateClassification(t *testing.T) {
	tests := []struct {
		status string
		subs   []SubTask
		want   TaskState
	}{
		{"PENDING", nil, TaskRunning},
		{"In Progress", nil, TaskRunning},
		{"", nil, TaskRunning},
		{"SOMETHING_NEW", nil, TaskRunning},
		{"COMPLETED", nil, TaskSucceeded},
		{"Success", nil, TaskSucceeded},
		{"Deployed", nil, TaskSucceeded},
		{"FAILED", nil, TaskFailed},
		{"Deployment failed", nil, TaskFailed},
		{"PARTIALLY_SUCCEEDED", nil, TaskFailed},
		{"Cancelled", nil, TaskCancelled},
		{"COMPLETED", []SubTask{{Status: "COMPLETED"}, {Status: "FAILED", Target: Reference{Name: "ftd-2"}}}, TaskFailed},
	}
	for _, tc := range tests {
		ts := &TaskStatus{Status: tc.status, SubTasks: tc.subs}
		if got := ts.State(); got != tc.want {
			t.Errorf("State(%q, %v) = %v, want %v", tc.status, tc.subs, got, tc.want)
		}
	}
}

func TestWaitTask(t *testing.T) {
	failed := map[string]any{"id": "8589935884", "status": "COMPLETED", "message": "Upgrade finished",
		"subTasks": []any{
			map[string]any{"status": "COMPLETED", "target": map[string]any{"id": "d1", "name": "ftd-1"}},
			map[string]any{"status": "FAILED", "message": "Readiness check failed: disk space", "target": map[string]any{"id": "d2", "name": "ftd-2"}},
		}}
	tests := []struct {
		name       string
		steps      []taskStep
		opts       PollOptions
		wantErr    error
		wantStatus string
		wantText   string
	}{
		{"runs to completion", []taskStep{
			{0, status("PENDING", "Queued")},
			{3 * time.Minute, status("RUNNING", "Copying package")},
			{20 * time.Minute, status("COMPLETED", "Upgrade finished")},
		}, PollOptions{Interval: 30 * time.Second, MaxInterval: 2 * time.Minute}, nil, "COMPLETED", ""},
		{"failed sub-task", []taskStep{{0, status("RUNNING", "")}, {5 * time.Minute, failed}},
			PollOptions{Interval: time.Minute}, ErrTaskFailed, "COMPLETED", "ftd-2 (Readiness check failed: disk space)"},
		{"cancelled", []taskStep{{0, status("RUNNING", "")}, {time.Minute, status("CANCELLED", "Cancelled by admin")}},
			PollOptions{Interval: 10 * time.Second}, ErrTaskFailed, "CANCELLED", "Cancelled by admin"},
		{"times out", []taskStep{{0, status("RUNNING", "Upgrading")}},
			PollOptions{Interval: time.Minute, Timeout: 45 * time.Minute}, ErrTaskTimeout, "RUNNING", "still not finished after 45m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeFMC(t, clock)
			scriptTask(f, "8589935884", tc.steps)
			c, _ := newTestClient(t, f)
			var seen []string
			tc.opts.OnStatus = func(s TaskStatus) { seen = append(seen, s.Status) }
			start := clock.Now()
			got, err := c.WaitTask(context.Background(), "8589935884", tc.opts)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantText)
			}
			if got == nil || got.Status != tc.wantStatus {
				t.Fatalf("final status = %+v", got)
			}
			if len(seen) != len(dedupe(seen)) {
				t.Fatalf("OnStatus repeated a status: %v", seen)
			}
			if errors.Is(err, ErrTaskTimeout) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatal("timeout does not match context.DeadlineExceeded")
				}
				if el := clock.Now().Sub(start); el < 45*time.Minute || el > 47*time.Minute {
					t.Fatalf("timed out after %v", el)
				}
			}
			for _, d := range clock.Sleeps() {
				if d <= 0 || d > 2*time.Minute {
					t.Fatalf("poll pause %v outside (0, MaxInterval]", d)
				}
			}
		})
	}
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || s[i-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func TestWaitTaskBacksOffWhileNothingChanges(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFMC(t, clock)
	scriptTask(f, "t1", []taskStep{{0, status("RUNNING", "")}, {30 * time.Minute, status("COMPLETED", "")}})
	c, _ := newTestClient(t, f)
	if _, err := c.WaitTask(context.Background(), "t1", PollOptions{Interval: 10 * time.Second, MaxInterval: time.Minute}); err != nil {
		t.Fatal(err)
	}
	polls := f.count(http.MethodGet, "{domain}/job/taskstatuses/t1")
	// 30 minutes at a 10s interval would be 180 polls; growing to 60s it is
	// about 35.
	if polls > 45 || polls < 25 {
		t.Fatalf("%d polls over 30 minutes", polls)
	}
}

// TestWaitTaskSurvivesTokenExpiryMidPoll polls a two-and-a-half-hour task.
// The client renews its token before the 30-minute expiry (three refreshes,
// then a new login), and a token revoked mid-poll is recovered from with
// one 401.
func TestWaitTaskSurvivesTokenExpiryMidPoll(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFMC(t, clock)
	scriptTask(f, "t-long", []taskStep{{0, status("RUNNING", "Upgrading")}, {150 * time.Minute, status("COMPLETED", "Done")}})
	var polls atomic.Int32
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if strings.HasSuffix(r.URL.Path, "/t-long") && polls.Add(1) == 40 {
			f.revokeAll()
		}
		return false
	}
	c, _ := newTestClient(t, f)
	got, err := c.WaitTask(context.Background(), "t-long", PollOptions{Interval: time.Minute, MaxInterval: time.Minute, Timeout: 4 * time.Hour})
	if err != nil || got.Status != "COMPLETED" {
		t.Fatalf("WaitTask = %+v, %v", got, err)
	}
	if f.logins < 2 || f.refreshes < 3 {
		t.Fatalf("logins = %d, refreshes = %d", f.logins, f.refreshes)
	}
	// Only the revocation costs a 401; expiry is renewed ahead of time.
	if f.unauthorised != 1 {
		t.Fatalf("%d answers were 401, want 1", f.unauthorised)
	}
	if polls.Load() < 150 {
		t.Fatalf("only %d polls", polls.Load())
	}
}

func TestWaitTaskToleratesTransientFailures(t *testing.T) {
	clock := newFakeClock()
	f := newFakeFMC(t, clock)
	var n atomic.Int32
	f.handle("GET {domain}/job/taskstatuses/t2", func(w http.ResponseWriter, r *http.Request) {
		switch k := n.Add(1); {
		case k <= 2:
			writeError(w, http.StatusNotFound, "Task not found.") // not visible yet
		case k <= 12:
			writeError(w, http.StatusServiceUnavailable, "Management center restarting.")
		case k <= 14:
			httpxtest.ResetConn(t, w)
		default:
			writeJSON(w, http.StatusOK, status("SUCCESS", ""))
		}
	})
	c, sink := newTestClient(t, f)
	got, err := c.WaitTask(context.Background(), "t2", PollOptions{Interval: 10 * time.Second, Timeout: time.Hour})
	if err != nil || got.Status != "SUCCESS" {
		t.Fatalf("WaitTask = %+v, %v", got, err)
	}
	if !sink.Contains("polling the task failed") {
		t.Fatal("transient failures not logged")
	}
}

func TestWaitTaskStopsOnPermanentErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(w http.ResponseWriter)
	}{
		{"404 that persists", func(w http.ResponseWriter) { writeError(w, http.StatusNotFound, "Task not found.") }},
		{"403", func(w http.ResponseWriter) { writeError(w, http.StatusForbidden, "Access denied.") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFMC(t, newFakeClock())
			f.handle("GET {domain}/job/taskstatuses/t3", func(w http.ResponseWriter, r *http.Request) { tc.answer(w) })
			c, _ := newTestClient(t, f)
			_, err := c.WaitTask(context.Background(), "t3", PollOptions{Interval: time.Second})
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v", err)
			}
			if n := f.count(http.MethodGet, "{domain}/job/taskstatuses/t3"); n > notVisibleYet+1 {
				t.Fatalf("%d polls", n)
			}
		})
	}
}

func TestWaitTaskHonoursContext(t *testing.T) {
	f := newFakeFMC(t, nil)
	f.handle("GET {domain}/job/taskstatuses/t4", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, status("RUNNING", "")) })
	c, _ := newTestClient(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	last, err := c.WaitTask(ctx, "t4", PollOptions{Interval: time.Hour})
	if !errors.Is(err, context.Canceled) || last == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("WaitTask = %+v, %v after %v", last, err, time.Since(start))
	}
}

func TestGetTaskNumericID(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET {domain}/job/taskstatuses/42", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":42,"type":"TaskStatus","taskType":"DEVICE_DEPLOYMENT","status":"Deployed","subTasks":[{"status":"Deployed","target":{"id":"d1","type":"Device"}}]}`))
	})
	c, _ := newTestClient(t, f)
	ts, err := c.GetTask(context.Background(), "42")
	if err != nil || ts.ID != "42" || ts.TaskType != "DEVICE_DEPLOYMENT" || ts.State() != TaskSucceeded || ts.SubTasks[0].Target.ID != "d1" {
		t.Fatalf("GetTask = %+v, %v", ts, err)
	}
}

func TestListTasks(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	items := make([]any, 1500)
	for i := range items {
		items[i] = map[string]any{"id": 8589935000 + i, "type": "TaskStatus", "taskType": "DEVICE_DEPLOYMENT", "status": "Deploying",
			"subTasks": []any{map[string]any{"status": "Deploying", "target": map[string]any{"id": fmt.Sprintf("d%d", i), "type": "Device"}}}}
	}
	f.handle("GET {domain}/job/taskstatuses", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("filter"); got != "type:Deployment;status:Deploying" {
			writeError(w, http.StatusBadRequest, "unexpected filter "+got)
			return
		}
		servePaged(w, r, items)
	})
	c, _ := newTestClient(t, f)
	ts, err := c.ListTasks(context.Background(), TaskFilter{Type: "Deployment", Status: "Deploying"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != len(items) {
		t.Fatalf("%d tasks, want %d", len(ts), len(items))
	}
	if got := ts[1499]; got.ID != "8589936499" || got.TaskType != "DEVICE_DEPLOYMENT" || got.State() != TaskRunning ||
		len(got.SubTasks) != 1 || got.SubTasks[0].Target.ID != "d1499" || got.SubTasks[0].State() != TaskRunning {
		t.Fatalf("last task %+v", got)
	}
	reads := 0
	for _, r := range f.seen() {
		if r.Method != http.MethodGet {
			continue
		}
		reads++
		if r.Query.Get("expanded") != "true" || r.Query.Get("limit") != "1000" || r.Query.Get("filter") != "type:Deployment;status:Deploying" {
			t.Errorf("request %s?%s", r.Path, r.Query.Encode())
		}
	}
	if reads != 2 {
		t.Fatalf("%d reads for 1,500 tasks, want 2", reads)
	}
}

// A next link may carry the filter with a raw ';', which net/url does not
// read as part of a value; the filter of the first request is kept.
func TestListTasksKeepsFilterAcrossPages(t *testing.T) {
	f := newFakeFMC(t, newFakeClock())
	var filters []string
	f.handle("GET {domain}/job/taskstatuses", func(w http.ResponseWriter, r *http.Request) {
		filters = append(filters, r.URL.Query().Get("filter"))
		page := map[string]any{"items": []any{map[string]any{"id": "t1", "status": "RUNNING"}},
			"paging": map[string]any{"offset": 0, "limit": 1, "count": 2, "pages": 2,
				"next": []string{"https://fmc.unreachable.invalid" + r.URL.Path + "?offset=1&limit=1&expanded=true&filter=type:Upgrade;status:Running"}}}
		if r.URL.Query().Get("offset") == "1" {
			page = map[string]any{"items": []any{map[string]any{"id": "t2", "status": "RUNNING"}},
				"paging": map[string]any{"offset": 1, "limit": 1, "count": 2, "pages": 2}}
		}
		writeJSON(w, http.StatusOK, page)
	})
	c, _ := newTestClient(t, f)
	ts, err := c.ListTasks(context.Background(), TaskFilter{Type: "Upgrade", Status: "Running"})
	if err != nil || len(ts) != 2 || ts[1].ID != "t2" {
		t.Fatalf("ListTasks = %+v, %v", ts, err)
	}
	if len(filters) != 2 || filters[0] != "type:Upgrade;status:Running" || filters[1] != filters[0] {
		t.Fatalf("filters sent: %q", filters)
	}
}

func TestListTasksRefusals(t *testing.T) {
	if got := (TaskFilter{Type: " Registration "}).String(); got != "type:Registration" {
		t.Errorf("type-only filter = %q", got)
	}
	f := newFakeFMC(t, newFakeClock())
	f.handle("GET {domain}/job/taskstatuses", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusBadRequest, "Invalid type Upgrade in the filter.")
	})
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	for _, bad := range []TaskFilter{{}, {Status: "Running"}, {Type: "Deployment", Status: "Deploying;type:Registration"}} {
		if _, err := c.ListTasks(ctx, bad); err == nil {
			t.Errorf("ListTasks(%+v) sent", bad)
		}
	}
	if n := len(f.seen()); n != 0 {
		t.Fatalf("%d requests for refused filters", n)
	}
	_, err := c.ListTasks(ctx, TaskFilter{Type: "Upgrade", Status: "Running"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(strings.Join(ae.Messages, " "), "Invalid type Upgrade") {
		t.Fatalf("refused filter: %v", err)
	}
	if n := f.count(http.MethodGet, "{domain}/job/taskstatuses"); n != 1 {
		t.Fatalf("a 400 was sent %d times", n)
	}

	// A management center without the list (before 7.3) answers 404.
	g := newFakeFMC(t, newFakeClock())
	c2, _ := newTestClient(t, g)
	if _, err := c2.ListTasks(ctx, TaskFilter{Type: "Deployment", Status: "Deploying"}); !IsNotFound(err) {
		t.Fatalf("no task list: %v", err)
	}
}
