// jks-js ships no types; this is the one function the tests call.
declare module 'jks-js' {
  export function toPem(keystore: Buffer, password: string): Record<string, { cert: string; key: string }>;
}
