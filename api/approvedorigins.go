package api

import (
	"context"
	"encoding/base64"
	"strconv"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// approvedOriginOperations are AssociateApprovedOrigin, ListApprovedOrigins and
// DisassociateApprovedOrigin (Amazon Connect API reference): the web origins whose pages may
// embed the instance's chat widgets and start chats through them.
func approvedOriginOperations() []operation {
	return []operation{
		{name: "AssociateApprovedOrigin", pattern: "PUT /instance/{InstanceId}/approved-origin", handle: (*Server).associateApprovedOrigin},
		{name: "ListApprovedOrigins", pattern: "GET /instance/{InstanceId}/approved-origins", handle: (*Server).listApprovedOrigins},
		{name: "DisassociateApprovedOrigin", pattern: "DELETE /instance/{InstanceId}/approved-origin", handle: (*Server).disassociateApprovedOrigin},
	}
}

// approvedOrigin normalises an Origin parameter (instance.NormalizeOrigin), turning its
// complaint into InvalidParameterException.
func approvedOrigin(v string) (string, error) {
	o, err := instance.NormalizeOrigin(v)
	if err != nil {
		return "", apierr.InvalidParameter("Origin: " + err.Error())
	}
	return o, nil
}

// associateApprovedOrigin stores the origin in its normal form. An origin already approved
// is ResourceConflictException; beyond instance.MaxApprovedOrigins,
// ServiceQuotaExceededException. The answer is an empty body, as Connect's.
func (s *Server) associateApprovedOrigin(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Origin      string `json:"Origin"`
		ClientToken string `json:"ClientToken"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	if len(in.ClientToken) > 500 {
		return nil, apierr.InvalidParameter("ClientToken must be at most 500 characters")
	}
	o, err := approvedOrigin(in.Origin)
	if err != nil {
		return nil, err
	}
	c.ev.Details = map[string]string{"origin": o}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		n, err := tx.CountApprovedOrigins(ctx, inst)
		if err != nil {
			return err
		}
		if n >= instance.MaxApprovedOrigins {
			return apierr.New(apierr.CodeServiceQuotaExceeded, "an instance holds at most %d approved origins", instance.MaxApprovedOrigins)
		}
		return tx.CreateApprovedOrigin(ctx, instance.ApprovedOrigin{InstanceID: inst, Origin: o, CreatedTime: s.cfg.Now().UTC().Truncate(1e6)})
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// listApprovedOrigins pages through the instance's origins in lexical order (maxResults 1 to
// 25, default 25; nextToken from the previous page).
func (s *Server) listApprovedOrigins(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	limit := 25
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 25 {
			return nil, apierr.InvalidParameter("maxResults must be between 1 and 25")
		}
		limit = n
	}
	after := ""
	if tok := q.Get("nextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) == 0 || len(b) > instance.MaxOriginLength {
			return nil, apierr.InvalidParameter("nextToken is not valid")
		}
		after = string(b)
	}
	var page []instance.ApprovedOrigin
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		page, err = tx.ListApprovedOrigins(ctx, inst, after, limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > limit {
		page = page[:limit]
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(page[limit-1].Origin))
	}
	origins := make([]string, 0, len(page))
	for _, o := range page {
		origins = append(origins, o.Origin)
	}
	out["Origins"] = origins
	return out, nil
}

// disassociateApprovedOrigin removes an origin, given in the origin query parameter (in any
// form NormalizeOrigin accepts). An origin that is not approved is ResourceNotFoundException.
// Chats already started from it go on; new ones are refused at once.
func (s *Server) disassociateApprovedOrigin(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	o, err := approvedOrigin(c.r.URL.Query().Get("origin"))
	if err != nil {
		return nil, err
	}
	c.ev.Details = map[string]string{"origin": o}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetInstance(ctx, inst); err != nil {
			return err
		}
		return tx.DeleteApprovedOrigin(ctx, inst, o)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
