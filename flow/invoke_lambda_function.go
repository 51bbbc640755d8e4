package flow

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// MaxFunctionResponseBytes bounds an external function response (32 KB, "Invoke AWS
// Lambda function" block).
const MaxFunctionResponseBytes = 32 * 1024

// MaxFunctionTimeoutSeconds is the longest external function wait (8 s).
const MaxFunctionTimeoutSeconds = 8

// InvokeLambdaFunction calls an external function; its response becomes $.External.
// Source: interactions-invokelambdafunction; LAMBDA_EVENT notes sections 3–6.
//
//	{"Identifier": "lookup", "Type": "InvokeLambdaFunction",
//	 "Parameters": {"LambdaFunctionARN": "arn:aws:lambda:eu-west-2:111122223333:function:lookup",
//	   "InvocationTimeLimitSeconds": "8", "LambdaInvocationAttributes": {"phone": "$.CustomerEndpoint.Address"},
//	   "ResponseValidation": {"ResponseType": "STRING_MAP"}},
//	 "Transitions": {"NextAction": "next", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "sorry"}]}}
//
// The flow waits (WaitFunction) with the ARN, the resolved parameters, the timeout
// (1–8 s) and the response type; the caller builds the Lambda event and makes the call.
// Resume with External (STRING_MAP) or ExternalJSON (JSON; nested keys flattened with
// dots) replaces $.External; Resume with ErrorType, or a response over 32 KB or of the
// wrong shape, clears $.External and takes NoMatchingError (the flow log's Results then
// say "NoMatchingError: " and the Answer's Note, when the caller gave one). External values
// appear in the flow log only as keyed hashes.
func invokeLambdaFunction() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "InvokeLambdaFunction", Category: "interaction", Status: StatusExecuted, Summary: "Waits while the caller invokes the external function; the response becomes $.External."},
		params: []paramRule{{name: "LambdaFunctionARN", kind: pText, required: true}, {name: "InvocationTimeLimitSeconds", kind: pInt, min: 1, max: 60},
			{name: "InvocationType", kind: pText, enum: []string{"SYNCHRONOUS", "ASYNCHRONOUS"}}, {name: "LambdaInvocationAttributes", kind: pObject},
			{name: "ResponseValidation", kind: pObject}},
		run:    runInvokeLambdaFunction,
		resume: resumeInvokeLambdaFunction,
	}
}

func runInvokeLambdaFunction(r *runner, a *Action) step {
	p := a.Parameters
	arn, _, _ := r.param(p, "LambdaFunctionARN")
	if arn == "" {
		return fail(ErrNoMatchingError)
	}
	fc := &FunctionCall{ARN: arn, TimeoutSeconds: r.intParam(p, "InvocationTimeLimitSeconds", MaxFunctionTimeoutSeconds), ResponseType: "STRING_MAP"}
	if fc.TimeoutSeconds < 1 || fc.TimeoutSeconds > MaxFunctionTimeoutSeconds {
		fc.TimeoutSeconds = MaxFunctionTimeoutSeconds
	}
	if v, _, _ := r.param(p, "InvocationType"); v == "ASYNCHRONOUS" {
		fc.Async = true
	}
	if rv, ok := paramObject(p, "ResponseValidation"); ok {
		if v, _, _ := r.param(rv, "ResponseType"); v == "JSON" {
			fc.ResponseType = "JSON"
		}
	}
	if attrs, ok := paramObject(p, "LambdaInvocationAttributes"); ok {
		fc.Parameters = make(map[string]string, len(attrs))
		for k, v := range attrs {
			s, _ := scalarString(v)
			fc.Parameters[k], _ = r.text(s)
		}
	}
	return step{wait: &Wait{Kind: WaitFunction, Function: fc, TimeoutSeconds: fc.TimeoutSeconds}}
}

func resumeInvokeLambdaFunction(r *runner, a *Action, ans Answer) step {
	r.s.External = nil
	if ans.ErrorType != "" {
		st := fail(ErrNoMatchingError)
		if ans.Note != "" {
			st.note = ErrNoMatchingError + ": " + ans.Note
		}
		return st
	}
	ext := map[string]string{}
	size := 0
	for k, v := range ans.External {
		ext[k] = v
		size += len(k) + len(v)
	}
	if len(ans.ExternalJSON) > 0 {
		size += len(ans.ExternalJSON)
		if size > MaxFunctionResponseBytes {
			return fail(ErrNoMatchingError)
		}
		dec := json.NewDecoder(bytes.NewReader(ans.ExternalJSON))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return fail(ErrNoMatchingError)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fail(ErrNoMatchingError)
		}
		flatten("", m, ext)
	}
	if size > MaxFunctionResponseBytes {
		return fail(ErrNoMatchingError)
	}
	r.s.External = ext
	return step{external: ext}
}

// flatten writes nested JSON values as dotted keys: {"Name":{"First":"J"}} → Name.First.
// Arrays use the element index as a key segment; null becomes "".
func flatten(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, e, out)
		}
	case []any:
		for i, e := range x {
			flatten(prefix+"."+strconv.Itoa(i), e, out)
		}
	case nil:
		out[prefix] = ""
	default:
		s, _ := scalarString(x)
		out[prefix] = s
	}
}
