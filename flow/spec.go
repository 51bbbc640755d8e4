package flow

// ActionStatus says how Ringfence handles an action Type.
type ActionStatus string

// Action statuses.
const (
	// StatusExecuted: the engine runs the action itself (possibly through Host).
	StatusExecuted ActionStatus = "executed"
	// StatusAdapter: the action needs an external service; it runs through an Adapter
	// when one is configured and otherwise takes its documented error branch.
	StatusAdapter ActionStatus = "adapter-or-error-branch"
)

// ActionInfo describes one supported action Type (for documentation and tooling).
type ActionInfo struct {
	Type string `json:"type"`
	// Category is the Flow-language reference section: participant, contact,
	// flow-control or interaction.
	Category string       `json:"category"`
	Status   ActionStatus `json:"status"`
	// Summary says what the action does in Ringfence, in one sentence.
	Summary string `json:"summary"`
	// Terminal is true when the action ends the flow and needs no NextAction.
	Terminal bool `json:"terminal,omitempty"`
}

type paramKind int

const (
	pText   paramKind = iota // a scalar; literal, reference or text with references
	pBool                    // "True"/"False" (any case) or a JSON boolean
	pInt                     // an integer within [min,max], or a reference
	pObject                  // a JSON object
	pList                    // a JSON array
	pAny                     // anything
)

type paramRule struct {
	name     string
	kind     paramKind
	required bool
	min, max int
	enum     []string
}

// step is the outcome of running one action.
type step struct {
	err       string // error type; empty on success
	result    string // the value Conditions are matched against
	hasResult bool
	wait      *Wait
	end       *Outcome
	jumped    bool   // the action moved the call stack itself
	branch    string // overrides the traced branch for jumps
	note      string // flow-log Results note (capability missing, ...)
	results   string // flow-log Results (non-sensitive)
	hide      bool   // omit Results from the flow log (stored input)
	external  map[string]string
}

type actionSpec struct {
	info   ActionInfo
	params []paramRule
	check  func(c *checker, a *Action, path string)
	run    func(r *runner, a *Action) step
	resume func(r *runner, a *Action, ans Answer) step
}

func fail(errType string) step { return step{err: errType} }

func ok() step { return step{} }

func result(v string) step { return step{result: v, hasResult: true, results: v} }
