package extfn

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestValidFunctionARN(t *testing.T) {
	tests := []struct {
		arn  string
		want string // "" for valid, else part of the error
	}{
		{"arn:aws:lambda:us-east-1:111122223333:function:lookup", ""},
		{"arn:aws:lambda:eu-west-2:111122223333:function:lookup:prod", ""},
		{"arn:aws:lambda:us-gov-west-1:111122223333:function:lookup:$LATEST", ""},
		{"arn:aws-cn:lambda:cn-north-1:111122223333:function:my_fn-2", ""},
		{"", "1-140 characters"},
		{"arn:aws:lambda:us-east-1:111122223333:function:" + strings.Repeat("x", 100), "1-140 characters"},
		{"arn:aws:s3:::bucket", "Lambda function ARN"},
		{"arn:aws:lambda:us-east-1:1111:function:lookup", "Lambda function ARN"},
		{"arn:aws:lambda:us-east-1:111122223333:layer:lookup", "Lambda function ARN"},
		{"arn:aws:lambda:us-east-1:111122223333:function:look up", "Lambda function ARN"},
		{"https://fn.example.com/", "Lambda function ARN"},
	}
	for _, tt := range tests {
		err := ValidFunctionARN(tt.arn)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ValidFunctionARN(%q) = %v, want nil", tt.arn, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ValidFunctionARN(%q) = %v, want an error about %q", tt.arn, err, tt.want)
		}
	}
}

// TestEchoBuiltin invokes the echo built-in through a registry: it answers its parameters.
func TestEchoBuiltin(t *testing.T) {
	reg, err := NewRegistry(RegistryOptions{Builtins: StandardBuiltins()})
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:lambda:us-east-1:111122223333:function:echo"
	if err := reg.Put(FunctionConfig{ARN: arn, Builtin: BuiltinEcho}); err != nil {
		t.Fatal(err)
	}
	res, err := NewInvoker(reg, InvokerOptions{}).Invoke(context.Background(), arn,
		Event{Details: Details{Parameters: map[string]string{"a": "1", "b": "two"}}}, time.Second, ResponseStringMap)
	if err != nil || len(res.Values) != 2 || res.Values["a"] != "1" || res.Values["b"] != "two" {
		t.Errorf("echo = %v, %v", res.Values, err)
	}
}
