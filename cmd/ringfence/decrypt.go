package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/ringfence/ringfence/inputcrypt"
)

// decryptCmd decrypts customer input captured by a flow: base64 on stdin, plaintext on stdout.
// It runs on the organisation's backend, which alone holds the private key.
func decryptCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "decrypt --key private.pem",
		Short: "Decrypt encrypted customer input ($.StoredCustomerInput, base64 on stdin) with the organisation's private key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keyPath, _ := cmd.Flags().GetString("key")
			if keyPath == "" {
				return errors.New("--key is required")
			}
			pemText, err := os.ReadFile(keyPath)
			if err != nil {
				return err
			}
			var opts []inputcrypt.Option
			inst, _ := cmd.Flags().GetString("instance-id")
			contact, _ := cmd.Flags().GetString("contact-id")
			if inst != "" || contact != "" {
				opts = append(opts, inputcrypt.WithContact(inst, contact))
			}
			return inputcrypt.DecryptCommand(cmd.InOrStdin(), cmd.OutOrStdout(), pemText, opts...)
		},
	}
	c.Flags().String("key", "", "PEM private key (RSA for Connect-format input, EC/X25519 for native HPKE input)")
	c.Flags().String("instance-id", "", "instance ID the input was captured in (needed for native HPKE input)")
	c.Flags().String("contact-id", "", "contact ID the input was captured for (needed for native HPKE input)")
	return c
}
