// Package flowcli provides the "flow" command: validate Flow-language documents and
// simulate them without a running contact center. The binary wires NewCommand into its
// root command; errors that carry an exit code are *ExitError.
package flowcli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/inputcrypt"
	"github.com/ringfence/ringfence/secret"
	"github.com/spf13/cobra"
)

// Exit codes returned through ExitError.
const (
	// ExitInvalid: a document has error-severity problems (validate, simulate).
	ExitInvalid = 1
	// ExitNotTerminal: the simulation stopped before a terminal outcome (no answer for
	// a wait, or the resume limit was reached).
	ExitNotTerminal = 2
	// ExitUsage: a flag or file could not be used.
	ExitUsage = 64
)

// ExitError is returned by the commands when the process should exit with Code. Err
// (possibly nil) says why; the command has already printed its report.
type ExitError struct {
	Code int
	Err  error
}

// Error implements error.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *ExitError) Unwrap() error { return e.Err }

// NewCommand returns the "flow" command with the "validate" and "simulate" subcommands.
// The subcommands print their report to the command's output and return an *ExitError
// without printing it: the caller prints Err (when not nil) to standard error and exits
// with Code.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "flow",
		Short: "Validate and simulate Amazon Connect Flow-language documents",
	}
	cmd.AddCommand(newValidateCommand(), newSimulateCommand())
	return cmd
}

func newValidateCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Report every problem in flow documents (exit 0 when all are valid, 1 otherwise)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd.OutOrStdout(), args, asJSON)
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the problems as JSON")
	return cmd
}

type fileReport struct {
	File     string         `json:"file"`
	Valid    bool           `json:"valid"`
	Problems []flow.Problem `json:"problems"`
}

func loadFile(path string) (*flow.Flow, []flow.Problem, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open flow: %w", err)
	}
	defer fh.Close()
	f, ps, err := flow.ReadAll(fh, flow.Limits{})
	if err != nil {
		return nil, nil, err
	}
	if f != nil {
		ps = append(ps, flow.Validate(f)...)
	}
	return f, ps, nil
}

func runValidate(w io.Writer, files []string, asJSON bool) error {
	reports := make([]fileReport, 0, len(files))
	allValid := true
	for _, path := range files {
		_, ps, err := loadFile(path)
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("validate %s: %w", path, err)}
		}
		if ps == nil {
			ps = []flow.Problem{}
		}
		r := fileReport{File: path, Valid: !flow.HasErrors(ps), Problems: ps}
		allValid = allValid && r.Valid
		reports = append(reports, r)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"valid": allValid, "files": reports}); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else {
		for _, r := range reports {
			status := "valid"
			if !r.Valid {
				status = "invalid"
			}
			fmt.Fprintf(w, "%s: %s\n", r.File, status)
			for _, p := range r.Problems {
				fmt.Fprintf(w, "  %s\n", p)
			}
		}
	}
	if !allValid {
		return &ExitError{Code: ExitInvalid, Err: errors.New("invalid flow")}
	}
	return nil
}

type simulateOptions struct {
	channel    string
	inputs     []string
	functions  []string
	attributes []string
	flows      []string
	auto       bool
	asJSON     bool
	hoursOpen  bool
	maxResumes int
}

func newSimulateCommand() *cobra.Command {
	var o simulateOptions
	cmd := &cobra.Command{
		Use:   "simulate FILE",
		Short: "Run a flow with scripted answers and print the path it takes (exit 0 when it reaches an outcome)",
		Long: `Runs FILE in the flow engine. Waits are answered from the flags: --input values in order for
customer input, --function ARN=RESPONSE.json for external functions; queues, transfers and
dialling succeed. With --auto, input waits without a --input take their first menu option
(a phone number input gets the simulated customer's number, other stored input times out), functions without a response fail, event waits time out.
Hours checks use --hours-open; stored input is "encrypted" by a stand-in that never
reveals the digits. Other flows and modules resolve to --flow ID=FILE, else the action
takes its error branch.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSimulate(cmd.Context(), cmd.OutOrStdout(), args[0], o)
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	fl := cmd.Flags()
	fl.StringVar(&o.channel, "channel", "VOICE", "contact channel: VOICE, CHAT or TASK")
	fl.StringArrayVar(&o.inputs, "input", nil, "customer input for the next input wait (repeatable, in order)")
	fl.StringArrayVar(&o.functions, "function", nil, "ARN=RESPONSE.json: the response of an external function (repeatable)")
	fl.StringArrayVar(&o.attributes, "attribute", nil, "k=v: a contact attribute set before the flow starts (repeatable)")
	fl.StringArrayVar(&o.flows, "flow", nil, "ID=FILE: a flow or module that TransferToFlow/InvokeFlowModule may reach (repeatable)")
	fl.BoolVar(&o.auto, "auto", false, "answer every wait without a scripted answer automatically")
	fl.BoolVar(&o.asJSON, "json", false, `print {"outcome": ..., "steps": [...]} as JSON`)
	fl.BoolVar(&o.hoursOpen, "hours-open", true, "what CheckHoursOfOperation answers")
	fl.IntVar(&o.maxResumes, "max-waits", 200, "stop after answering this many waits")
	return cmd
}

// simulatedCustomer is the simulated customer's number (E.164, fictional range).
const simulatedCustomer = "+15555550100"

// simHost answers hours and metrics checks and pretends to create tasks and callbacks.
type simHost struct {
	open bool
	n    *int
}

func (h simHost) HoursOpen(context.Context, string, string, time.Time) (bool, error) {
	return h.open, nil
}

func (simHost) QueueMetrics(_ context.Context, q, _, _ string) (flow.QueueMetrics, error) {
	return flow.QueueMetrics{QueueARN: q}, nil
}

func (h simHost) CreateTask(context.Context, flow.TaskRequest) (string, error) {
	*h.n++
	return fmt.Sprintf("simulated-task-%d", *h.n), nil
}

func (h simHost) CreateCallback(context.Context, flow.CallbackRequest) (string, error) {
	*h.n++
	return fmt.Sprintf("simulated-callback-%d", *h.n), nil
}

// simEncryptor encrypts captured input for real (package inputcrypt: the AWS Encryption SDK
// format for RSA keys, HPKE for EC keys) when the flow's InputEncryption.Key is a usable
// public key or certificate, and records each ciphertext for the report; `ringfence decrypt`
// with the private key then prints the input. For a placeholder key (templates, samples) it
// returns a marker naming the key and the input length, never the digits.
type simEncryptor struct {
	provider *inputcrypt.Provider
	out      *[]string
}

func (e simEncryptor) EncryptInput(keyID, key string, in secret.Value[string]) (string, error) {
	if _, err := inputcrypt.ParsePublicKey([]byte(key)); err != nil {
		return fmt.Sprintf("SIMULATED-CIPHERTEXT(key=%s,length=%d)", keyID, len(in.Reveal())), nil
	}
	ct, err := e.provider.EncryptInput(keyID, key, in)
	if err != nil {
		return "", err
	}
	*e.out = append(*e.out, ct)
	return ct, nil
}

func splitPair(s, flag string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", &ExitError{Code: ExitUsage, Err: fmt.Errorf("--%s %q: want KEY=VALUE", flag, s)}
	}
	return k, v, nil
}

type simStep struct {
	Identifier string `json:"identifier"`
	Type       string `json:"type"`
	Branch     string `json:"branch"`
}

type simReport struct {
	Outcome  *flow.Outcome  `json:"outcome"`
	Steps    []simStep      `json:"steps"`
	Messages []flow.Message `json:"messages,omitempty"`
	Notices  []flow.Notice  `json:"notices,omitempty"`
	Waiting  *flow.Wait     `json:"waiting,omitempty"`
	// EncryptedInput lists the ciphertexts (base64) of input captured with encryption.
	EncryptedInput []string `json:"encryptedInput,omitempty"`
}

func runSimulate(ctx context.Context, w io.Writer, file string, o simulateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	flows := flow.FlowSet{}
	mainID := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	load := func(id, path string) error {
		f, ps, err := loadFile(path)
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("simulate %s: %w", path, err)}
		}
		if f == nil || flow.HasErrors(ps) {
			for _, p := range ps {
				fmt.Fprintf(w, "%s: %s\n", path, p)
			}
			return &ExitError{Code: ExitInvalid, Err: fmt.Errorf("simulate %s: invalid flow", path)}
		}
		flows[id] = flow.FlowRef{ID: id, Name: filepath.Base(path), Module: f.IsModule(), Flow: f}
		return nil
	}
	if err := load(mainID, file); err != nil {
		return err
	}
	for _, spec := range o.flows {
		id, path, err := splitPair(spec, "flow")
		if err != nil {
			return err
		}
		if err := load(id, path); err != nil {
			return err
		}
	}
	responses := map[string]json.RawMessage{}
	for _, spec := range o.functions {
		arn, path, err := splitPair(spec, "function")
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("read function response: %w", err)}
		}
		if !json.Valid(b) {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("function response %s is not JSON", path)}
		}
		responses[arn] = b
	}
	channel := strings.ToUpper(o.channel)
	switch channel {
	case "VOICE", "CHAT", "TASK":
	default:
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--channel %q: want VOICE, CHAT or TASK", o.channel)}
	}
	s := flow.NewSession(flow.Contact{ContactID: "simulated-contact", InitialContactID: "simulated-contact", Channel: channel,
		CustomerEndpoint: flow.Endpoint{Address: simulatedCustomer, Type: "TELEPHONE_NUMBER"},
		SystemEndpoint:   flow.Endpoint{Address: "+15555550199", Type: "TELEPHONE_NUMBER"}})
	for _, kv := range o.attributes {
		k, v, err := splitPair(kv, "attribute")
		if err != nil {
			return err
		}
		s.Attributes[k] = v
	}
	n := 0
	rep := simReport{Steps: []simStep{}}
	enc := simEncryptor{provider: inputcrypt.NewProvider().ForContact("simulated-instance", s.Contact.ContactID), out: &rep.EncryptedInput}
	e := flow.NewEngine(flow.Config{Flows: flows, Host: simHost{open: o.hoursOpen, n: &n}, Encryptor: enc})
	printed := 0
	collect := func(r *flow.Result) {
		for _, st := range r.Steps {
			rep.Steps = append(rep.Steps, simStep(st))
			if !o.asJSON {
				fmt.Fprintf(w, "%-40s %-36s %s\n", st.Identifier, st.Type, st.Branch)
			}
		}
		rep.Messages = append(rep.Messages, r.Messages...)
		rep.Notices = append(rep.Notices, r.Notices...)
		if !o.asJSON {
			for _, ct := range rep.EncryptedInput[printed:] {
				fmt.Fprintf(w, "  encrypted input: %s\n", ct)
			}
			printed = len(rep.EncryptedInput)
			for _, m := range r.Messages {
				fmt.Fprintf(w, "  message: %s\n", messageText(m))
			}
			for _, nt := range r.Notices {
				fmt.Fprintf(w, "  notice: %s %s\n", nt.Code, nt.Detail)
			}
		}
	}
	res, err := e.Start(ctx, s, mainID)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("simulate: %w", err)}
	}
	collect(res)
	inputs := o.inputs
	for i := 0; s.Waiting() && i < o.maxResumes; i++ {
		ans, ok := answerFor(s.Wait, &inputs, responses, o.auto)
		if !ok {
			break
		}
		if !o.asJSON {
			fmt.Fprintf(w, "  answer %s: %s\n", s.Wait.Kind, describe(ans))
		}
		res, err = e.Resume(ctx, s, ans)
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("simulate: %w", err)}
		}
		collect(res)
	}
	rep.Outcome = s.Outcome
	if s.Waiting() {
		rep.Waiting = s.Wait
	}
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else if s.Outcome != nil {
		fmt.Fprintf(w, "outcome: %s %s\n", s.Outcome.Kind, s.Outcome.Reason)
	} else {
		fmt.Fprintf(w, "stopped: waiting for %s at %q\n", s.Wait.Kind, s.Wait.Action)
	}
	if s.Outcome == nil {
		return &ExitError{Code: ExitNotTerminal, Err: errors.New("flow did not reach an outcome")}
	}
	return nil
}

func messageText(m flow.Message) string {
	switch {
	case m.Text != "":
		return m.Text
	case m.SSML != "":
		return m.SSML
	case m.PromptID != "":
		return "prompt " + m.PromptID
	}
	return "media " + m.MediaURI
}

func describe(a flow.Answer) string {
	switch {
	case a.ErrorType != "":
		return "error " + a.ErrorType
	case a.Timeout:
		return "timeout"
	case a.Event != "":
		return "event " + a.Event
	case a.External != nil || a.ExternalJSON != nil:
		return "function response"
	}
	if v := a.Input.Reveal(); v != "" {
		return "input"
	}
	return "ok"
}

// answerFor picks the answer to w from the scripted inputs and responses, or
// automatically; ok is false when there is none.
func answerFor(w *flow.Wait, inputs *[]string, responses map[string]json.RawMessage, auto bool) (flow.Answer, bool) {
	switch w.Kind {
	case flow.WaitInput:
		if len(*inputs) > 0 {
			v := (*inputs)[0]
			*inputs = (*inputs)[1:]
			return flow.Answer{Input: secret.New(v)}, true
		}
		if !auto {
			return flow.Answer{}, false
		}
		if w.Input != nil && len(w.Input.Options) > 0 {
			return flow.Answer{Input: secret.New(w.Input.Options[0])}, true
		}
		if w.Input != nil && w.Input.PhoneNumber != "" {
			return flow.Answer{Input: secret.New(simulatedCustomer)}, true
		}
		return flow.Answer{Timeout: true}, true
	case flow.WaitFunction:
		if raw, ok := responses[w.Function.ARN]; ok {
			if w.Function.ResponseType == "JSON" {
				return flow.Answer{ExternalJSON: raw}, true
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				return flow.Answer{ErrorType: flow.ErrNoMatchingError}, true
			}
			out := make(map[string]string, len(m))
			for k, v := range m {
				if s, ok := v.(string); ok {
					out[k] = s
				} else {
					b, _ := json.Marshal(v)
					out[k] = string(b)
				}
			}
			return flow.Answer{External: out}, true
		}
		if !auto {
			return flow.Answer{}, false
		}
		return flow.Answer{ErrorType: flow.ErrNoMatchingError}, true
	case flow.WaitQueue, flow.WaitThirdParty, flow.WaitOutboundCall:
		return flow.Answer{}, true
	case flow.WaitEvent, flow.WaitMessages:
		if !auto {
			return flow.Answer{}, false
		}
		return flow.Answer{Timeout: true}, true
	}
	return flow.Answer{}, false
}
