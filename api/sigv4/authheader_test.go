package sigv4

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const validSig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

func TestParseAuthorizationAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Authorization
	}{
		{
			name: "sdk form",
			in:   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/connect/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + validSig,
			want: Authorization{AccessKeyID: "AKIDEXAMPLE", Date: "20261121", Region: "us-east-1", Service: "connect",
				SignedHeaders: []string{"content-type", "host", "x-amz-date"}, Signature: validSig},
		},
		{
			name: "no spaces and other order",
			in:   "AWS4-HMAC-SHA256 Signature=" + validSig + ",SignedHeaders=host;x-amz-date,Credential=AKID/20240229/eu-west-1/connect/aws4_request",
			want: Authorization{AccessKeyID: "AKID", Date: "20240229", Region: "eu-west-1", Service: "connect",
				SignedHeaders: []string{"host", "x-amz-date"}, Signature: validSig},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAuthorization(tt.in)
			if err != nil {
				t.Fatalf("ParseAuthorization: got error %v, want nil", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseAuthorization (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAuthorizationRefuses(t *testing.T) {
	const cred = "Credential=AKID/20261121/us-east-1/connect/aws4_request"
	const sh = "SignedHeaders=host;x-amz-date"
	const sig = "Signature=" + validSig
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "Authorization header must use the AWS4-HMAC-SHA256 algorithm."},
		{"other algorithm", "AWS4-HMAC-SHA512 " + cred + ", " + sh + ", " + sig, "Authorization header must use the AWS4-HMAC-SHA256 algorithm."},
		{"sigv2", "AWS AKID:abc", "Authorization header must use the AWS4-HMAC-SHA256 algorithm."},
		{"sigv4a", "AWS4-ECDSA-P256-SHA256 " + cred + ", " + sh + ", " + sig, "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; sign with AWS4-HMAC-SHA256."},
		{"algorithm only", "AWS4-HMAC-SHA256", "Authorization header has an empty component."},
		{"missing credential", "AWS4-HMAC-SHA256 " + sh + ", " + sig, "Authorization header requires 'Credential' parameter."},
		{"missing signed headers", "AWS4-HMAC-SHA256 " + cred + ", " + sig, "Authorization header requires 'SignedHeaders' parameter."},
		{"missing signature", "AWS4-HMAC-SHA256 " + cred + ", " + sh, "Authorization header requires 'Signature' parameter."},
		{"duplicate credential", "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", " + sh + ", " + sig, "Authorization header has a duplicate 'Credential' component."},
		{"duplicate signature", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", " + sig, "Authorization header has a duplicate 'Signature' component."},
		{"unknown component", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", Foo=bar", "Authorization header has an unknown component; only Credential, SignedHeaders and Signature are allowed."},
		{"lower-case component name", "AWS4-HMAC-SHA256 credential=AKID/20261121/us-east-1/connect/aws4_request, " + sh + ", " + sig, "Authorization header has an unknown component; only Credential, SignedHeaders and Signature are allowed."},
		{"empty component", "AWS4-HMAC-SHA256 " + cred + ",, " + sh + ", " + sig, "Authorization header has an empty component."},
		{"trailing comma", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ",", "Authorization header has an empty component."},
		{"no equals", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature", "Authorization header component is not of the form name=value."},
		{"empty value", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig, "Authorization header component 'SignedHeaders' is empty."},
		{"credential four parts", "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/aws4_request, " + sh + ", " + sig, "Credential must have the form <access key ID>/<yyyymmdd>/<region>/<service>/aws4_request."},
		{"credential six parts", "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/connect/aws4_request/x, " + sh + ", " + sig, "Credential must have the form <access key ID>/<yyyymmdd>/<region>/<service>/aws4_request."},
		{"empty key id", "AWS4-HMAC-SHA256 Credential=/20261121/us-east-1/connect/aws4_request, " + sh + ", " + sig, "Credential access key ID is malformed."},
		{"key id with symbol", "AWS4-HMAC-SHA256 Credential=AK+D/20261121/us-east-1/connect/aws4_request, " + sh + ", " + sig, "Credential access key ID is malformed."},
		{"bad date", "AWS4-HMAC-SHA256 Credential=AKID/20261321/us-east-1/connect/aws4_request, " + sh + ", " + sig, "Credential date must be a valid date in yyyymmdd form."},
		{"date with time", "AWS4-HMAC-SHA256 Credential=AKID/20261121T000000Z/us-east-1/connect/aws4_request, " + sh + ", " + sig, "Credential date must be a valid date in yyyymmdd form."},
		{"not a leap day", "AWS4-HMAC-SHA256 Credential=AKID/20250229/us-east-1/connect/aws4_request, " + sh + ", " + sig, "Credential date must be a valid date in yyyymmdd form."},
		{"upper-case region", "AWS4-HMAC-SHA256 Credential=AKID/20261121/US-EAST-1/connect/aws4_request, " + sh + ", " + sig, "Credential region is malformed."},
		{"empty service", "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1//aws4_request, " + sh + ", " + sig, "Credential service is malformed."},
		{"wrong terminator", "AWS4-HMAC-SHA256 Credential=AKID/20261121/us-east-1/connect/aws5_request, " + sh + ", " + sig, "Credential should be scoped with a valid terminator: 'aws4_request'."},
		{"upper-case signed header", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host;x-amz-date, " + sig, "SignedHeaders must be lower-case header names separated by ';'."},
		{"empty signed header", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig, "SignedHeaders must be lower-case header names separated by ';'."},
		{"unsorted signed headers", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date;host, " + sig, "SignedHeaders must be sorted and free of duplicates."},
		{"duplicate signed header", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host;x-amz-date, " + sig, "SignedHeaders must be sorted and free of duplicates."},
		{"too many signed headers", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=" + strings.Repeat("a;", MaxSignedHeaders) + "b, " + sig, "SignedHeaders lists too many headers."},
		{"short signature", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=abc", "Signature must be 64 lower-case hexadecimal digits."},
		{"upper-case signature", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=" + strings.ToUpper(validSig), "Signature must be 64 lower-case hexadecimal digits."},
		{"too long", "AWS4-HMAC-SHA256 " + strings.Repeat("x", MaxAuthorizationBytes), "Authorization header is too long."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAuthorization(tt.in)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("ParseAuthorization: got %v, want *Error", err)
			}
			if e.Code != CodeIncompleteSignature || e.Message != tt.want {
				t.Errorf("ParseAuthorization: got %s %q, want %s %q", e.Code, e.Message, CodeIncompleteSignature, tt.want)
			}
		})
	}
}
