// jks-js ships no types; this is the one function the tests call (the key password defaults to the store's).
declare module 'jks-js' {
  export function toPem(
    keystore: Buffer,
    password: string,
    keyPassword?: string,
  ): Record<string, { cert: string; key: string }>;
}
