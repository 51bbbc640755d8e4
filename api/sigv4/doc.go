// Package sigv4 verifies AWS Signature Version 4 on requests to Ringfence's
// Connect-compatible REST API.
//
// The verifier rebuilds the signature from the request as received, following the
// public specification (AWS General Reference, "Signature Version 4 signing process":
// "Create a canonical request", "Create a string to sign", "Calculate the signature"):
//
//	CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n
//	                   CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
//	StringToSign     = "AWS4-HMAC-SHA256" \n X-Amz-Date \n Scope \n HexSHA256(CanonicalRequest)
//	SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, yyyymmdd), region), service), "aws4_request")
//	Signature        = Hex(HMAC(SigningKey, StringToSign))
//
// It canonicalises exactly the headers the client lists in SignedHeaders, so it accepts
// clients that sign different header sets: aws-sdk-go-v2 (which never signs User-Agent,
// X-Amzn-Trace-Id, Expect or Transfer-Encoding) and botocore/the AWS CLI (whose
// exclusion list differs and has changed between releases). The verifier always hashes
// the body itself; a client-supplied X-Amz-Content-Sha256 must match that hash.
//
// Only header-based authentication (the Authorization header) is accepted. Pre-signed
// query-string authentication and SigV4a are refused with a clear error; see Verify.
package sigv4
