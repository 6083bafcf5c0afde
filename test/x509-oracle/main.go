// Command x509-oracle prints a PEM certificate or certificate request (read from stdin) as the JSON
// Kyverno's x509_decode JMESPath function returns: Go's x509 structure encoded with encoding/json,
// the RSA public key replaced by {N, E}. test/kyverno/x509.test.ts compares parapet's decoder to it.
package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

type publicKey struct {
	N string
	E int
}

func decode(input []byte) (any, error) {
	block, _ := pem.Decode(input)
	if block == nil {
		return nil, errors.New("failed to decode PEM block")
	}
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		key, ok := cert.PublicKey.(*rsa.PublicKey)
		if cert.PublicKeyAlgorithm != x509.RSA || !ok {
			return nil, errors.New("certificate should use rsa algorithm")
		}
		cert.PublicKey = publicKey{N: key.N.String(), E: key.E}
		return cert, nil
	case "CERTIFICATE REQUEST":
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return nil, err
		}
		key, ok := csr.PublicKey.(*rsa.PublicKey)
		if csr.PublicKeyAlgorithm != x509.RSA || !ok {
			return nil, errors.New("certificate should use rsa algorithm")
		}
		csr.PublicKey = publicKey{N: key.N.String(), E: key.E}
		return csr, nil
	}
	return nil, errors.New("PEM block neither contains a CERTIFICATE or CERTIFICATE REQUEST")
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	value, err := decode(input)
	if err != nil {
		fmt.Println(`{"error":` + fmt.Sprintf("%q", err.Error()) + `}`)
		return
	}
	// Round trip through a generic map, as Kyverno does, so numbers become float64.
	raw, err := json.Marshal(value)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out, _ := json.Marshal(generic)
	fmt.Println(string(out))
}
