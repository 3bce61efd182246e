/**
 * The files of a PEM bundle, named as certbot and most servers expect them. A module of its own so
 * that the agent's configuration and plans can name them without loading the JKS and PKCS#12
 * encoders (ASN.1 libraries) that `keystore.ts` brings.
 */
export const PEM_FILES = {
  /** leaf + intermediates (nginx `ssl_certificate`) */
  fullchain: 'fullchain.pem',
  /** intermediates only */
  chain: 'chain.pem',
  /** leaf only */
  cert: 'cert.pem',
  /** PKCS#8 private key (nginx `ssl_certificate_key`) */
  privkey: 'privkey.pem',
  /** leaf + intermediates + key in one file, as HAProxy's `crt` wants it */
  combined: 'combined.pem',
} as const;
