/**
 * The public API of the acme-ha package (`import … from 'acme-ha'`): keystores as the CLI builds
 * and reads them, and the parsing and types of the three configuration files. The CDK constructs
 * are `acme-ha/cdk`. Nothing else in the package is public: the CLI, the agent and the DMZ receiver
 * are programs (`acme-ha …`, the agent archive), not libraries.
 */

export {
  type AgentConfig,
  agentConfigSchema,
  type DmzPeerConfig,
  type ReloadConfig,
  type ResponderConfig,
  type TargetConfig,
} from './core/config/agent-config.ts';
export {
  type AcmeHaConfig,
  type CertificateConfig,
  configSchema,
  KEY_TYPES,
  type KeystoreConfig,
  type KeyType,
  LETS_ENCRYPT,
  PROFILES,
  type Profile,
  type SecretSource,
} from './core/config/certificate-config.ts';
export { type DmzConfig, dmzConfigSchema } from './core/config/dmz-config.ts';
export { parseConfig } from './core/config/parse-config.ts';
export { ConfigError, type ConfigProblem, parseYamlConfig } from './core/config/parse-yaml-config.ts';
export {
  AcmeHaError,
  CertificateValidityError,
  ChainOrderError,
  InvalidInputError,
  InvalidPemError,
  KeyMismatchError,
  KeystoreFormatError,
  KeystorePasswordError,
} from './core/errors.ts';
export { KEYSTORE_FORMATS, type KeystoreFormat } from './core/keystore/formats.ts';
export {
  buildKeystore,
  describeKeystore,
  inspectKeystore,
  type KeystoreContent,
  type KeystoreOptions,
  type KeystoreOutput,
  type KeystoreReport,
  type OpenedKeystore,
  openKeystore,
} from './core/keystore/keystore.ts';
export {
  keystoreFromPem,
  type PemKeystore,
  type PemKeystoreRequest,
} from './core/keystore/keystore-from-pem.ts';
export { checkMaterial, type KeyMaterial, type MaterialCheckOptions } from './core/keystore/material.ts';
export { readCertificates, readPrivateKey } from './core/keystore/pem.ts';
export { PEM_FILES } from './core/keystore/pem-files.ts';
