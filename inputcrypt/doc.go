// Package inputcrypt encrypts customer input at capture and decrypts it on the
// organisation's side.
//
// A flow's GetParticipantInput action with StoreInput "True" and an InputEncryption
// block (FLOW_LANGUAGE.md §4.1) encrypts what the customer keyed in to the
// organisation's public key, so that only the holder of the private key can read it.
// Two message formats are produced:
//
//   - For RSA keys, an AWS Encryption SDK message exactly as Amazon Connect emits it
//     (algorithm suite 0x0378, one encrypted data key with key provider ID
//     "AmazonConnect" wrapped with RSA-OAEP SHA-512/MGF1-SHA-512, framed content with
//     4096-byte frames, ECDSA P-384 signature footer), so that existing decryption code
//     written for Connect keeps working. The format follows the AWS Encryption SDK
//     specification (awslabs/aws-encryption-sdk-specification, data-format/
//     message-header.md, message-body.md, message-footer.md, framework/
//     algorithm-suites.md, framework/raw-rsa-keyring.md). WithSuite selects the
//     key-committing suite 0x0578 (message format version 2) instead.
//   - For EC keys (P-256, P-384, X25519), a native HPKE envelope (RFC 9180) described
//     on SealHPKE.
//
// Decrypt reads every algorithm suite of the AWS Encryption SDK (11 suites, message
// format versions 1 and 2) with raw RSA keys under PKCS #1 v1.5 or OAEP with SHA-1,
// SHA-256, SHA-384 or SHA-512. Parsers check every declared length against the
// remaining input before using it, so a message declaring a 4 GiB frame is rejected
// without allocating.
//
// Plaintext enters as a secret.Value and is revealed only to encrypt it.
package inputcrypt
