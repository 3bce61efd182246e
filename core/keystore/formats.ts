/** The keystore formats acme-ha writes and reads (a module of its own: the CLI lists them without loading the codecs). */
export const KEYSTORE_FORMATS = ['jks', 'pkcs12', 'pem'] as const;
export type KeystoreFormat = (typeof KEYSTORE_FORMATS)[number];
