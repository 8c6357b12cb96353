package fmc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TaskStatus is GET job/taskstatuses/{id}.
type TaskStatus struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	TaskType    string    `json:"taskType"`
	Status      string    `json:"status"`
	Message     string    `json:"message"`
	Description string    `json:"description"`
	SubTasks    []SubTask `json:"subTasks,omitempty"`
}

// SubTask is the part of a task that concerns one target.
type SubTask struct {
	Status  string    `json:"status"`
	Message string    `json:"message"`
	Target  Reference `json:"target"`
}

func (t *TaskStatus) UnmarshalJSON(data []byte) error {
	type plain TaskStatus
	var a struct {
		plain
		ID Text `json:"id"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	*t = TaskStatus(a.plain)
	t.ID = string(a.ID)
	return nil
}

// TaskState is a task status reduced to what a caller acts on.
type TaskState int

const (
	// TaskRunning covers pending, queued, running and any status not known
	// to be final.
	TaskRunning TaskState = iota
	TaskSucceeded
	TaskFailed
	TaskCancelled
)

func (s TaskState) String() string {
	switch s {
	case TaskSucceeded:
		return "succeeded"
	case TaskFailed:
		return "failed"
	case TaskCancelled:
		return "cancelled"
	}
	return "running"
}

// Done reports whether the task has ended.
func (s TaskState) Done() bool { return s != TaskRunning }

// State classifies Status without regard to case. No enum is documented: the
// final values here are those public clients poll for (COMPLETED, SUCCESS,
// Deployed, FAILED, …). Anything else counts as running, so an unfamiliar
// status makes WaitTask wait (bounded by its timeout) rather than report a
// success that did not happen. A finished task with a failed sub-task is
// failed.
func (t *TaskStatus) State() TaskState {
	st := classifyStatus(t.Status)
	if st == TaskSucceeded && len(t.FailedTargets()) > 0 {
		return TaskFailed
	}
	return st
}

func classifyStatus(s string) TaskState {
	n := strings.ToUpper(strings.TrimSpace(s))
	n = strings.NewReplacer(" ", "_", "-", "_").Replace(n)
	switch n {
	case "COMPLETED", "COMPLETE", "SUCCESS", "SUCCEEDED", "SUCCESSFUL", "DEPLOYED", "DONE", "FINISHED":
		return TaskSucceeded
	case "CANCELLED", "CANCELED", "ABORTED":
		return TaskCancelled
	case "FAILED", "FAILURE", "ERROR", "TIMED_OUT", "TIMEOUT":
		return TaskFailed
	}
	if strings.HasPrefix(n, "PARTIAL") || strings.Contains(n, "FAIL") {
		return TaskFailed
	}
	return TaskRunning
}

// State classifies the sub-task's status the way TaskStatus.State does.
func (s SubTask) State() TaskState { return classifyStatus(s.Status) }

// FailedTargets returns the sub-tasks that failed or were cancelled.
func (t *TaskStatus) FailedTargets() []SubTask {
	var out []SubTask
	for _, s := range t.SubTasks {
		if st := classifyStatus(s.Status); st == TaskFailed || st == TaskCancelled {
			out = append(out, s)
		}
	}
	return out
}

// GetTask reads a task's status.
func (c *Client) GetTask(ctx context.Context, id string) (*TaskStatus, error) {
	if err := requireID("task", id); err != nil {
		return nil, err
	}
	p, err := c.domainPath(ctx, "job/taskstatuses/"+url.PathEscape(id))
	if err != nil {
		return nil, err
	}
	var t TaskStatus
	if err := c.do(ctx, &call{method: http.MethodGet, path: p}, &t); err != nil {
		return nil, err
	}
	if t.ID == "" {
		t.ID = id
	}
	return &t, nil
}

// TaskFilter selects tasks for ListTasks. The management center requires
// the type; its 7.3 API documentation lists Deployment, Registration and
// Unregistration (7.4 adds PendingChangesRequest), each with its own status
// words: Deployment {Deploying, Cancelled, Failed, Succeeded}, Registration
// {Pending, Running, Success, Failed}, Unregistration and
// PendingChangesRequest {Running, Success, Failed}. An empty Status does not
// filter on status.
type TaskFilter struct {
	Type   string
	Status string
}

// String renders the filter query value: type:<Type>;status:<Status>.
func (f TaskFilter) String() string {
	s := "type:" + strings.TrimSpace(f.Type)
	if st := strings.TrimSpace(f.Status); st != "" {
		s += ";status:" + st
	}
	return s
}

func (f TaskFilter) check() error {
	if strings.TrimSpace(f.Type) == "" {
		return errors.New("fmc: listing tasks needs a task type: the management center requires filter=type:…")
	}
	if strings.ContainsAny(f.Type+f.Status, ";&") {
		return fmt.Errorf("fmc: task filter %q: a type or status cannot contain ';' or '&'", f.String())
	}
	return nil
}

// ListTasks reads the tasks that match filter (GET job/taskstatuses with
// filter=type:…;status:…), 1,000 per request. A filter without a type is
// refused before any request, as the management center would refuse it.
// The list first appears in the 7.3 documentation, so an older management
// center is expected to answer 404, and a type or status word it does not
// know 400 (assumed, not documented); refusals come back as *APIError.
func (c *Client) ListTasks(ctx context.Context, filter TaskFilter) ([]TaskStatus, error) {
	if err := filter.check(); err != nil {
		return nil, err
	}
	p, err := c.domainPath(ctx, "job/taskstatuses")
	if err != nil {
		return nil, err
	}
	return listAll[TaskStatus](ctx, c, p, url.Values{"filter": {filter.String()}})
}

// PollOptions bounds a wait. Zero fields take the defaults.
type PollOptions struct {
	// Interval is the first pause between polls (default 10s). It grows by
	// half each time nothing changed, up to MaxInterval (default 60s), and
	// drops back when the status moves.
	Interval    time.Duration
	MaxInterval time.Duration
	// Timeout bounds the whole wait (default 60 minutes); negative means
	// no bound but ctx.
	Timeout time.Duration
	// OnStatus is called with each new status or message.
	OnStatus func(TaskStatus)
}

func (o PollOptions) withDefaults() PollOptions {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = time.Minute
	}
	if o.MaxInterval < o.Interval {
		o.MaxInterval = o.Interval
	}
	if o.Timeout == 0 {
		o.Timeout = time.Hour
	}
	return o
}

// TaskFailedError is a task that ended in failure or was cancelled.
type TaskFailedError struct {
	Task *TaskStatus
}

func (e *TaskFailedError) Error() string {
	t := e.Task
	msg := fmt.Sprintf("fmc: task %s ended %s (status %q)", t.ID, t.State(), t.Status)
	if m := strings.TrimSpace(firstNonEmpty(t.Message, t.Description)); m != "" {
		msg += ": " + m
	}
	if failed := t.FailedTargets(); len(failed) > 0 {
		parts := make([]string, 0, len(failed))
		for _, s := range failed {
			who := firstNonEmpty(s.Target.Name, s.Target.ID)
			if s.Message != "" {
				who += " (" + s.Message + ")"
			}
			parts = append(parts, who)
		}
		msg += "; failed targets: " + strings.Join(parts, ", ")
	}
	return msg
}

func (e *TaskFailedError) Is(target error) bool { return target == ErrTaskFailed }

// TaskTimeoutError is a wait that ran out of time; Last is the last status
// seen, if any.
type TaskTimeoutError struct {
	ID    string
	After time.Duration
	Last  *TaskStatus
}

func (e *TaskTimeoutError) Error() string {
	msg := fmt.Sprintf("fmc: task %s still not finished after %s", e.ID, e.After)
	if e.Last != nil {
		msg += fmt.Sprintf(" (last status %q", e.Last.Status)
		if e.Last.Message != "" {
			msg += ": " + e.Last.Message
		}
		msg += ")"
	}
	return msg
}

func (e *TaskTimeoutError) Is(target error) bool {
	return target == ErrTaskTimeout || target == context.DeadlineExceeded
}

// notVisibleYet is how many 404s WaitTask accepts in a row: a task may not
// be readable the instant after it was started.
const notVisibleYet = 3

// WaitTask polls a task until it ends, opts.Timeout passes or ctx ends. It
// returns the final status, with *TaskFailedError (ErrTaskFailed) when the
// task failed or was cancelled and *TaskTimeoutError (ErrTaskTimeout) when
// time ran out. Transient failures while polling (the management center
// restarting, 5xx answers, dropped connections) do not end the wait; an
// expired token is renewed by the client.
func (c *Client) WaitTask(ctx context.Context, id string, opts PollOptions) (*TaskStatus, error) {
	if err := requireID("task", id); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	start := c.now()
	deadline := start.Add(opts.Timeout)
	interval := opts.Interval
	var last *TaskStatus
	lastKey := "\x00"
	missing := 0

	for {
		t, err := c.GetTask(ctx, id)
		switch {
		case err == nil:
			missing = 0
			last = t
			if key := t.Status + "\x00" + t.Message; key != lastKey {
				lastKey = key
				interval = opts.Interval
				c.log(ctx, "fmc: task status", map[string]any{"task": id, "status": t.Status, "message": t.Message})
				if opts.OnStatus != nil {
					opts.OnStatus(*t)
				}
			} else {
				interval = min(interval+interval/2, opts.MaxInterval)
			}
			switch t.State() {
			case TaskSucceeded:
				return t, nil
			case TaskFailed, TaskCancelled:
				return t, &TaskFailedError{Task: t}
			}
		case ctx.Err() != nil:
			return last, ctx.Err()
		case IsNotFound(err) && missing < notVisibleYet:
			missing++
		case transient(err):
			c.log(ctx, "fmc: polling the task failed; will try again", map[string]any{"task": id, "error": err.Error()})
		default:
			return last, err
		}

		wait := interval
		if opts.Timeout > 0 {
			left := deadline.Sub(c.now())
			if left <= 0 {
				return last, &TaskTimeoutError{ID: id, After: c.now().Sub(start).Round(time.Second), Last: last}
			}
			wait = min(wait, left)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return last, err
		}
	}
}

// transient reports errors worth polling through: server-side trouble and
// lost connections, not refusals.
func transient(err error) bool {
	if errors.Is(err, ErrAuthentication) || errors.Is(err, context.Canceled) {
		return false
	}
	var de *DomainError
	if errors.As(err, &de) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusRequestTimeout
	}
	return true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
