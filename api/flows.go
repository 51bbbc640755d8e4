package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// flowOperations are the contact-flow and flow-module operations (Amazon Connect API
// reference: CreateContactFlow, DescribeContactFlow, ListContactFlows, UpdateContactFlowContent,
// UpdateContactFlowMetadata, UpdateContactFlowName, DeleteContactFlow and the ContactFlowModule
// counterparts).
func flowOperations() []operation {
	return []operation{
		{name: "CreateContactFlow", pattern: "PUT /contact-flows/{InstanceId}", handle: createFlow(flow.KindFlow)},
		{name: "DescribeContactFlow", pattern: "GET /contact-flows/{InstanceId}/{ContactFlowId}", handle: describeFlow(flow.KindFlow)},
		{name: "ListContactFlows", pattern: "GET /contact-flows-summary/{InstanceId}", handle: listFlows(flow.KindFlow)},
		{name: "UpdateContactFlowContent", pattern: "POST /contact-flows/{InstanceId}/{ContactFlowId}/content", handle: updateFlowContent(flow.KindFlow)},
		{name: "UpdateContactFlowMetadata", pattern: "POST /contact-flows/{InstanceId}/{ContactFlowId}/metadata", handle: updateFlowMetadata(flow.KindFlow)},
		{name: "UpdateContactFlowName", pattern: "POST /contact-flows/{InstanceId}/{ContactFlowId}/name", handle: updateFlowMetadata(flow.KindFlow)},
		{name: "DeleteContactFlow", pattern: "DELETE /contact-flows/{InstanceId}/{ContactFlowId}", handle: deleteFlow(flow.KindFlow)},
		{name: "CreateContactFlowModule", pattern: "PUT /contact-flow-modules/{InstanceId}", handle: createFlow(flow.KindModule)},
		{name: "DescribeContactFlowModule", pattern: "GET /contact-flow-modules/{InstanceId}/{ContactFlowModuleId}", handle: describeFlow(flow.KindModule)},
		{name: "ListContactFlowModules", pattern: "GET /contact-flow-modules-summary/{InstanceId}", handle: listFlows(flow.KindModule)},
		{name: "UpdateContactFlowModuleContent", pattern: "POST /contact-flow-modules/{InstanceId}/{ContactFlowModuleId}/content", handle: updateFlowContent(flow.KindModule)},
		{name: "UpdateContactFlowModuleMetadata", pattern: "POST /contact-flow-modules/{InstanceId}/{ContactFlowModuleId}/metadata", handle: updateFlowMetadata(flow.KindModule)},
		{name: "DeleteContactFlowModule", pattern: "DELETE /contact-flow-modules/{InstanceId}/{ContactFlowModuleId}", handle: deleteFlow(flow.KindModule)},
	}
}

// flowTypes are Connect's ContactFlowType values.
var flowTypes = map[string]bool{
	"CONTACT_FLOW": true, "CUSTOMER_QUEUE": true, "CUSTOMER_HOLD": true, "CUSTOMER_WHISPER": true, "AGENT_HOLD": true,
	"AGENT_WHISPER": true, "OUTBOUND_WHISPER": true, "AGENT_TRANSFER": true, "QUEUE_TRANSFER": true, "CAMPAIGN": true,
}

const savedSuffix = ":$SAVED"

// kindUnknownReference is the problem kind of a reference to a flow or module the instance
// does not have (or has not published).
const kindUnknownReference flow.ProblemKind = "unknown_reference"

// flowARN is arn:aws:connect:{region}:{account}:instance/{instance}/contact-flow/{id} for flows
// and .../flow-module/{id} for modules.
func (s *Server) flowARN(instanceID string, kind flow.RecordKind, id string) string {
	return flowResourceARN(s.cfg.Region, s.cfg.AccountID, instanceID, kind, id)
}

// flowResourceARN is flowARN for a given region and account.
func flowResourceARN(region, accountID, instanceID string, kind flow.RecordKind, id string) string {
	seg := "contact-flow"
	if kind == flow.KindModule {
		seg = "flow-module"
	}
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/%s/%s", region, accountID, instanceID, seg, id)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// flowID reads the flow or module ID path value; a trailing ":$SAVED" selects the saved
// content. An ARN of this instance is accepted in place of the ID.
func (s *Server) flowID(c *call, instanceID string, kind flow.RecordKind) (id string, saved bool) {
	id = c.r.PathValue("ContactFlowId")
	if kind == flow.KindModule {
		id = c.r.PathValue("ContactFlowModuleId")
	}
	id, saved = strings.CutSuffix(id, savedSuffix)
	if i := strings.LastIndexByte(id, '/'); i >= 0 && strings.HasPrefix(id, "arn:") {
		id = id[i+1:]
	}
	c.ev.Resource = s.flowARN(instanceID, kind, id)
	return id, saved
}

func invalidFlow(problems []flow.Problem) error {
	type detail struct {
		Message    string `json:"message"`
		Severity   string `json:"severity"`
		Kind       string `json:"kind"`
		Identifier string `json:"identifier,omitempty"`
		Path       string `json:"path"`
	}
	var ds []detail
	for _, p := range problems {
		if p.Severity != flow.SeverityError {
			continue
		}
		ds = append(ds, detail{Message: p.String(), Severity: string(p.Severity), Kind: string(p.Kind), Identifier: p.Identifier, Path: p.Path})
	}
	msg := "the flow is not valid"
	if len(ds) > 0 {
		msg = fmt.Sprintf("the flow is not valid: %d problem(s), first: %s", len(ds), ds[0].Message)
	}
	return &apierr.Error{Code: apierr.CodeInvalidContactFlow, Message: msg, Extra: map[string]any{"problems": ds}}
}

// ValidFlowType reports whether t is one of Connect's ContactFlowType values.
func ValidFlowType(t string) bool { return flowTypes[t] }

// checkContent is CheckFlowContent for this server's region and account.
func (s *Server) checkContent(ctx context.Context, tx store.Tx, instanceID, content string, publish bool) error {
	return CheckFlowContent(ctx, tx, s.cfg.Region, s.cfg.AccountID, instanceID, content, publish)
}

// CheckFlowContent is the check CreateContactFlow and the content updates make before storing
// content: it parses content (1–256,000 characters); when publishing it also validates it and
// checks that every resource it names statically exists in the instance: flows and modules
// (published), queues, users (AgentId), hours of operation, quick connects and prompts, given
// as bare IDs or as ARNs of the instance in region and accountID, and external functions
// (associated with AssociateLambdaFunction). It answers InvalidParameterException for a bad
// length and InvalidContactFlowException with the problems list otherwise; each problem names
// the action and the JSON path of the reference.
func CheckFlowContent(ctx context.Context, tx store.Tx, region, accountID, instanceID, content string, publish bool) error {
	if content == "" || utf8.RuneCountInString(content) > 256000 {
		return apierr.InvalidParameter("Content must be 1-256000 characters")
	}
	lim := flow.DefaultLimits()
	if !publish {
		if f, ps := flow.Parse([]byte(content), lim); f == nil || flow.HasErrors(onlyStructural(ps)) {
			return invalidFlow(ps)
		}
		return nil
	}
	f, ps, err := flow.Load([]byte(content), lim)
	if err != nil {
		return invalidFlow(ps)
	}
	refs, _ := flow.ResourceRefs(f)
	var missing []flow.Problem
	known := map[string]string{} // kind/value → "" when present, else the problem message
	for _, ref := range refs {
		key := string(ref.Kind) + "/" + ref.Value
		msg, seen := known[key]
		if !seen {
			if msg, err = missingResource(ctx, tx, region, accountID, instanceID, ref); err != nil {
				return err
			}
			known[key] = msg
		}
		if msg != "" {
			missing = append(missing, flow.Problem{Severity: flow.SeverityError, Kind: kindUnknownReference, Identifier: ref.Identifier, Path: ref.Path, Message: msg})
		}
	}
	if len(missing) > 0 {
		return invalidFlow(missing)
	}
	return nil
}

// resourceSegments are the ARN segments of the kinds CheckFlowContent looks up in the store.
var resourceSegments = map[flow.ResourceKind]string{
	flow.ResourceFlow: "contact-flow", flow.ResourceModule: "flow-module", flow.ResourceQueue: arnQueue,
	flow.ResourceAgent: "agent", flow.ResourceHours: arnHours, flow.ResourceQuickConnect: arnQuickConnect,
	flow.ResourcePrompt: arnPrompt,
}

// missingResource returns why ref does not name a resource of the instance, or "" when it
// does. Kinds without a store (security keys, Lex bots) are not checked here.
func missingResource(ctx context.Context, tx store.Tx, region, accountID, instanceID string, ref flow.ResourceRef) (string, error) {
	if ref.Kind == flow.ResourceFunction {
		_, err := tx.GetFunction(ctx, instanceID, ref.Value)
		if apierr.HasCode(err, apierr.CodeResourceNotFound) {
			return fmt.Sprintf("function %q is not associated with this instance (AssociateLambdaFunction)", truncate(ref.Value, 200)), nil
		}
		return "", err
	}
	seg, ok := resourceSegments[ref.Kind]
	if !ok {
		return "", nil
	}
	noun := resourceNoun(ref.Kind)
	id, ok := localRef(region, accountID, instanceID, seg, ref.Value)
	if !ok {
		return fmt.Sprintf("%s %q is not a resource of this instance", noun, truncate(ref.Value, 200)), nil
	}
	var err error
	switch ref.Kind {
	case flow.ResourceFlow, flow.ResourceModule:
		kind := flow.KindFlow
		if ref.Kind == flow.ResourceModule {
			kind = flow.KindModule
		}
		var r flow.Record
		r, err = tx.GetFlowRecord(ctx, instanceID, kind, id)
		if err == nil && r.Content == "" {
			return fmt.Sprintf("%s %s is not published", noun, id), nil
		}
	case flow.ResourceQueue:
		_, err = tx.GetQueue(ctx, instanceID, id)
	case flow.ResourceAgent:
		_, err = tx.GetUser(ctx, instanceID, id)
	case flow.ResourceHours:
		_, err = tx.GetHours(ctx, instanceID, id)
	case flow.ResourceQuickConnect:
		_, err = tx.GetQuickConnect(ctx, instanceID, id)
	case flow.ResourcePrompt:
		_, err = tx.GetPrompt(ctx, instanceID, id)
	}
	if apierr.HasCode(err, apierr.CodeResourceNotFound) {
		return fmt.Sprintf("%s %s does not exist in this instance", noun, truncate(id, 200)), nil
	}
	return "", err
}

// resourceNoun names a resource kind in problem messages.
func resourceNoun(k flow.ResourceKind) string {
	switch k {
	case flow.ResourceFlow:
		return flow.KindFlow.Noun()
	case flow.ResourceModule:
		return flow.KindModule.Noun()
	case flow.ResourceAgent:
		return "user"
	case flow.ResourceHours:
		return "hours of operation"
	case flow.ResourceQuickConnect:
		return "quick connect"
	}
	return string(k)
}

// localRef turns a reference to a resource of the segment's kind (an ARN of the instance in
// region and accountID, or a bare ID) into the ID, reporting false for an ARN of another
// instance, account, region or kind.
func localRef(region, accountID, instanceID, segment, ref string) (string, bool) {
	if !strings.HasPrefix(ref, "arn:") {
		return ref, ref != ""
	}
	prefix := instance.ARN(region, accountID, instanceID) + "/" + segment + "/"
	id, ok := strings.CutPrefix(ref, prefix)
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// onlyStructural keeps the problems that make a document unreadable (saving accepts drafts
// with dangling references and unknown parameters, as Connect's SAVED status does).
func onlyStructural(ps []flow.Problem) []flow.Problem {
	var out []flow.Problem
	for _, p := range ps {
		switch p.Kind {
		case flow.KindSyntax, flow.KindStructure, flow.KindTooLarge, flow.KindTooDeep, flow.KindTooManyActions, flow.KindVersion:
			out = append(out, p)
		}
	}
	return out
}

// localResourceID turns a flow or module reference (an ARN of this instance or a bare ID) into
// the ID, reporting false for an ARN of another instance, account or region.
func (s *Server) localResourceID(instanceID string, kind flow.RecordKind, ref string) (string, bool) {
	return localResourceID(s.cfg.Region, s.cfg.AccountID, instanceID, kind, ref)
}

// localResourceID is the method of the same name for a given region and account.
func localResourceID(region, accountID, instanceID string, kind flow.RecordKind, ref string) (string, bool) {
	if !strings.HasPrefix(ref, "arn:") {
		return ref, true
	}
	prefix := strings.TrimSuffix(flowResourceARN(region, accountID, instanceID, kind, ""), "/")
	id, ok := strings.CutPrefix(ref, prefix+"/")
	return id, ok && id != ""
}

type createFlowInput struct {
	Name        string            `json:"Name"`
	Type        string            `json:"Type"`
	Description string            `json:"Description"`
	Content     string            `json:"Content"`
	Status      string            `json:"Status"`
	Settings    string            `json:"Settings"`
	Tags        map[string]string `json:"Tags"`
	ClientToken string            `json:"ClientToken"`
}

func validName(name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > 512 {
		return apierr.InvalidParameter("Name must be 1-512 characters")
	}
	return nil
}

func createFlow(kind flow.RecordKind) func(*Server, *call) (any, error) {
	return func(s *Server, c *call) (any, error) {
		inst, err := s.instanceID(c)
		if err != nil {
			return nil, err
		}
		var in createFlowInput
		if err := decodeBody(c.r, &in); err != nil {
			return nil, err
		}
		if err := validName(in.Name); err != nil {
			return nil, err
		}
		if len(in.Description) > 500 {
			return nil, apierr.InvalidParameter("Description must be at most 500 characters")
		}
		if len(in.Tags) > 50 {
			return nil, apierr.InvalidParameter("Tags must have at most 50 entries")
		}
		status := "PUBLISHED"
		if kind == flow.KindFlow {
			if !flowTypes[in.Type] {
				return nil, apierr.InvalidParameter("Type must be one of CONTACT_FLOW, CUSTOMER_QUEUE, CUSTOMER_HOLD, CUSTOMER_WHISPER, AGENT_HOLD, AGENT_WHISPER, OUTBOUND_WHISPER, AGENT_TRANSFER, QUEUE_TRANSFER, CAMPAIGN")
			}
			switch in.Status {
			case "", "PUBLISHED":
			case "SAVED":
				status = "SAVED"
			default:
				return nil, apierr.InvalidParameter("Status must be PUBLISHED or SAVED")
			}
		} else {
			in.Type = ""
		}
		rec := flow.Record{
			InstanceID: inst, ID: NewID(), Kind: kind, Name: in.Name, Type: in.Type, Description: in.Description,
			State: "ACTIVE", Status: status, SavedContent: in.Content, Settings: in.Settings, Version: 1, Tags: in.Tags,
			LastModified: s.cfg.Now().UTC().Truncate(1e6),
		}
		if rec.Tags == nil {
			rec.Tags = map[string]string{}
		}
		if status == "PUBLISHED" {
			rec.Content = in.Content
		}
		arn := s.flowARN(inst, kind, rec.ID)
		c.ev.Resource = arn
		err = c.update(s, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.GetInstance(ctx, inst); err != nil {
				return err
			}
			if err := s.checkContent(ctx, tx, inst, in.Content, status == "PUBLISHED"); err != nil {
				return err
			}
			return tx.CreateFlowRecord(ctx, rec)
		})
		if err != nil {
			return nil, err
		}
		if kind == flow.KindModule {
			return map[string]string{"Id": rec.ID, "Arn": arn}, nil
		}
		return map[string]string{"ContactFlowId": rec.ID, "ContactFlowArn": arn, "FlowContentSha256": sha256Hex(in.Content)}, nil
	}
}

func describeFlow(kind flow.RecordKind) func(*Server, *call) (any, error) {
	return func(s *Server, c *call) (any, error) {
		inst, err := s.instanceID(c)
		if err != nil {
			return nil, err
		}
		id, saved := s.flowID(c, inst, kind)
		var r flow.Record
		err = c.view(s, func(ctx context.Context, tx store.Tx) error {
			var err error
			r, err = tx.GetFlowRecord(ctx, inst, kind, id)
			if err == nil && !saved && r.Content == "" {
				return apierr.New("ContactFlowNotPublishedException", "%s %s has not been published; describe %s%s for its saved content", kind.Noun(), id, id, savedSuffix)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		content, status := r.Content, "PUBLISHED"
		if saved || r.Content == "" {
			content, status = r.SavedContent, r.Status
		}
		if kind == flow.KindModule {
			return map[string]any{"ContactFlowModule": map[string]any{
				"Arn": s.flowARN(inst, kind, r.ID), "Id": r.ID, "Name": r.Name, "Content": content, "Description": r.Description,
				"State": r.State, "Status": status, "Settings": r.Settings, "Tags": r.Tags,
				"FlowModuleContentSha256": sha256Hex(content), "Version": r.Version,
			}}, nil
		}
		return map[string]any{"ContactFlow": map[string]any{
			"Arn": s.flowARN(inst, kind, r.ID), "Id": r.ID, "Name": r.Name, "Type": r.Type, "State": r.State, "Status": status,
			"Description": r.Description, "Content": content, "Tags": r.Tags, "FlowContentSha256": sha256Hex(content),
			"Version": r.Version, "LastModifiedTime": float64(r.LastModified.UnixMilli()) / 1000, "LastModifiedRegion": s.cfg.Region,
		}}, nil
	}
}

func listFlows(kind flow.RecordKind) func(*Server, *call) (any, error) {
	return func(s *Server, c *call) (any, error) {
		inst, err := s.instanceID(c)
		if err != nil {
			return nil, err
		}
		q := c.r.URL.Query()
		limit := 100
		if v := q.Get("maxResults"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return nil, apierr.InvalidParameter("maxResults must be an integer from 1 to 1000")
			}
			limit = n
		}
		after := ""
		if tok := q.Get("nextToken"); tok != "" {
			b, err := base64.RawURLEncoding.DecodeString(tok)
			id, ok := strings.CutPrefix(string(b), "flow:")
			if err != nil || !ok {
				return nil, apierr.InvalidParameter("nextToken is not valid")
			}
			after = id
		}
		types := q["contactFlowTypes"]
		for _, t := range types {
			if !flowTypes[t] {
				return nil, apierr.InvalidParameter("contactFlowTypes holds an unknown type")
			}
		}
		state := q.Get("state")
		var page []flow.Record
		err = c.view(s, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.GetInstance(ctx, inst); err != nil {
				return err
			}
			var err error
			page, err = tx.ListFlowRecords(ctx, inst, kind, types, after, limit+1)
			return err
		})
		if err != nil {
			return nil, err
		}
		next := ""
		if len(page) > limit {
			page = page[:limit]
			next = base64.RawURLEncoding.EncodeToString([]byte("flow:" + page[limit-1].ID))
		}
		items := []map[string]any{}
		for _, r := range page {
			if state != "" && r.State != state {
				continue
			}
			if kind == flow.KindModule {
				items = append(items, map[string]any{"Id": r.ID, "Arn": s.flowARN(inst, kind, r.ID), "Name": r.Name, "State": r.State})
				continue
			}
			items = append(items, map[string]any{"Id": r.ID, "Arn": s.flowARN(inst, kind, r.ID), "Name": r.Name,
				"ContactFlowType": r.Type, "ContactFlowState": r.State, "ContactFlowStatus": r.Status})
		}
		out := map[string]any{}
		if kind == flow.KindModule {
			out["ContactFlowModulesSummaryList"] = items
		} else {
			out["ContactFlowSummaryList"] = items
		}
		if next != "" {
			out["NextToken"] = next
		}
		return out, nil
	}
}

func updateFlowContent(kind flow.RecordKind) func(*Server, *call) (any, error) {
	return func(s *Server, c *call) (any, error) {
		inst, err := s.instanceID(c)
		if err != nil {
			return nil, err
		}
		id, saved := s.flowID(c, inst, kind)
		var in struct {
			Content  string  `json:"Content"`
			Settings *string `json:"Settings"`
		}
		if err := decodeBody(c.r, &in); err != nil {
			return nil, err
		}
		err = c.update(s, func(ctx context.Context, tx store.Tx) error {
			r, err := tx.GetFlowRecord(ctx, inst, kind, id)
			if err != nil {
				return err
			}
			if err := s.checkContent(ctx, tx, inst, in.Content, !saved); err != nil {
				return err
			}
			r.SavedContent, r.Version, r.LastModified = in.Content, r.Version+1, s.cfg.Now().UTC().Truncate(1e6)
			if saved {
				r.Status = "SAVED"
			} else {
				r.Content, r.Status = in.Content, "PUBLISHED"
			}
			if in.Settings != nil && kind == flow.KindModule {
				r.Settings = *in.Settings
			}
			return tx.UpdateFlowRecord(ctx, r)
		})
		if err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
}

func updateFlowMetadata(kind flow.RecordKind) func(*Server, *call) (any, error) {
	return func(s *Server, c *call) (any, error) {
		inst, err := s.instanceID(c)
		if err != nil {
			return nil, err
		}
		id, _ := s.flowID(c, inst, kind)
		var in struct {
			Name             *string `json:"Name"`
			Description      *string `json:"Description"`
			ContactFlowState string  `json:"ContactFlowState"`
			State            string  `json:"State"`
		}
		if err := decodeBody(c.r, &in); err != nil {
			return nil, err
		}
		state := in.ContactFlowState
		if kind == flow.KindModule {
			state = in.State
		}
		if state != "" && state != "ACTIVE" && state != "ARCHIVED" {
			return nil, apierr.InvalidParameter("state must be ACTIVE or ARCHIVED")
		}
		if in.Name != nil {
			if err := validName(*in.Name); err != nil {
				return nil, err
			}
		}
		err = c.update(s, func(ctx context.Context, tx store.Tx) error {
			r, err := tx.GetFlowRecord(ctx, inst, kind, id)
			if err != nil {
				return err
			}
			if in.Name != nil {
				r.Name = *in.Name
			}
			if in.Description != nil {
				r.Description = *in.Description
			}
			if state != "" {
				r.State = state
			}
			r.LastModified = s.cfg.Now().UTC().Truncate(1e6)
			return tx.UpdateFlowRecord(ctx, r)
		})
		if err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
}

// deleteFlow refuses with ResourceInUseException while another flow or module of the
// instance references the target in its published or saved content.
func deleteFlow(kind flow.RecordKind) func(*Server, *call) (any, error) {
	return func(s *Server, c *call) (any, error) {
		inst, err := s.instanceID(c)
		if err != nil {
			return nil, err
		}
		id, _ := s.flowID(c, inst, kind)
		err = c.update(s, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.GetFlowRecord(ctx, inst, kind, id); err != nil {
				return err
			}
			by, err := s.referencedBy(ctx, tx, inst, kind, id)
			if err != nil {
				return err
			}
			if by != "" {
				return apierr.New(apierr.CodeResourceInUse, "%s %s is referenced by %s; remove the reference first", kind.Noun(), id, by)
			}
			return tx.DeleteFlowRecord(ctx, inst, kind, id)
		})
		if err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
}

// referencedBy names the first flow or module of the instance whose content refers to id.
func (s *Server) referencedBy(ctx context.Context, tx store.Tx, inst string, kind flow.RecordKind, id string) (string, error) {
	by := ""
	for _, k := range []flow.RecordKind{flow.KindFlow, flow.KindModule} {
		err := store.EachFlowRecord(ctx, tx, inst, k, func(r flow.Record) (bool, error) {
			if r.ID == id && k == kind {
				return false, nil
			}
			for _, content := range []string{r.Content, r.SavedContent} {
				f, _ := flow.Parse([]byte(content), flow.DefaultLimits())
				if f == nil {
					continue
				}
				res := flow.ListResources(f)
				refs := res.Flows
				if kind == flow.KindModule {
					refs = res.Modules
				}
				for _, ref := range refs {
					if rid, ok := s.localResourceID(inst, kind, ref); ok && rid == id {
						by = fmt.Sprintf("%s %q (%s)", k.Noun(), r.Name, r.ID)
						return true, nil
					}
				}
			}
			return false, nil
		})
		if err != nil || by != "" {
			return by, err
		}
	}
	return "", nil
}
