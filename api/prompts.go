package api

import (
	"context"
	"strings"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/flow"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/store"
)

// arnPrompt is the ARN segment of prompts: arn:aws:connect:{region}:{account}:instance/{instance}/prompt/{id}.
const arnPrompt = "prompt"

// promptOperations are CreatePrompt, DescribePrompt, ListPrompts, UpdatePrompt and DeletePrompt
// (Amazon Connect API reference). Ringfence keeps the prompt record (name, description, the
// S3Uri of the audio) so flows can name prompts and publishing can check them; it neither
// fetches nor plays the audio yet.
func promptOperations() []operation {
	return []operation{
		{name: "CreatePrompt", pattern: "PUT /prompts/{InstanceId}", handle: (*Server).createPrompt},
		{name: "DescribePrompt", pattern: "GET /prompts/{InstanceId}/{PromptId}", handle: (*Server).describePrompt},
		{name: "ListPrompts", pattern: "GET /prompts-summary/{InstanceId}", handle: (*Server).listPrompts},
		{name: "UpdatePrompt", pattern: "POST /prompts/{InstanceId}/{PromptId}", handle: (*Server).updatePrompt},
		{name: "DeletePrompt", pattern: "DELETE /prompts/{InstanceId}/{PromptId}", handle: (*Server).deletePrompt},
	}
}

// createPrompt implements CreatePrompt: Name (1–256 characters, unique in the instance),
// S3Uri (s3:// or https://, 1–2,000 characters), Description (at most 250), Tags.
func (s *Server) createPrompt(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name        string            `json:"Name"`
		Description string            `json:"Description"`
		S3Uri       string            `json:"S3Uri"`
		Tags        map[string]string `json:"Tags"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	p := instance.Prompt{InstanceID: inst, ID: NewID(), Name: in.Name, Description: in.Description, S3URI: in.S3Uri, Tags: tags, LastModified: s.now()}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	arn := s.resourceARN(inst, arnPrompt, p.ID)
	c.ev.Resource = arn
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		return tx.CreatePrompt(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"PromptId": p.ID, "PromptARN": arn}, nil
}

// describePrompt implements DescribePrompt. Like Connect, it does not return the S3Uri.
func (s *Server) describePrompt(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "PromptId", inst, arnPrompt)
	if err != nil {
		return nil, err
	}
	var p instance.Prompt
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		var err error
		p, err = tx.GetPrompt(ctx, inst, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Prompt": withoutEmpty(map[string]any{
		"PromptId": p.ID, "PromptARN": s.resourceARN(inst, arnPrompt, p.ID), "Name": p.Name, "Description": p.Description,
		"Tags": p.Tags, "LastModifiedTime": epochSeconds(p.LastModified), "LastModifiedRegion": s.cfg.Region,
	}, "Description")}, nil
}

// listPrompts implements ListPrompts (maxResults 1–1000, default 100).
func (s *Server) listPrompts(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	p, err := readPage(c, "prompt", 100, 1000)
	if err != nil {
		return nil, err
	}
	var page []instance.Prompt
	err = c.view(s, func(ctx context.Context, tx store.Tx) error {
		if err := requireInstance(ctx, tx, inst); err != nil {
			return err
		}
		var err error
		page, err = tx.ListPrompts(ctx, inst, p.after, p.limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(page) > p.limit {
		page = page[:p.limit]
		out["NextToken"] = pageToken("prompt", page[p.limit-1].ID)
	}
	items := []map[string]any{}
	for _, pr := range page {
		items = append(items, map[string]any{"Id": pr.ID, "Arn": s.resourceARN(inst, arnPrompt, pr.ID), "Name": pr.Name,
			"LastModifiedTime": epochSeconds(pr.LastModified), "LastModifiedRegion": s.cfg.Region})
	}
	out["PromptSummaryList"] = items
	return out, nil
}

// updatePrompt implements UpdatePrompt: the members present replace the stored ones.
func (s *Server) updatePrompt(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "PromptId", inst, arnPrompt)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name        *string `json:"Name"`
		Description *string `json:"Description"`
		S3Uri       *string `json:"S3Uri"`
	}
	if err := decodeBody(c.r, &in); err != nil {
		return nil, err
	}
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPrompt(ctx, inst, id)
		if err != nil {
			return err
		}
		if in.Name != nil {
			p.Name = *in.Name
		}
		if in.Description != nil {
			p.Description = *in.Description
		}
		if in.S3Uri != nil {
			p.S3URI = *in.S3Uri
		}
		if err := p.Validate(); err != nil {
			return err
		}
		p.LastModified = s.now()
		return tx.UpdatePrompt(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"PromptId": id, "PromptARN": s.resourceARN(inst, arnPrompt, id)}, nil
}

// deletePrompt implements DeletePrompt. It refuses with ResourceInUseException while a
// published flow or module of the instance plays the prompt.
func (s *Server) deletePrompt(c *call) (any, error) {
	inst, err := s.instanceID(c)
	if err != nil {
		return nil, err
	}
	id, err := s.pathResourceID(c, "PromptId", inst, arnPrompt)
	if err != nil {
		return nil, err
	}
	arn := s.resourceARN(inst, arnPrompt, id)
	err = c.update(s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetPrompt(ctx, inst, id); err != nil {
			return err
		}
		by, err := publishedReference(ctx, tx, inst, func(r flow.Resources) []string { return r.Prompts },
			func(ref string) bool { return ref == id || strings.EqualFold(ref, arn) })
		if err != nil {
			return err
		}
		if by != "" {
			return apierr.New(apierr.CodeResourceInUse, "prompt %s is played by %s; change that flow first", id, by)
		}
		return tx.DeletePrompt(ctx, inst, id)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
