package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/keyring"
	"github.com/ringfence/ringfence/secret"
)

// ---- external functions ----

const functionCols = `instance_id, arn, url, signing_secret, builtin, allow_hosts, allow_cidrs, version, created_ms, last_modified_ms`

func functionSecretAAD(instanceID, arn string) keyring.AAD {
	return keyring.AAD{InstanceID: instanceID, Table: "external_functions", RowID: arn, Column: "signing_secret"}
}

// functionTarget encodes a target as its columns, sealing the signing secret.
func (t *txn) functionTarget(ctx context.Context, instanceID, arn string, target *extfn.FunctionConfig) (url string, sealed []byte, builtin, hosts, cidrs string, err error) {
	hosts, cidrs = "[]", "[]"
	if target == nil {
		return "", nil, "", hosts, cidrs, nil
	}
	if target.ARN != "" && target.ARN != arn {
		return "", nil, "", "", "", fmt.Errorf("target names ARN %q, not %q", target.ARN, arn)
	}
	builtin = target.Builtin
	if ep := target.Endpoint; ep != nil {
		url = ep.URL
		if sealed, err = t.seal(ctx, []byte(ep.SigningSecret.Reveal()), functionSecretAAD(instanceID, arn)); err != nil {
			return "", nil, "", "", "", fmt.Errorf("seal signing secret: %w", err)
		}
		h, _ := json.Marshal(nonNil(ep.AllowHosts))
		c, _ := json.Marshal(nonNil(ep.AllowCIDRs))
		hosts, cidrs = string(h), string(c)
	}
	return url, sealed, builtin, hosts, cidrs, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (t *txn) AssociateFunction(ctx context.Context, a extfn.Association) error {
	url, sealed, builtin, hosts, cidrs, err := t.functionTarget(ctx, a.InstanceID, a.ARN, a.Target)
	if err != nil {
		return fmt.Errorf("associate function: %w", err)
	}
	version := a.Version
	if version <= 0 {
		version = 1
	}
	_, err = t.exec(ctx, `INSERT INTO external_functions (`+functionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.InstanceID, a.ARN, url, sealed, builtin, hosts, cidrs, version, ms(a.CreatedTime), ms(a.LastModifiedTime))
	if err != nil && t.s.dialect.IsUniqueViolation(err) {
		return apierr.New(apierr.CodeResourceConflict, "function %s is already associated with this instance", a.ARN)
	}
	if err != nil {
		return fmt.Errorf("associate function: %w", err)
	}
	return nil
}

// scanFunction reads one row and opens its signing secret.
func (t *txn) scanFunction(ctx context.Context, sc interface{ Scan(...any) error }) (extfn.Association, error) {
	var (
		a                    extfn.Association
		url, builtin         string
		hosts, cidrs         string
		sealed               []byte
		created, lastChanged int64
	)
	if err := sc.Scan(&a.InstanceID, &a.ARN, &url, &sealed, &builtin, &hosts, &cidrs, &a.Version, &created, &lastChanged); err != nil {
		return a, err
	}
	a.CreatedTime, a.LastModifiedTime = fromMS(created), fromMS(lastChanged)
	switch {
	case builtin != "":
		a.Target = &extfn.FunctionConfig{ARN: a.ARN, Builtin: builtin}
	case url != "":
		plain, err := t.open(ctx, sealed, functionSecretAAD(a.InstanceID, a.ARN))
		if err != nil {
			return a, fmt.Errorf("open signing secret of %s: %w", a.ARN, err)
		}
		ep := &extfn.EndpointConfig{URL: url, SigningSecret: secret.New(string(plain))}
		if err := json.Unmarshal([]byte(hosts), &ep.AllowHosts); err != nil {
			return a, fmt.Errorf("decode allowed hosts: %w", err)
		}
		if err := json.Unmarshal([]byte(cidrs), &ep.AllowCIDRs); err != nil {
			return a, fmt.Errorf("decode allowed prefixes: %w", err)
		}
		if len(ep.AllowHosts) == 0 {
			ep.AllowHosts = nil
		}
		if len(ep.AllowCIDRs) == 0 {
			ep.AllowCIDRs = nil
		}
		a.Target = &extfn.FunctionConfig{ARN: a.ARN, Endpoint: ep}
	}
	return a, nil
}

func (t *txn) GetFunction(ctx context.Context, instanceID, arn string) (extfn.Association, error) {
	a, err := t.scanFunction(ctx, t.row(ctx, `SELECT `+functionCols+` FROM external_functions WHERE instance_id = ? AND arn = ?`, instanceID, arn))
	if errors.Is(err, sql.ErrNoRows) {
		return a, apierr.NotFound("function", arn)
	}
	if err != nil {
		return a, fmt.Errorf("get function: %w", err)
	}
	return a, nil
}

func (t *txn) ListFunctions(ctx context.Context, instanceID, after string, limit int) ([]extfn.Association, error) {
	rows, err := t.rows(ctx, `SELECT `+functionCols+` FROM external_functions WHERE instance_id = ? AND arn > ? ORDER BY arn LIMIT ?`,
		instanceID, after, limit)
	return collect(rows, err, "functions", func(sc interface{ Scan(...any) error }) (extfn.Association, error) {
		return t.scanFunction(ctx, sc)
	})
}

func (t *txn) SetFunctionTarget(ctx context.Context, instanceID, arn string, target *extfn.FunctionConfig, at time.Time) error {
	url, sealed, builtin, hosts, cidrs, err := t.functionTarget(ctx, instanceID, arn, target)
	if err != nil {
		return fmt.Errorf("set function target: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE external_functions SET url = ?, signing_secret = ?, builtin = ?, allow_hosts = ?, allow_cidrs = ?,
		version = version + 1, last_modified_ms = ? WHERE instance_id = ? AND arn = ?`,
		url, sealed, builtin, hosts, cidrs, ms(at), instanceID, arn)
	if err := mustAffect(res, err, "function", arn); err != nil {
		return fmt.Errorf("set function target: %w", err)
	}
	return nil
}

func (t *txn) DisassociateFunction(ctx context.Context, instanceID, arn string) error {
	res, err := t.exec(ctx, `DELETE FROM external_functions WHERE instance_id = ? AND arn = ?`, instanceID, arn)
	if err := mustAffect(res, err, "function", arn); err != nil {
		return fmt.Errorf("disassociate function: %w", err)
	}
	return nil
}

// ---- prompts ----

const promptCols = `instance_id, id, name, description, s3_uri, tags, last_modified_ms`

func (t *txn) CreatePrompt(ctx context.Context, p instance.Prompt) error {
	tags, err := encodeTags(p.Tags)
	if err != nil {
		return fmt.Errorf("create prompt: %w", err)
	}
	_, err = t.exec(ctx, `INSERT INTO prompts (`+promptCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.InstanceID, p.ID, p.Name, p.Description, p.S3URI, tags, ms(p.LastModified))
	return t.written(err, "create prompt", "prompt", p.Name)
}

func scanPrompt(sc interface{ Scan(...any) error }) (instance.Prompt, error) {
	var (
		p        instance.Prompt
		tags     string
		modified int64
	)
	if err := sc.Scan(&p.InstanceID, &p.ID, &p.Name, &p.Description, &p.S3URI, &tags, &modified); err != nil {
		return p, err
	}
	p.LastModified = fromMS(modified)
	var err error
	p.Tags, err = decodeTags(tags)
	return p, err
}

func (t *txn) GetPrompt(ctx context.Context, instanceID, id string) (instance.Prompt, error) {
	p, err := scanPrompt(t.row(ctx, `SELECT `+promptCols+` FROM prompts WHERE instance_id = ? AND id = ?`, instanceID, id))
	return one(p, err, "get prompt", "prompt", id)
}

func (t *txn) ListPrompts(ctx context.Context, instanceID, after string, limit int) ([]instance.Prompt, error) {
	rows, err := t.rows(ctx, `SELECT `+promptCols+` FROM prompts WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?`, instanceID, after, limit)
	return collect(rows, err, "prompts", scanPrompt)
}

func (t *txn) UpdatePrompt(ctx context.Context, p instance.Prompt) error {
	res, err := t.exec(ctx, `UPDATE prompts SET name = ?, description = ?, s3_uri = ?, last_modified_ms = ? WHERE instance_id = ? AND id = ?`,
		p.Name, p.Description, p.S3URI, ms(p.LastModified), p.InstanceID, p.ID)
	if err := t.written(err, "update prompt", "prompt", p.Name); err != nil {
		return err
	}
	if err := mustAffect(res, nil, "prompt", p.ID); err != nil {
		return fmt.Errorf("update prompt: %w", err)
	}
	return nil
}

func (t *txn) DeletePrompt(ctx context.Context, instanceID, id string) error {
	res, err := t.exec(ctx, `DELETE FROM prompts WHERE instance_id = ? AND id = ?`, instanceID, id)
	if err := mustAffect(res, err, "prompt", id); err != nil {
		return fmt.Errorf("delete prompt: %w", err)
	}
	return nil
}
