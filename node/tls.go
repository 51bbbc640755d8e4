package node

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLS file names inside <data-dir>/tls.
const (
	tlsCAFile   = "ca.pem"
	tlsCertFile = "cert.pem"
	tlsKeyFile  = "key.pem"
)

// ensureSelfSigned creates, on first start, a private CA and a server certificate for
// localhost, 127.0.0.1 and ::1 in dir (cert.pem holds the server certificate then the CA,
// key.pem the server key with mode 0600, ca.pem the CA certificate for clients'
// AWS_CA_BUNDLE). The CA's private key is discarded once it has signed, so it can sign nothing
// else. Existing files are left alone. It returns the paths of the chain, key and CA.
func ensureSelfSigned(dir string, now time.Time) (certPath, keyPath, caPath string, err error) {
	certPath, keyPath, caPath = filepath.Join(dir, tlsCertFile), filepath.Join(dir, tlsKeyFile), filepath.Join(dir, tlsCAFile)
	if _, err := os.Stat(certPath); err == nil {
		return certPath, keyPath, caPath, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", "", fmt.Errorf("tls: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", fmt.Errorf("tls: %w", err)
	}
	serial := func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
		return n
	}
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "Ringfence local CA", Organization: []string{"Ringfence"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", "", fmt.Errorf("tls: create CA: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", fmt.Errorf("tls: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost", Organization: []string{"Ringfence"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", "", fmt.Errorf("tls: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", "", fmt.Errorf("tls: %w", err)
	}
	pemOf := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	chain := append(pemOf("CERTIFICATE", leafDER), pemOf("CERTIFICATE", caDER)...)
	// Key first, with 0600 from creation, so a certificate never exists without its key.
	if err := writeFileAtomic(keyPath, pemOf("PRIVATE KEY", keyDER), 0o600); err != nil {
		return "", "", "", err
	}
	if err := writeFileAtomic(caPath, pemOf("CERTIFICATE", caDER), 0o644); err != nil {
		return "", "", "", err
	}
	if err := writeFileAtomic(certPath, chain, 0o644); err != nil {
		return "", "", "", err
	}
	return certPath, keyPath, caPath, nil
}

// writeFileAtomic writes b to path through a temporary file, fsync and rename.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// tlsConfig loads the certificate and key and returns a TLS 1.2+ server configuration.
func tlsConfig(certPath, keyPath string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("tls: load %s: %w", certPath, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}
