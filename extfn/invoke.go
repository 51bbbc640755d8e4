package extfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ringfence/ringfence/egress"
)

const (
	// MaxTimeout is the longest invocation: Connect's InvocationTimeLimitSeconds "must be greater
	// than 0, no larger than 8, and an integer" (flow language action "InvokeLambdaFunction").
	MaxTimeout = 8 * time.Second
	// MaxRequestBytes caps the encoded event: 6 MB, the AWS Lambda quota for a synchronous
	// invocation payload (Lambda Developer Guide, "Lambda quotas").
	MaxRequestBytes = 6 << 20
)

// Result is a successful invocation. Its values may be sensitive: String and LogValue show only
// the mode, the number of keys and the size, never keys or values.
type Result struct {
	// Mode is the response mode the answer was checked against.
	Mode ResponseMode
	// Values holds the flat map in STRING_MAP mode (what $.External.<Key> reads); nil in JSON mode.
	Values map[string]string
	// JSON holds the compacted document in JSON mode ($.External is this document); nil in
	// STRING_MAP mode.
	JSON json.RawMessage
	// Duration is the wall-clock time of the call.
	Duration time.Duration
}

// String describes r without its content.
func (r Result) String() string {
	return "extfn result " + string(r.Mode) + ": " + strconv.Itoa(len(r.Values)) + " keys, " + strconv.Itoa(len(r.JSON)) + " JSON bytes, " + r.Duration.String()
}

// GoString describes r without its content (covers %#v).
func (r Result) GoString() string { return r.String() }

// LogValue implements slog.LogValuer without the content.
func (r Result) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("mode", string(r.Mode)),
		slog.Int("keys", len(r.Values)),
		slog.Int("json_bytes", len(r.JSON)),
		slog.Duration("duration", r.Duration),
	)
}

// InvokerOptions configure an Invoker.
type InvokerOptions struct {
	// Now is the clock used for request timestamps and durations; nil means time.Now.
	Now func() time.Time
	// StringifyScalars makes STRING_MAP mode accept number and boolean values as their JSON
	// text instead of failing with KindBadResponse (see ParseStringMap).
	StringifyScalars bool
}

// Invoker calls the functions of one Registry. It is safe for concurrent use.
type Invoker struct {
	reg  *Registry
	opts InvokerOptions
}

// NewInvoker returns an Invoker over reg.
func NewInvoker(reg *Registry, opts InvokerOptions) *Invoker {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Invoker{reg: reg, opts: opts}
}

// Invoke calls the function registered for arn with event and checks the answer against mode
// ("" means ResponseStringMap). timeout is the action's InvocationTimeLimitSeconds: greater than
// 0 and at most MaxTimeout; it bounds the whole call, body included.
//
// Endpoints get an HTTPS POST of the event as JSON (Content-Type application/json) with
// HeaderTimestamp and HeaderSignature, through the function's egress client (no retries:
// Connect's retries on Lambda throttling do not apply to an endpoint). A 2xx answer is parsed
// per mode; any other status fails. Built-ins run in their own goroutine under the same
// deadline; one that ignores ctx is abandoned at the deadline and runs on in the background.
//
// Every failure is an *Error: KindInvalid, KindNotFound, KindTimeout, KindRefused,
// KindTransport, KindStatus, KindBadResponse, KindTooLarge, KindFunction or KindCanceled.
func (inv *Invoker) Invoke(ctx context.Context, arn string, event Event, timeout time.Duration, mode ResponseMode) (Result, error) {
	start := inv.opts.Now()
	if mode == "" {
		mode = ResponseStringMap
	}
	if mode != ResponseStringMap && mode != ResponseJSON {
		return Result{}, &Error{Kind: KindInvalid, ARN: arn, Detail: "unknown response mode " + strconv.Quote(string(mode))}
	}
	if timeout <= 0 || timeout > MaxTimeout {
		return Result{}, &Error{Kind: KindInvalid, ARN: arn, Detail: "timeout " + timeout.String() + " outside (0, 8s]"}
	}
	fn, ok := inv.reg.lookup(arn)
	if !ok {
		return Result{}, &Error{Kind: KindNotFound, ARN: arn, Detail: "no such function in this instance"}
	}
	var (
		res Result
		err error
	)
	if fn.client != nil {
		res, err = inv.callEndpoint(ctx, fn, event, timeout, mode)
	} else {
		res, err = inv.callBuiltin(ctx, fn, event, timeout, mode)
	}
	if err != nil {
		return Result{}, err
	}
	res.Mode = mode
	res.Duration = inv.opts.Now().Sub(start)
	return res, nil
}

func (inv *Invoker) callEndpoint(ctx context.Context, fn *function, event Event, timeout time.Duration, mode ResponseMode) (Result, error) {
	arn := fn.cfg.ARN
	body, err := json.Marshal(event.normalized())
	if err != nil {
		return Result{}, &Error{Kind: KindInvalid, ARN: arn, Detail: "encode event", Err: err}
	}
	if len(body) > MaxRequestBytes {
		return Result{}, &Error{Kind: KindInvalid, ARN: arn, Detail: "event of " + strconv.Itoa(len(body)) + " bytes exceeds " + strconv.Itoa(MaxRequestBytes)}
	}
	ts := inv.opts.Now().Unix()
	req, err := http.NewRequest(http.MethodPost, fn.url.String(), bytes.NewReader(body))
	if err != nil {
		return Result{}, &Error{Kind: KindInvalid, ARN: arn, Detail: "build request", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(fn.cfg.Endpoint.SigningSecret, ts, body))
	resp, err := fn.client.Do(ctx, req, timeout)
	if err != nil {
		return Result{}, endpointError(arn, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, &Error{Kind: KindStatus, ARN: arn, Status: resp.StatusCode, Detail: "endpoint answered a non-2xx status"}
	}
	return inv.parse(arn, resp.Body, mode)
}

// endpointError maps an egress failure to its Kind.
func endpointError(arn string, err error) error {
	var refused *egress.Error
	if errors.As(err, &refused) {
		kind := KindRefused
		switch refused.Rule {
		case egress.RuleTimeout:
			kind = KindTimeout
		case egress.RuleSize:
			kind = KindTooLarge
		}
		return &Error{Kind: kind, ARN: arn, Rule: refused.Rule, Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: KindCanceled, ARN: arn, Err: err}
	}
	return &Error{Kind: KindTransport, ARN: arn, Err: err}
}

// parse checks an answer's size and shape for mode.
func (inv *Invoker) parse(arn string, body []byte, mode ResponseMode) (Result, error) {
	if len(body) >= MaxResponseBytes {
		return Result{}, &Error{Kind: KindTooLarge, ARN: arn, Detail: "response of " + strconv.Itoa(len(body)) + " bytes, want less than " + strconv.Itoa(MaxResponseBytes)}
	}
	if mode == ResponseJSON {
		doc, err := ParseJSON(body)
		if err != nil {
			return Result{}, &Error{Kind: KindBadResponse, ARN: arn, Err: err}
		}
		return Result{JSON: doc}, nil
	}
	values, err := ParseStringMap(body, inv.opts.StringifyScalars)
	if err != nil {
		return Result{}, &Error{Kind: KindBadResponse, ARN: arn, Err: err}
	}
	return Result{Values: values}, nil
}

// builtinAnswer is what a built-in goroutine hands back.
type builtinAnswer struct {
	body []byte
	err  error
}

func (inv *Invoker) callBuiltin(ctx context.Context, fn *function, event Event, timeout time.Duration, mode ResponseMode) (Result, error) {
	arn := fn.cfg.ARN
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan builtinAnswer, 1)
	ev := event.normalized()
	go func() {
		var ans builtinAnswer
		defer func() {
			if p := recover(); p != nil {
				ans = builtinAnswer{err: fmt.Errorf("built-in %q panicked", fn.builtin.Name)}
			}
			done <- ans
		}()
		if fn.builtin.StringMap != nil {
			m, err := fn.builtin.StringMap(ctx, ev)
			if err != nil {
				ans.err = err
				return
			}
			if m == nil {
				m = map[string]string{}
			}
			ans.body, ans.err = json.Marshal(m)
			return
		}
		ans.body, ans.err = fn.builtin.JSON(ctx, ev)
	}()
	select {
	case ans := <-done:
		if ans.err != nil {
			if ctx.Err() != nil {
				return Result{}, contextError(ctx, arn, ans.err)
			}
			return Result{}, &Error{Kind: KindFunction, ARN: arn, Detail: "built-in " + strconv.Quote(fn.builtin.Name) + " failed", Err: ans.err}
		}
		return inv.parse(arn, ans.body, mode)
	case <-ctx.Done():
		return Result{}, contextError(ctx, arn, ctx.Err())
	}
}

// contextError maps a finished context to KindTimeout or KindCanceled.
func contextError(ctx context.Context, arn string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, ARN: arn, Detail: "built-in did not answer in time", Err: err}
	}
	return &Error{Kind: KindCanceled, ARN: arn, Err: err}
}
