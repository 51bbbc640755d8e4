package flow

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/secret"
)

// Documented error types (flow-language-actions).
const (
	ErrNoMatchingError     = "NoMatchingError"
	ErrNoMatchingCondition = "NoMatchingCondition"
)

// DefaultMaxSteps caps the actions executed per Start or Resume, so a cycle without a
// Loop (or a Loop feeding itself) cannot hang a worker.
const DefaultMaxSteps = 1000

// Config configures an Engine. Every field is optional except Flows.
type Config struct {
	// Flows finds flows and modules by ID or ARN.
	Flows FlowSource
	// Host performs hours, metrics, task and callback effects; nil disables them.
	Host Host
	// Encryptor encrypts stored customer input; nil makes encrypted capture fail.
	Encryptor InputEncryptor
	// Adapters run service-backed action Types, keyed by Type.
	Adapters map[string]Adapter
	// Clock returns the current time (flow-log timestamps, hours checks); default time.Now.
	Clock func() time.Time
	// Random returns an integer in [0, n) (DistributeByPercentage); default always 0.
	Random func(n int) int
	// LogKey keys the HMAC-SHA256 hashes that replace sensitive values in flow logs. When
	// empty, sensitive values are written as "[REDACTED]".
	LogKey secret.Value[[]byte]
	// SensitiveAttribute reports whether a contact attribute key is marked sensitive by the
	// instance (instance.DataProtection): its values are treated like $.External values in
	// flow logs (keyed hashes). nil marks none.
	SensitiveAttribute func(key string) bool
	// MaxSteps caps actions per Start/Resume; default DefaultMaxSteps.
	MaxSteps int
}

// Engine runs flows. It is safe for concurrent use by many sessions; a Session must be
// used by one goroutine at a time.
type Engine struct {
	cfg   Config
	specs map[string]*actionSpec
}

// NewEngine returns an Engine for cfg.
func NewEngine(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = func(int) int { return 0 }
	}
	if cfg.MaxSteps <= 0 {
		cfg.MaxSteps = DefaultMaxSteps
	}
	return &Engine{cfg: cfg, specs: sharedSpecs()}
}

// Errors returned by Start and Resume for misuse; runtime trouble inside a flow never
// returns an error (it becomes an error branch, a Notice or an OutcomeError).
var (
	ErrSessionEnded      = errors.New("session has ended")
	ErrSessionNotWaiting = errors.New("session is not waiting")
	ErrSessionStarted    = errors.New("session has already started")
)

// Start runs flow flowRef (ID or ARN, resolved by Config.Flows) for s from its
// StartAction until it waits or ends. It returns an error when s has already started or
// the flow cannot be found.
func (e *Engine) Start(ctx context.Context, s *Session, flowRef string) (*Result, error) {
	if s.Outcome != nil {
		return nil, fmt.Errorf("start flow: %w", ErrSessionEnded)
	}
	if len(s.Stack) > 0 {
		return nil, fmt.Errorf("start flow: %w", ErrSessionStarted)
	}
	r := e.newRunner(ctx, s)
	ref, err := r.lookup(flowRef)
	if err != nil {
		return nil, fmt.Errorf("start flow %q: %w", flowRef, err)
	}
	s.Stack = append(s.Stack, Frame{FlowID: ref.ID, FlowName: ref.Name, Module: ref.Module, Action: ref.Flow.StartAction})
	e.loop(r, nil)
	return r.res, nil
}

// Resume answers the session's pending Wait and runs on until the next wait or the end.
// It returns an error when s is not waiting.
func (e *Engine) Resume(ctx context.Context, s *Session, ans Answer) (*Result, error) {
	if s.Outcome != nil {
		return nil, fmt.Errorf("resume flow: %w", ErrSessionEnded)
	}
	if s.Wait == nil || len(s.Stack) == 0 {
		return nil, fmt.Errorf("resume flow: %w", ErrSessionNotWaiting)
	}
	r := e.newRunner(ctx, s)
	e.loop(r, &ans)
	return r.res, nil
}

type runner struct {
	e     *Engine
	ctx   context.Context
	s     *Session
	res   *Result
	flows map[string]FlowRef
	// attrBytes is the size of Session.Attributes (keys+values), -1 until computed.
	attrBytes int
}

func (e *Engine) newRunner(ctx context.Context, s *Session) *runner {
	if s.Attributes == nil {
		s.Attributes = map[string]string{}
	}
	return &runner{e: e, ctx: ctx, s: s, res: &Result{Steps: make([]Step, 0, 16)}, attrBytes: -1}
}

func (r *runner) lookup(ref string) (FlowRef, error) {
	if fr, ok := r.flows[ref]; ok {
		return fr, nil
	}
	if r.e.cfg.Flows == nil {
		return FlowRef{}, fmt.Errorf("no flow source: %w", ErrFlowNotFound)
	}
	fr, err := r.e.cfg.Flows.LookupFlow(r.ctx, ref)
	if err != nil {
		return FlowRef{}, err
	}
	if fr.Flow == nil {
		return FlowRef{}, fmt.Errorf("flow %q has no document: %w", ref, ErrFlowNotFound)
	}
	if fr.ID == "" {
		fr.ID = ref
	}
	if r.flows == nil {
		r.flows = make(map[string]FlowRef, 2)
	}
	r.flows[ref] = fr
	r.flows[fr.ID] = fr
	return fr, nil
}

func (r *runner) frame() *Frame { return r.s.top() }

func (r *runner) notice(a *Action, code, detail string) {
	r.res.Notices = append(r.res.Notices, Notice{Identifier: a.Identifier, Type: a.Type, Code: code, Detail: detail})
}

// missing records that a capability is not configured and fails with NoMatchingError.
func (r *runner) missing(a *Action, capability string) step {
	r.notice(a, "capability_missing", capability)
	return step{err: ErrNoMatchingError, note: "capability not configured: " + capability}
}

func (e *Engine) end(r *runner, o Outcome) {
	if fr := r.s.top(); fr != nil && o.FlowID == "" {
		o.FlowID, o.Action = fr.FlowID, fr.Action
	}
	r.s.Outcome = &o
	r.s.Wait = nil
	r.res.Outcome = &o
}

func (e *Engine) loop(r *runner, ans *Answer) {
	s := r.s
	for n := 0; ; n++ {
		fr := s.top()
		if fr == nil {
			e.end(r, Outcome{Kind: OutcomeEnded, Reason: "call stack empty"})
			return
		}
		ref, err := r.lookup(fr.FlowID)
		if err != nil {
			e.end(r, Outcome{Kind: OutcomeError, Reason: fmt.Sprintf("flow %q not found", fr.FlowID)})
			return
		}
		a := ref.Flow.Action(fr.Action)
		if a == nil {
			e.end(r, Outcome{Kind: OutcomeError, Reason: fmt.Sprintf("action %q not found in flow %q", fr.Action, fr.FlowID)})
			return
		}
		spec := e.specs[a.Type]
		wasLogging := s.Logging
		var st step
		switch {
		case ans != nil:
			if spec == nil || spec.resume == nil || s.Wait == nil || s.Wait.Action != a.Identifier {
				e.end(r, Outcome{Kind: OutcomeError, Reason: fmt.Sprintf("action %q cannot be resumed", a.Identifier)})
				return
			}
			s.Wait = nil
			st = spec.resume(r, a, *ans)
			ans = nil
		case n >= e.cfg.MaxSteps:
			r.notice(a, "step_limit", fmt.Sprintf("more than %d actions in one run", e.cfg.MaxSteps))
			e.end(r, Outcome{Kind: OutcomeError, Reason: fmt.Sprintf("step limit of %d actions reached", e.cfg.MaxSteps)})
			return
		case spec == nil:
			r.notice(a, "unknown_type", "action type is not supported")
			st = step{err: ErrNoMatchingError, note: "unsupported action type"}
		default:
			st = spec.run(r, a)
		}
		logged := -1
		if wasLogging || s.Logging {
			logged = len(r.res.Log)
			r.res.Log = append(r.res.Log, r.logEntry(ref, a, st))
		}
		if st.wait != nil {
			st.wait.FlowID, st.wait.Action = ref.ID, a.Identifier
			s.Wait = st.wait
			r.res.Wait = st.wait
			r.step(a, "Wait:"+string(st.wait.Kind), 0, logged)
			return
		}
		if st.end != nil {
			r.step(a, "End:"+string(st.end.Kind), 0, logged)
			st.end.FlowID, st.end.Action = ref.ID, a.Identifier
			e.end(r, *st.end)
			return
		}
		if st.jumped {
			r.step(a, st.branch, 0, logged)
			continue
		}
		next, branch, cond := choose(a, &st)
		r.step(a, branch, cond, logged)
		if next == "" {
			if st.err != "" {
				r.notice(a, "unhandled_error", "no transition for error "+st.err)
				e.end(r, Outcome{Kind: OutcomeError, Reason: fmt.Sprintf("action %q failed with %s and has no error branch", a.Identifier, st.err)})
			} else {
				e.end(r, Outcome{Kind: OutcomeEnded, Reason: fmt.Sprintf("action %q has no next action", a.Identifier)})
			}
			return
		}
		s.top().Action = next
	}
}

// step traces the action just run with the branch it took; when the action was logged (log
// is the index of its entry, -1 when not), the entry gets the branch without values: a
// condition is named by its position (cond, 1-based; 0 for any other branch), not by its
// operand, which may say what a sensitive value was compared with.
func (r *runner) step(a *Action, branch string, cond, log int) {
	r.res.Steps = append(r.res.Steps, Step{Identifier: a.Identifier, Type: a.Type, Branch: branch})
	if log < 0 {
		return
	}
	if cond > 0 {
		branch = "Condition:" + strconv.Itoa(cond)
	}
	r.res.Log[log].Branch = branch
}

// choose applies the transition rules (flow-language-actions, "Transitions"): an error
// takes its ErrorType entry, else NoMatchingError; a result with Conditions takes the
// first matching condition, else NoMatchingCondition, else NextAction. It returns the next
// action, the branch label and, for a condition, its position (1-based; 0 otherwise).
func choose(a *Action, st *step) (string, string, int) {
	t := &a.Transitions
	if st.err != "" {
		for _, e := range t.Errors {
			if e.ErrorType == st.err {
				return e.NextAction, e.branch(), 0
			}
		}
		for _, e := range t.Errors {
			if e.ErrorType == ErrNoMatchingError {
				return e.NextAction, "Error:" + ErrNoMatchingError, 0
			}
		}
		return "", "Error:" + st.err, 0
	}
	if st.hasResult && len(t.Conditions) > 0 {
		for i, c := range t.Conditions {
			if conditionHolds(c.Condition, st.result) {
				return c.NextAction, c.branch(), i + 1
			}
		}
		for _, e := range t.Errors {
			if e.ErrorType == ErrNoMatchingCondition {
				return e.NextAction, "Error:" + ErrNoMatchingCondition, 0
			}
		}
	}
	return t.NextAction, "NextAction", 0
}

func (e *ErrorTransition) branch() string {
	if e.label != "" {
		return e.label
	}
	return "Error:" + e.ErrorType
}

func (c *ConditionTransition) branch() string {
	if c.label != "" {
		return c.label
	}
	op := ""
	if len(c.Condition.Operands) > 0 {
		op = c.Condition.Operands[0]
	}
	return "Condition:" + op
}

// conditionHolds evaluates one condition against result (flow-language-actions,
// "Conditions"). Number operators are false when either side is not a number; a nested
// condition as operand, which no documented operator takes, never holds.
func conditionHolds(c Condition, result string) bool {
	if len(c.Operands) == 0 || c.Nested[0] != nil {
		return false
	}
	op := c.Operands[0]
	switch c.Operator {
	case "Equals":
		return result == op
	case "TextStartsWith":
		return strings.HasPrefix(result, op)
	case "TextEndsWith":
		return strings.HasSuffix(result, op)
	case "TextContains":
		return strings.Contains(result, op)
	case "NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo":
		x, err1 := strconv.ParseFloat(strings.TrimSpace(result), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(op), 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch c.Operator {
		case "NumberGreaterThan":
			return x > y
		case "NumberGreaterOrEqualTo":
			return x >= y
		case "NumberLessThan":
			return x < y
		default:
			return x <= y
		}
	}
	return false
}

// operators lists the condition operators Connect documents.
func knownOperator(op string) bool {
	switch op {
	case "Equals", "TextStartsWith", "TextEndsWith", "TextContains", "NumberGreaterThan",
		"NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo":
		return true
	}
	return false
}
