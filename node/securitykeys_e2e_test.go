package node_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

func publicKeyPEM(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// withKey points the secure card capture sample at the given key association and PEM.
func withKey(t *testing.T, assoc, keyPEM string) string {
	t.Helper()
	content := sampleContent(t, "secure_card_capture.json")
	quoted, _ := json.Marshal(keyPEM)
	content = strings.Replace(content, `"ringfence-demo-input-key-1"`, `"`+assoc+`"`, 1)
	return strings.Replace(content, `"-----BEGIN CERTIFICATE-----\nMIIBdemo\n-----END CERTIFICATE-----"`, string(quoted), 1)
}

func TestSecurityKeys(t *testing.T) {
	tn := startNode(t)
	ctx := context.Background()
	c := tn.sdk(tn.boot.SecretAccessKey.Reveal())
	inst := aws.String(tn.boot.InstanceID)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaPEM := publicKeyPEM(t, &rsaKey.PublicKey)

	_, err = c.AssociateSecurityKey(ctx, &connect.AssociateSecurityKeyInput{InstanceId: inst, Key: aws.String(publicKeyPEM(t, &weak.PublicKey))})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = c.AssociateSecurityKey(ctx, &connect.AssociateSecurityKeyInput{InstanceId: inst, Key: aws.String("not a key")})
	wantAPIError(t, err, "InvalidParameterException")

	a1, err := c.AssociateSecurityKey(ctx, &connect.AssociateSecurityKeyInput{InstanceId: inst, Key: aws.String(rsaPEM)})
	if err != nil {
		t.Fatalf("AssociateSecurityKey: %v", err)
	}
	_, err = c.AssociateSecurityKey(ctx, &connect.AssociateSecurityKeyInput{InstanceId: inst, Key: aws.String(rsaPEM)})
	wantAPIError(t, err, "DuplicateResourceException")
	if _, err := c.AssociateSecurityKey(ctx, &connect.AssociateSecurityKeyInput{InstanceId: inst, Key: aws.String(publicKeyPEM(t, &ecKey.PublicKey))}); err != nil {
		t.Fatalf("AssociateSecurityKey EC: %v", err)
	}
	third, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, err = c.AssociateSecurityKey(ctx, &connect.AssociateSecurityKeyInput{InstanceId: inst, Key: aws.String(publicKeyPEM(t, &third.PublicKey))})
	wantAPIError(t, err, "ServiceQuotaExceededException")
	list, err := c.ListSecurityKeys(ctx, &connect.ListSecurityKeysInput{InstanceId: inst})
	if err != nil || len(list.SecurityKeys) != 2 || aws.ToString(list.SecurityKeys[0].AssociationId) != aws.ToString(a1.AssociationId) ||
		aws.ToString(list.SecurityKeys[0].Key) != rsaPEM || list.SecurityKeys[0].CreationTime == nil {
		t.Fatalf("ListSecurityKeys = %+v, %v", list, err)
	}

	// A published flow that encrypts to the key protects it from disassociation.
	associate(t, c, inst, "arn:aws:lambda:eu-west-2:111122223333:function:take-payment")
	f, err := c.CreateContactFlow(ctx, &connect.CreateContactFlowInput{InstanceId: inst, Name: aws.String("Card"),
		Type: types.ContactFlowTypeContactFlow, Content: aws.String(withKey(t, aws.ToString(a1.AssociationId), rsaPEM))})
	if err != nil {
		t.Fatalf("CreateContactFlow: %v", err)
	}
	_, err = c.DisassociateSecurityKey(ctx, &connect.DisassociateSecurityKeyInput{InstanceId: inst, AssociationId: a1.AssociationId})
	wantAPIError(t, err, "ResourceInUseException")
	if _, err := c.DeleteContactFlow(ctx, &connect.DeleteContactFlowInput{InstanceId: inst, ContactFlowId: f.ContactFlowId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DisassociateSecurityKey(ctx, &connect.DisassociateSecurityKeyInput{InstanceId: inst, AssociationId: a1.AssociationId}); err != nil {
		t.Fatalf("DisassociateSecurityKey: %v", err)
	}
	_, err = c.DisassociateSecurityKey(ctx, &connect.DisassociateSecurityKeyInput{InstanceId: inst, AssociationId: a1.AssociationId})
	wantAPIError(t, err, "ResourceNotFoundException")
}

func TestAWSCLIAssociateSecurityKey(t *testing.T) {
	bin := awsCLI(t)
	tn := startNode(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := publicKeyPEM(t, &key.PublicKey)
	out, err := awsRun(t, bin, tn, "associate-security-key", "--instance-id", tn.boot.InstanceID, "--key", keyPEM)
	if err != nil {
		t.Fatalf("associate-security-key: %v: %s", err, out)
	}
	var res struct{ AssociationId string }
	if err := json.Unmarshal(out, &res); err != nil || res.AssociationId == "" {
		t.Fatalf("associate-security-key output %s: %v", out, err)
	}
	out, err = awsRun(t, bin, tn, "list-security-keys", "--instance-id", tn.boot.InstanceID)
	if err != nil || !strings.Contains(string(out), res.AssociationId) {
		t.Errorf("list-security-keys = %s, %v", out, err)
	}
}
