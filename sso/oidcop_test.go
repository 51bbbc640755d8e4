package sso_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// testOP is an OpenID provider written for the tests, served over TLS by httptest:
// discovery, JWKS, an authorization endpoint that answers at once with a code, and a token
// endpoint that checks the client's credentials, the redirect URI and the PKCE verifier and
// returns an RS256-signed ID token. Claims and signing can be altered per test.
type testOP struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	kid      string
	clientID string
	secret   string

	mu    sync.Mutex
	codes map[string]grant
	// username is the preferred_username of the next sign-in.
	username string
	// edit changes the claims of the next ID token; signer, when set, signs it instead of key.
	edit   func(claims map[string]any)
	signer *rsa.PrivateKey
	// tokenRequests counts calls of the token endpoint.
	tokenRequests int
}

// grant is an issued authorization code.
type grant struct {
	nonce, challenge, redirectURI, username string
}

func newTestOP(t *testing.T) *testOP {
	t.Helper()
	op := &testOP{t: t, key: testKey(t, keyOP), kid: "k1", clientID: "ringfence-test", secret: "s3cret-client-value", codes: map[string]grant{}, username: "ada"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", op.discovery)
	mux.HandleFunc("GET /jwks", op.jwks)
	mux.HandleFunc("GET /authorize", op.authorize)
	mux.HandleFunc("POST /token", op.token)
	op.srv = httptest.NewTLSServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *testOP) issuer() string { return op.srv.URL }

func (op *testOP) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": op.issuer(), "authorization_endpoint": op.issuer() + "/authorize", "token_endpoint": op.issuer() + "/token",
		"jwks_uri": op.issuer() + "/jwks", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"},
	})
}

func (op *testOP) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := op.key.PublicKey
	writeJSON(w, map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": op.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorize "authenticates" at once and redirects back with a code and the state.
func (op *testOP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != op.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := randomHex()
	op.mu.Lock()
	op.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri"), username: op.username}
	op.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	v := url.Values{"code": {code}, "state": {q.Get("state")}}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token redeems a code once, checking client authentication, redirect URI and PKCE.
func (op *testOP) token(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.tokenRequests++
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	id, sec, ok := r.BasicAuth()
	if !ok {
		id, sec = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != op.clientID || sec != op.secret {
		fail("invalid_client")
		return
	}
	g, ok := op.codes[r.PostFormValue("code")]
	delete(op.codes, r.PostFormValue("code"))
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !ok || r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("redirect_uri") != g.redirectURI ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		fail("invalid_grant")
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": op.issuer(), "sub": "sub-" + g.username, "aud": op.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": g.nonce, "preferred_username": g.username, "given_name": "Ada", "family_name": "Lovelace",
	}
	if op.edit != nil {
		op.edit(claims)
	}
	signer := op.key
	if op.signer != nil {
		signer = op.signer
	}
	writeJSON(w, map[string]any{"access_token": "at-" + randomHex(), "token_type": "Bearer", "expires_in": 300, "id_token": signJWT(op.t, signer, op.kid, claims)})
}

// signJWT returns a compact RS256 JWS (RFC 7515) of claims.
func signJWT(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
