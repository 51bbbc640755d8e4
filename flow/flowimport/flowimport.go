// Package flowimport brings a flow exported from Amazon Connect into a Ringfence instance.
// An export names the resources of the instance it came from by ARN (queues, flows, flow
// modules, hours of operation, prompts, Lambda functions, users, quick connects, ...), and
// its designer Metadata records their names (ActionMetadata.<id>.queue.text,
// .ContactFlow.text, .contactFlowModuleName, .Hours.text, .parameters.<Param>.displayName,
// ...). Import finds each resource in the target instance by ID or by that name, or by an
// override the caller gives, rewrites the references to the target's ARNs and reports every
// reference with its action Identifier and JSON path: mapped, unmapped, or external (kept as
// written, a warning).
//
// The package is pure: the target instance is reached only through a Resolver.
package flowimport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ringfence/ringfence/flow"
)

// Resource is a resource of the target instance.
type Resource struct {
	// ID is the resource's ID (for a security key, its association ID).
	ID string
	// ARN is the resource's ARN in the target instance; "" for kinds without one (security
	// keys), in which case the ID is written.
	ARN string
	// Name is the resource's name (a user's username; a security key has none).
	Name string
	// PublicKey is a security key's PEM text; "" for other kinds.
	PublicKey string
}

// ref is what a reference to r is rewritten to: its ARN, or its ID when it has none.
func (r Resource) ref() string {
	if r.ARN != "" {
		return r.ARN
	}
	return r.ID
}

// Resolver finds resources in the target instance.
type Resolver interface {
	// Find returns the resource of a stored kind (Kind.Stored) whose ID is ref or, when none
	// has that ID, whose name is ref (a user's username; a security key's PEM text, compared
	// without surrounding white space). ok is false when there is none. Errors are the
	// store's.
	Find(ctx context.Context, kind Kind, ref string) (r Resource, ok bool, err error)
}

// Options are the caller's choices.
type Options struct {
	// Overrides maps a value as the export writes it (an ARN, the resource ID at the end of
	// an ARN, a bare ID or name, or a template placeholder such as "${QueueArn}"), or the JSON
	// path of one resource parameter as the report gives it
	// ("$.Actions[6].Parameters.EventHooks.AgentWhisper", for a placeholder used for several
	// resources), to the target: a name or ID the Resolver finds for stored kinds (prompts
	// included), the value to write for the others (a function ARN, text for a placeholder in
	// free text).
	Overrides map[string]string
	// InstanceARN is the target instance's ARN; instance ARNs in the document map to it.
	InstanceARN string
}

// Status is the outcome of one reference.
type Status string

// The statuses.
const (
	// Mapped: the reference now names a resource of the target instance (or the override's
	// value).
	Mapped Status = "mapped"
	// Unmapped: nothing in the target instance matches; importing needs an override.
	Unmapped Status = "unmapped"
	// External: a resource outside the instance (a Lambda function, a Lex bot, a view, another
	// AWS service) kept as written; the instance's mappings for it must be configured apart.
	// A warning, not a failure.
	External Status = "external"
	// Cleared: designer Metadata named a resource that no action uses and the target does not
	// have; the value was emptied, as Connect exports an unselected resource.
	Cleared Status = "cleared"
)

// Via says how a mapped reference was matched.
const (
	ViaOverride = "override"
	ViaID       = "id"
	ViaName     = "name"
	ViaInstance = "instance"
)

// Reference is one reference found in the document.
type Reference struct {
	// Identifier is the action's Identifier; "" for references in the top-level Metadata.
	Identifier string `json:"identifier,omitempty"`
	// Path is the JSON path of the value, e.g. $.Actions[3].Parameters.QueueId.
	Path string `json:"path"`
	Kind Kind   `json:"kind"`
	// Value is the reference as the export writes it: an ARN, an ID, a name or a template
	// placeholder.
	Value string `json:"value"`
	// Name is the resource's name as the export's Metadata records it, when it does.
	Name string `json:"name,omitempty"`
	// Target is what the reference was rewritten to (Mapped).
	Target string `json:"target,omitempty"`
	Status Status `json:"status"`
	// Via is how a Mapped reference was matched: ViaOverride, ViaID, ViaName, ViaInstance.
	Via string `json:"via,omitempty"`
	// Message explains an Unmapped, External or Cleared reference.
	Message string `json:"message,omitempty"`
}

// Result is the imported document with its report.
type Result struct {
	// Content is the rewritten document (compact JSON, Metadata included).
	Content []byte
	// Name, Description and FlowType come from the top-level Metadata (name, description,
	// type); FlowType is the API's ContactFlowType (CONTACT_FLOW, CUSTOMER_QUEUE, ...), ""
	// when the export does not say or names a type the API does not have.
	Name, Description, FlowType string
	// Module is true for a flow module (the document has Settings).
	Module bool
	// References lists every reference in document order (Actions, then Metadata).
	References []Reference
	// UnusedOverrides lists the override keys that matched nothing, sorted.
	UnusedOverrides []string
}

// Unmapped returns the references that stop an import.
func (r *Result) Unmapped() []Reference { return r.filter(Unmapped) }

// Warnings returns the references kept as written (External).
func (r *Result) Warnings() []Reference { return r.filter(External) }

func (r *Result) filter(s Status) []Reference {
	var out []Reference
	for _, ref := range r.References {
		if ref.Status == s {
			out = append(out, ref)
		}
	}
	return out
}

// designerTypes maps the Metadata "type" of console exports to the API's ContactFlowType.
var designerTypes = map[string]string{
	"contactFlow": "CONTACT_FLOW", "customerQueue": "CUSTOMER_QUEUE", "customerHold": "CUSTOMER_HOLD",
	"customerWhisper": "CUSTOMER_WHISPER", "agentHold": "AGENT_HOLD", "agentWhisper": "AGENT_WHISPER",
	"outboundWhisper": "OUTBOUND_WHISPER", "agentTransfer": "AGENT_TRANSFER", "queueTransfer": "QUEUE_TRANSFER",
	"campaign": "CAMPAIGN",
}

// ErrNotAFlow is wrapped by Import's error when the document cannot be read as a flow.
var ErrNotAFlow = errors.New("not a Flow-language document")

// Import maps every reference of the exported document doc to the target instance. It fails
// only when doc cannot be read as a flow (ErrNotAFlow, with the first problem) or the
// Resolver fails; references that cannot be mapped are reported in the Result.
func Import(ctx context.Context, doc []byte, res Resolver, opts Options) (*Result, error) {
	f, ps := flow.Parse(doc, flow.DefaultLimits())
	if f == nil {
		msg := "unreadable"
		for _, p := range ps {
			if p.Severity == flow.SeverityError {
				msg = p.String()
				break
			}
		}
		return nil, fmt.Errorf("%w: %s", ErrNotAFlow, msg)
	}
	im := &importer{ctx: ctx, res: res, opts: opts, used: map[string]bool{}, repl: map[string]string{},
		cache: map[cacheKey]outcome{}, idText: map[string]string{}, seen: map[string]bool{}}
	out := &Result{Module: f.IsModule()}
	var md map[string]any
	if len(f.Metadata) > 0 {
		dec := json.NewDecoder(bytes.NewReader(f.Metadata))
		dec.UseNumber()
		if err := dec.Decode(&md); err != nil {
			md = nil // Metadata that is not an object carries no names; it is kept as is
		}
	}
	if md != nil {
		out.Name, _ = md["name"].(string)
		out.Description, _ = md["description"].(string)
		if t, _ := md["type"].(string); t != "" {
			out.FlowType = designerTypes[t]
		}
		collectIDText(md, im.idText)
	}
	actionMD, _ := md["ActionMetadata"].(map[string]any)
	for i := range f.Actions {
		a := &f.Actions[i]
		am, _ := actionMD[a.Identifier].(map[string]any)
		base := fmt.Sprintf("$.Actions[%d]", i)
		for _, field := range []struct{ name, v string }{{"Identifier", a.Identifier}, {"Type", a.Type}} {
			im.placeholdersOnly(a.Identifier, base+"."+field.name, field.v)
		}
		if a.Parameters == nil {
			continue
		}
		for _, k := range sortedKeys(a.Parameters) {
			nv, err := im.walk(a, am, []string{k}, base+".Parameters"+pathKey(k), a.Parameters[k])
			if err != nil {
				return nil, err
			}
			a.Parameters[k] = nv
		}
		if err := im.securityKeyPEM(a); err != nil {
			return nil, err
		}
	}
	im.placeholdersOnly("", "$.StartAction", f.StartAction)
	if md != nil {
		nmd, err := im.metadata(md, "$.Metadata")
		if err != nil {
			return nil, err
		}
		b, err := encode(nmd)
		if err != nil {
			return nil, err
		}
		f.Metadata = b
	}
	content, err := encode(f)
	if err != nil {
		return nil, err
	}
	out.Content = content
	out.References = im.refs
	for k := range opts.Overrides {
		if !im.used[k] {
			out.UnusedOverrides = append(out.UnusedOverrides, k)
		}
	}
	sort.Strings(out.UnusedOverrides)
	return out, nil
}

// encode writes v as compact JSON without HTML escaping (SSML keeps its angle brackets).
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode flow: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

type cacheKey struct {
	kind  Kind
	value string
	name  string
}

// outcome is the answer for one (kind, value, name): shared by every occurrence.
type outcome struct {
	target, via, msg string
	status           Status
	res              Resource
}

type importer struct {
	ctx    context.Context
	res    Resolver
	opts   Options
	used   map[string]bool
	repl   map[string]string // source value -> written value, for Metadata
	seen   map[string]bool   // source values of the actions' references
	cache  map[cacheKey]outcome
	idText map[string]string // Metadata {"id": X, "text": name} pairs
	refs   []Reference
}

// override returns the override for the first of keys that has one.
func (im *importer) override(keys ...string) (string, bool) {
	for _, k := range keys {
		if k == "" {
			continue
		}
		if v, ok := im.opts.Overrides[k]; ok {
			im.used[k] = true
			return v, true
		}
	}
	return "", false
}

// resolve decides what a reference of kind k written as value (with the resource's own ID
// idPart, and the name the Metadata records) becomes.
func (im *importer) resolve(k Kind, path, value, idPart, name string) (outcome, error) {
	if ov, ok := im.override(path); ok && path != "" {
		return im.resolveOverride(k, ov)
	}
	key := cacheKey{k, value, name}
	if o, ok := im.cache[key]; ok {
		im.override(value, idPart) // mark as used again (harmless)
		return o, nil
	}
	o, err := im.resolveOnce(k, value, idPart, name)
	if err != nil {
		return o, err
	}
	im.cache[key] = o
	return o, nil
}

func (im *importer) resolveOnce(k Kind, value, idPart, name string) (outcome, error) {
	if ov, ok := im.override(value, idPart); ok {
		return im.resolveOverride(k, ov)
	}
	if len(flow.Placeholders(value)) > 0 && !k.Stored() {
		if k == KindPlaceholder {
			return outcome{status: Unmapped, msg: "unresolved template placeholder; map it with an override"}, nil
		}
		return outcome{status: Unmapped, msg: fmt.Sprintf("unresolved template placeholder where %s is expected; map it with an override", k.article())}, nil
	}
	switch {
	case k == KindInstance:
		if im.opts.InstanceARN == "" {
			return outcome{status: Unmapped, msg: "the target instance ARN is not known"}, nil
		}
		return outcome{target: im.opts.InstanceARN, via: ViaInstance, status: Mapped}, nil
	case k == KindFunction:
		return outcome{status: External, msg: "external function mapping required: configure this ARN's endpoint for the instance, or map it to another function ARN"}, nil
	case k.external():
		return outcome{status: External, msg: fmt.Sprintf("%s kept as written: the instance's adapter for it must be configured apart", k.Noun())}, nil
	case !k.Stored():
		return outcome{status: Unmapped, msg: fmt.Sprintf("%s is not a resource this instance stores; map it with an override", k.Noun())}, nil
	}
	if idPart != "" && len(flow.Placeholders(idPart)) == 0 {
		r, found, err := im.res.Find(im.ctx, k, idPart)
		if err != nil {
			return outcome{}, err
		}
		switch {
		case found && (r.ID == idPart || k == KindSecurityKey):
			return outcome{target: r.ref(), via: ViaID, status: Mapped, res: r}, nil
		case found && !strings.HasPrefix(value, "arn:"):
			// A hand-written reference by name ("BasicQueue").
			return outcome{target: r.ref(), via: ViaName, status: Mapped, res: r}, nil
		}
	}
	if name != "" && len(flow.Placeholders(name)) == 0 {
		r, found, err := im.res.Find(im.ctx, k, name)
		if err != nil {
			return outcome{}, err
		}
		if found {
			return outcome{target: r.ref(), via: ViaName, status: Mapped, res: r}, nil
		}
	}
	switch {
	case len(flow.Placeholders(value)) > 0 && name == "":
		return outcome{status: Unmapped, msg: fmt.Sprintf("unresolved template placeholder where %s is expected, and no name in the Metadata; map it with an override", k.article())}, nil
	case name != "":
		return outcome{status: Unmapped, msg: fmt.Sprintf("no %s named %q in this instance", k.Noun(), name)}, nil
	}
	return outcome{status: Unmapped, msg: fmt.Sprintf("no %s with this ID in this instance and no name in the Metadata", k.Noun())}, nil
}

// resolveOverride maps a reference of kind k to the override's value ov: a resource the
// Resolver finds for a stored kind, the value itself for the others.
func (im *importer) resolveOverride(k Kind, ov string) (outcome, error) {
	if !k.Stored() {
		return outcome{target: ov, via: ViaOverride, status: Mapped}, nil
	}
	r, found, err := im.res.Find(im.ctx, k, ov)
	if err != nil {
		return outcome{}, err
	}
	if !found {
		return outcome{status: Unmapped, msg: fmt.Sprintf("the override %q names no %s of this instance", ov, k.Noun())}, nil
	}
	return outcome{target: r.ref(), via: ViaOverride, status: Mapped, res: r}, nil
}

func (im *importer) add(r Reference, o outcome) {
	if !strings.HasPrefix(r.Path, "$.Metadata") {
		im.seen[r.Value] = true
	}
	r.Status, r.Target, r.Via, r.Message = o.status, o.target, o.via, o.msg
	im.refs = append(im.refs, r)
}

// walk rewrites the parameter value v at parameter path ppath (keys and indexes as text).
func (im *importer) walk(a *flow.Action, am map[string]any, ppath []string, path string, v any) (any, error) {
	switch x := v.(type) {
	case string:
		return im.value(a, am, ppath, path, x)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			im.placeholdersOnly(a.Identifier, path+pathKey(k), k)
			nv, err := im.walk(a, am, append(ppath[:len(ppath):len(ppath)], k), path+pathKey(k), x[k])
			if err != nil {
				return nil, err
			}
			x[k] = nv
		}
		return x, nil
	case []any:
		for i, e := range x {
			nv, err := im.walk(a, am, append(ppath[:len(ppath):len(ppath)], strconv.Itoa(i)), fmt.Sprintf("%s[%d]", path, i), e)
			if err != nil {
				return nil, err
			}
			x[i] = nv
		}
		return x, nil
	}
	return v, nil
}

// value rewrites one string parameter value.
func (im *importer) value(a *flow.Action, am map[string]any, ppath []string, path, s string) (string, error) {
	pos := positionKind(ppath)
	ref := Reference{Identifier: a.Identifier, Path: path, Value: s}
	phs := flow.Placeholders(s)
	if pos != "" {
		ref.Kind, ref.Name = pos, im.nameHint(a, am, ppath, s)
		// A whole value at a resource position: an ARN, an ID, a name or a placeholder.
		if s == "" {
			return s, nil // nothing selected (CheckHoursOfOperation then uses the queue's hours)
		}
		if whole := findARNs(s); len(phs) > 0 || len(whole) == 1 && whole[0] == [2]int{0, len(s)} || !isDynamic(s) && len(whole) == 0 {
			idPart := s
			if ref.Kind == KindView && len(whole) == 0 && len(phs) == 0 {
				return s, nil // a view by its own name ("form"): AWS's views are the same everywhere
			}
			if len(phs) == 0 && len(whole) == 1 {
				pa := parseARN(s)
				if pa.managed() {
					return s, nil
				}
				if pa.kind != KindExternal && pa.kind != "" {
					ref.Kind = pa.kind
				}
				idPart = pa.id
			}
			o, err := im.resolve(ref.Kind, path, s, idPart, ref.Name)
			if err != nil {
				return "", err
			}
			im.add(ref, o)
			if o.status == Mapped {
				im.repl[s] = o.target
				return o.target, nil
			}
			return s, nil
		}
	}
	// Free text (or a dynamic value at a resource position): placeholders, then ARNs inside.
	if len(phs) > 0 {
		out := s
		for _, p := range phs {
			o, err := im.resolve(KindPlaceholder, "", p, "", "")
			if err != nil {
				return "", err
			}
			im.add(Reference{Identifier: a.Identifier, Path: path, Kind: KindPlaceholder, Value: p}, o)
			if o.status == Mapped {
				out = strings.Replace(out, p, o.target, 1)
			}
		}
		return out, nil
	}
	return im.embedded(a.Identifier, path, s, false)
}

// embedded maps the ARNs inside s (a free-text parameter or designer Metadata). In Metadata
// (meta), an ARN no action uses is mapped when the target has it and cleared otherwise.
func (im *importer) embedded(id, path, s string, meta bool) (string, error) {
	locs := findARNs(s)
	if len(locs) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		b.WriteString(s[last:l[0]])
		last = l[1]
		text := s[l[0]:l[1]]
		if t, ok := im.repl[text]; ok && meta {
			b.WriteString(t)
			continue
		}
		pa := parseARN(text)
		if pa.managed() || meta && im.seen[text] {
			// AWS's own resource, or one an action's reference already reports.
			b.WriteString(text)
			continue
		}
		ref := Reference{Identifier: id, Path: path, Kind: pa.kind, Value: text, Name: im.idText[text]}
		o, err := im.resolve(pa.kind, "", text, pa.id, ref.Name)
		if err != nil {
			return "", err
		}
		if meta && o.status != Mapped {
			o = outcome{status: Cleared, msg: "designer Metadata only (no action uses it): " + o.msg}
			im.add(ref, o)
			continue
		}
		im.add(ref, o)
		if o.status == Mapped {
			im.repl[text] = o.target
			b.WriteString(o.target)
		} else {
			b.WriteString(text)
		}
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// metadata rewrites the designer Metadata: values an action's reference was mapped from are
// replaced by what it was mapped to; other ARNs go through embedded.
func (im *importer) metadata(v any, path string) (any, error) {
	switch x := v.(type) {
	case string:
		if t, ok := im.repl[x]; ok {
			return t, nil
		}
		if im.seen[x] {
			return x, nil // an unmapped action reference: reported there
		}
		return im.embedded("", path, x, true)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			nv, err := im.metadata(x[k], path+pathKey(k))
			if err != nil {
				return nil, err
			}
			x[k] = nv
		}
		return x, nil
	case []any:
		for i, e := range x {
			nv, err := im.metadata(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			x[i] = nv
		}
		return x, nil
	}
	return v, nil
}

// placeholdersOnly reports the placeholders of a value that is never rewritten (an
// Identifier, a Type, a parameter key, the StartAction).
func (im *importer) placeholdersOnly(id, path, s string) {
	for _, p := range flow.Placeholders(s) {
		im.add(Reference{Identifier: id, Path: path, Kind: KindPlaceholder, Value: p},
			outcome{status: Unmapped, msg: "unresolved template placeholder in a value that cannot be rewritten"})
	}
}

// securityKeyPEM keeps GetParticipantInput's InputEncryption.Key in step with its
// EncryptionKeyId: when the ID now names a key of the target instance, the PEM written beside
// it becomes that key's, so input is never encrypted to the source instance's key.
func (im *importer) securityKeyPEM(a *flow.Action) error {
	enc, _ := a.Parameters["InputEncryption"].(map[string]any)
	if enc == nil {
		return nil
	}
	id, _ := enc["EncryptionKeyId"].(string)
	key, _ := enc["Key"].(string)
	if id == "" || isDynamic(id) || isDynamic(key) {
		return nil
	}
	r, found, err := im.res.Find(im.ctx, KindSecurityKey, id)
	if err != nil || !found || r.PublicKey == "" || strings.TrimSpace(r.PublicKey) == strings.TrimSpace(key) {
		return err
	}
	enc["Key"] = r.PublicKey
	return nil
}

// isDynamic reports whether s holds a $. reference or a template placeholder.
func isDynamic(s string) bool { return strings.Contains(s, "$.") || len(flow.Placeholders(s)) > 0 }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pathKey renders an object member for a JSON path: ".Key" or `["odd key"]`, as the flow
// validator's problems do.
func pathKey(k string) string {
	plain := k != ""
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}
