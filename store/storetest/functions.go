package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/instance"
	"github.com/ringfence/ringfence/secret"
	"github.com/ringfence/ringfence/store"
)

// compareSecrets lets cmp compare secret values by their content.
var compareSecrets = cmp.Comparer(func(a, b secret.Value[string]) bool { return a.Reveal() == b.Reveal() })

func testFunctions(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := createInstance(t, s, "fn-a"), createInstance(t, s, "fn-b")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	get := func(inst, arn string) (extfn.Association, error) {
		var got extfn.Association
		err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetFunction(ctx, inst, arn)
			return err
		})
		return got, err
	}
	list := func(inst, after string, limit int) []extfn.Association {
		t.Helper()
		var got []extfn.Association
		if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.ListFunctions(ctx, inst, after, limit)
			return err
		}); err != nil {
			t.Fatalf("ListFunctions: %v", err)
		}
		return got
	}
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	arn := func(name string) string { return "arn:aws:lambda:us-east-1:111122223333:function:" + name }

	// An association without a target, then one with a built-in.
	plain := extfn.Association{InstanceID: a.ID, ARN: arn("lookup"), CreatedTime: at, LastModifiedTime: at}
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.AssociateFunction(ctx, plain) }); err != nil {
		t.Fatalf("AssociateFunction: %v", err)
	}
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.AssociateFunction(ctx, plain) }), apierr.CodeResourceConflict)
	echo := extfn.Association{InstanceID: a.ID, ARN: arn("echo"), Target: &extfn.FunctionConfig{ARN: arn("echo"), Builtin: extfn.BuiltinEcho},
		CreatedTime: at, LastModifiedTime: at}
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.AssociateFunction(ctx, echo) }); err != nil {
		t.Fatalf("AssociateFunction with a built-in: %v", err)
	}
	got, err := get(a.ID, plain.ARN)
	if err != nil {
		t.Fatalf("GetFunction: %v", err)
	}
	plain.Version = 1
	if diff := cmp.Diff(plain, got); diff != "" {
		t.Errorf("GetFunction (-want +got):\n%s", diff)
	}

	// An endpoint target: the secret comes back, and is sealed at rest.
	const canary = "fn-secret-canary-0123456789abcdef"
	target := &extfn.FunctionConfig{ARN: plain.ARN, Endpoint: &extfn.EndpointConfig{URL: "https://fn.example.com/lookup",
		SigningSecret: secret.New(canary), AllowHosts: []string{"fn.example.com"}, AllowCIDRs: []string{"10.20.0.0/16"}}}
	later := at.Add(time.Minute)
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetFunctionTarget(ctx, a.ID, plain.ARN, target, later)
	}); err != nil {
		t.Fatalf("SetFunctionTarget: %v", err)
	}
	got, err = get(a.ID, plain.ARN)
	if err != nil {
		t.Fatal(err)
	}
	want := plain
	want.Target, want.Version, want.LastModifiedTime = target, 2, later
	if diff := cmp.Diff(want, got, compareSecrets); diff != "" {
		t.Errorf("GetFunction after SetFunctionTarget (-want +got):\n%s", diff)
	}
	rows := h.Query(t, s, `SELECT signing_secret, url FROM external_functions WHERE instance_id = ? AND arn = ?`, a.ID, plain.ARN)
	for rows.Next() {
		var sealed []byte
		var url string
		if err := rows.Scan(&sealed, &url); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || bytes.Contains(sealed, []byte(canary)) {
			t.Errorf("signing secret stored in clear or not at all (%d bytes)", len(sealed))
		}
	}
	rows.Close()

	// Listing: ARN order, pages, other instances see nothing.
	all := list(a.ID, "", 10)
	if len(all) != 2 || all[0].ARN != echo.ARN || all[1].ARN != plain.ARN || all[1].Target == nil || all[1].Target.Endpoint == nil {
		t.Fatalf("ListFunctions = %+v", all)
	}
	if page := list(a.ID, echo.ARN, 1); len(page) != 1 || page[0].ARN != plain.ARN {
		t.Errorf("ListFunctions after %s = %+v", echo.ARN, page)
	}
	if other := list(b.ID, "", 10); len(other) != 0 {
		t.Errorf("instance B sees %d functions of instance A", len(other))
	}
	_, err = get(b.ID, plain.ARN)
	wantCode(t, err, apierr.CodeResourceNotFound)
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetFunctionTarget(ctx, b.ID, plain.ARN, nil, later)
	}),
		apierr.CodeResourceNotFound)

	// A sealed secret moved to another row does not open (the ARN is in the AAD).
	h.Exec(t, s, `UPDATE external_functions SET signing_secret = (SELECT signing_secret FROM external_functions WHERE instance_id = ? AND arn = ?),
		url = 'https://moved.example.com/', builtin = '' WHERE instance_id = ? AND arn = ?`, a.ID, plain.ARN, a.ID, echo.ARN)
	if _, err := get(a.ID, echo.ARN); err == nil {
		t.Error("a signing secret moved to another function opened")
	}

	// Removing the target keeps the association; disassociating removes it.
	if err := up(func(ctx context.Context, tx store.Tx) error {
		return tx.SetFunctionTarget(ctx, a.ID, plain.ARN, nil, later)
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := get(a.ID, plain.ARN); err != nil || got.Target != nil || got.Version != 3 {
		t.Errorf("after clearing the target: %+v, %v", got, err)
	}
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.DisassociateFunction(ctx, a.ID, plain.ARN) }); err != nil {
		t.Fatal(err)
	}
	_, err = get(a.ID, plain.ARN)
	wantCode(t, err, apierr.CodeResourceNotFound)
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.DisassociateFunction(ctx, a.ID, plain.ARN) }), apierr.CodeResourceNotFound)
	// Deleting the instance removes its functions.
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.DeleteInstance(ctx, a.ID) }); err != nil {
		t.Fatal(err)
	}
	if left := list(a.ID, "", 10); len(left) != 0 {
		t.Errorf("%d functions outlived their instance", len(left))
	}
}

func testPrompts(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a, b := createInstance(t, s, "prompt-a"), createInstance(t, s, "prompt-b")
	up := func(fn func(ctx context.Context, tx store.Tx) error) error { return s.Update(ctx, nil, fn) }
	get := func(inst, id string) (instance.Prompt, error) {
		var got instance.Prompt
		err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.GetPrompt(ctx, inst, id)
			return err
		})
		return got, err
	}
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var made []instance.Prompt
	for i := range 3 {
		p := instance.Prompt{InstanceID: a.ID, ID: fmt.Sprintf("p%d", i), Name: fmt.Sprintf("Greeting %d", i), Description: "hello",
			S3URI: fmt.Sprintf("s3://prompts/greeting-%d.wav", i), Tags: map[string]string{"lang": "en"}, LastModified: at}
		if err := up(func(ctx context.Context, tx store.Tx) error { return tx.CreatePrompt(ctx, p) }); err != nil {
			t.Fatalf("CreatePrompt: %v", err)
		}
		made = append(made, p)
	}
	dup := made[0]
	dup.ID = "other"
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.CreatePrompt(ctx, dup) }), apierr.CodeDuplicateResource)
	got, err := get(a.ID, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(made[1], got); diff != "" {
		t.Errorf("GetPrompt (-want +got):\n%s", diff)
	}
	_, err = get(b.ID, "p1")
	wantCode(t, err, apierr.CodeResourceNotFound)
	var page []instance.Prompt
	if err := s.View(ctx, nil, func(ctx context.Context, tx store.Tx) error {
		var err error
		page, err = tx.ListPrompts(ctx, a.ID, "p0", 1)
		return err
	}); err != nil || len(page) != 1 || page[0].ID != "p1" {
		t.Errorf("ListPrompts after p0 = %+v, %v", page, err)
	}
	upd := made[2]
	upd.Name, upd.S3URI, upd.LastModified = "Goodbye", "https://prompts.example.com/bye.wav", at.Add(time.Hour)
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.UpdatePrompt(ctx, upd) }); err != nil {
		t.Fatalf("UpdatePrompt: %v", err)
	}
	if got, _ := get(a.ID, "p2"); got.Name != "Goodbye" || got.S3URI != upd.S3URI || !got.LastModified.Equal(upd.LastModified) {
		t.Errorf("after UpdatePrompt: %+v", got)
	}
	upd.Name = made[0].Name
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.UpdatePrompt(ctx, upd) }), apierr.CodeDuplicateResource)
	upd.InstanceID = b.ID
	upd.Name = "Elsewhere"
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.UpdatePrompt(ctx, upd) }), apierr.CodeResourceNotFound)
	wantCode(t, up(func(ctx context.Context, tx store.Tx) error { return tx.DeletePrompt(ctx, b.ID, "p0") }), apierr.CodeResourceNotFound)
	if err := up(func(ctx context.Context, tx store.Tx) error { return tx.DeletePrompt(ctx, a.ID, "p0") }); err != nil {
		t.Fatal(err)
	}
	_, err = get(a.ID, "p0")
	wantCode(t, err, apierr.CodeResourceNotFound)
}
