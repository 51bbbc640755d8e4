package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/routing"
	"github.com/ringfence/ringfence/store"
)

// routingOperations are the routing-configuration operations: hours of operation, queues,
// routing profiles, agent statuses (with PutUserStatus) and quick connects. The store keeps
// the configuration; a running router takes it through routing.LoadConfig.
func routingOperations() []operation {
	var ops []operation
	for _, group := range [][]operation{hoursOperations(), queueOperations(), routingProfileOperations(), agentStatusOperations(), quickConnectOperations()} {
		ops = append(ops, group...)
	}
	return ops
}

// The ARN segments of routing resources: arn:aws:connect:{region}:{account}:instance/{instance}/{segment}/{id}.
const (
	arnHours          = "operating-hours"
	arnQueue          = "queue"
	arnRoutingProfile = "routing-profile"
	arnAgentStatus    = "agent-state"
	arnQuickConnect   = "transfer-destination"
)

// resourceARN is the ARN of a resource of the instance.
func (s *Server) resourceARN(instanceID, segment, id string) string {
	return instance.ARN(s.cfg.Region, s.cfg.AccountID, instanceID) + "/" + segment + "/" + id
}

// maxResourceID bounds resource IDs read from paths and bodies; Connect's are at most 500
// characters (ARNs included).
const maxResourceID = routing.MaxResourceID

// checkBodyID refuses a resource ID member longer than Connect allows (500 characters), so
// error messages never echo a large value (routing.CheckResourceID).
func checkBodyID(member, v string) error { return routing.CheckResourceID(member, v) }

// pathResourceID reads a resource ID path value (an ARN of the instance is reduced to its ID)
// and stamps the audit event's resource with its ARN.
func (s *Server) pathResourceID(c *call, name, instanceID, segment string) (string, error) {
	id := c.r.PathValue(name)
	if strings.HasPrefix(id, "arn:") {
		prefix := s.resourceARN(instanceID, segment, "")
		rest, ok := strings.CutPrefix(id, prefix)
		if !ok {
			return "", apierr.NotFound(strings.ReplaceAll(segment, "-", " "), truncate(id, 64))
		}
		id = rest
	}
	if id == "" || len(id) > maxResourceID {
		return "", apierr.NotFound(strings.ReplaceAll(segment, "-", " "), truncate(id, 64))
	}
	c.ev.Resource = s.resourceARN(instanceID, segment, id)
	return id, nil
}

// checkText checks a Name (1–max characters) or Description (0–max characters) member
// (routing.CheckText: Connect's pattern ^[\P{C}\r\n\t]{1,max}$).
func checkText(member, v string, minLen, maxLen int) error {
	return routing.CheckText(member, v, minLen, maxLen)
}

// checkNameDescription checks the Name (1–127) and Description (0–250) members Connect's
// routing resources share; nil pointers are absent members (routing.CheckNameDescription).
func checkNameDescription(name, description *string) error {
	return routing.CheckNameDescription(name, description)
}

// checkTags checks a Tags member (at most 50 entries, keys 1–128 and values 0–256 characters,
// as Connect's TagMap) and returns a non-nil map.
func checkTags(tags map[string]string) (map[string]string, error) {
	if len(tags) > 50 {
		return nil, apierr.InvalidParameter("Tags must have at most 50 entries")
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || strings.HasPrefix(k, "aws:") {
			return nil, apierr.InvalidParameter("tag keys must be 1-128 characters and must not start with aws:")
		}
		if utf8.RuneCountInString(v) > 256 {
			return nil, apierr.InvalidParameter("tag values must be at most 256 characters")
		}
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return tags, nil
}

// listPage is a list request's page: at most limit items after the ID after.
type listPage struct {
	limit int
	after string
}

// readPage reads the maxResults (1–maxLimit, default def) and nextToken query parameters of a
// list operation; tokens are opaque to clients and tied to one kind of list.
func readPage(c *call, kind string, def, maxLimit int) (listPage, error) {
	q := c.r.URL.Query()
	p := listPage{limit: def}
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, apierr.InvalidParameter(fmt.Sprintf("maxResults must be an integer from 1 to %d", maxLimit))
		}
		p.limit = n
	}
	if tok := q.Get("nextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		after, ok := strings.CutPrefix(string(b), kind+":")
		if err != nil || !ok || after == "" {
			return p, apierr.InvalidParameter("nextToken is not valid")
		}
		p.after = after
	}
	return p, nil
}

// pageToken returns the nextToken that continues a list after the item with the given key.
func pageToken(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + key))
}

// epochSeconds is Connect's timestamp shape in restJson1 bodies: seconds since the epoch.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// withoutEmpty deletes the given members of m whose value is the empty string (an optional
// member the resource does not have is left out, as Connect does) and returns m.
func withoutEmpty(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		if v, ok := m[k].(string); ok && v == "" {
			delete(m, k)
		}
	}
	return m
}

// now is the modification time stamped on a changed resource.
func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Millisecond) }

// unsupported refuses a member Ringfence does not implement yet, naming it.
func unsupported(member string) error {
	return apierr.InvalidParameter(member + " is not supported by this server")
}

// requireInstance fails with ResourceNotFoundException when the instance does not exist.
func requireInstance(ctx context.Context, tx store.Tx, instanceID string) error {
	_, err := tx.GetInstance(ctx, instanceID)
	return err
}

// localFlowID reduces a ContactFlowId member (a flow ID, or an ARN of one of the instance's
// flows) to the local flow ID the routing administration transactions take; an ARN of
// another instance is ResourceNotFoundException. Whether the flow exists is checked in the
// transaction (store.RequireFlow).
func (s *Server) localFlowID(instanceID, id string) (string, error) {
	if err := checkBodyID("ContactFlowId", id); err != nil {
		return "", err
	}
	local, ok := s.localResourceID(instanceID, flow.KindFlow, id)
	if !ok || local == "" {
		return "", apierr.NotFound("contact flow", truncate(id, 64))
	}
	return local, nil
}
